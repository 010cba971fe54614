"""The per-ticket feature frame the tier conditions read (qa_engine.scoring.features) and the conditions over it:
which customer turn counts as the last word, the happy-closing exemption of a missed SLA, and frames that lack
the emotion or key-issue columns."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import polars as pl
import pytest

from qa_engine.schema import RULE_RESULTS
from qa_engine.scoring import assign_tiers
from qa_engine.scoring.features import ticket_features
from qa_engine.scoring.policy import ConditionSpec, TierPolicy

ANGRY = {
    "anger": 0.8,
    "disgust": 0.1,
    "fear": 0.0,
    "joy": 0.0,
    "sadness": 0.1,
    "surprise": 0.0,
    "neutral": 0.0,
}
CALM = {
    "anger": 0.0,
    "disgust": 0.0,
    "fear": 0.0,
    "joy": 0.1,
    "sadness": 0.0,
    "surprise": 0.0,
    "neutral": 0.9,
}


def _turns(*rows: tuple[int, str, str, float, str, dict, str | None]) -> pl.DataFrame:
    keys = ("turn_index", "speaker", "text", "sentiment_score", "emotion", "emotion_scores", "affect_flag")
    frame = [{"ticket_id": "F-1", **dict(zip(keys, row, strict=True))} for row in rows]
    return pl.DataFrame(frame, schema_overrides={"affect_flag": pl.String}).with_columns(
        sentiment=pl.when(pl.col("sentiment_score") > 0.3)
        .then(pl.lit("positive"))
        .otherwise(pl.lit("negative"))
    )


def _tickets(**columns: object) -> pl.DataFrame:
    return pl.DataFrame([{"ticket_id": "F-1", "language": "en", **columns}])


def test_a_phatic_closing_is_not_the_mood_but_is_the_last_word() -> None:
    turns = _turns(
        (0, "customer", "This is the third time my parcel is lost!", -0.8, "anger", ANGRY, None),
        (1, "agent", "I am sorry, I will look into it.", 0.0, "neutral", CALM, None),
        (2, "customer", "no, that's all", -0.1, "neutral", CALM, "phatic_reply"),
    )
    (row,) = ticket_features(_tickets(), turns, pl.DataFrame(schema=RULE_RESULTS)).iter_rows(named=True)
    assert row["n_telling"] == 1 and row["last_telling"]["turn_index"] == 0
    assert row["last_emotion"] == "anger" and abs(row["last_emotion_score"] - 0.8) < 1e-6
    assert row["last_spoken"]["turn_index"] == 2 and row["failed"] is None

    policy = TierPolicy(
        red=[ConditionSpec(when="customer_ends_upset")],
        yellow=[ConditionSpec(when="reason_unresolved", sub_reasons=["logistics.lost"])],
    )
    tickets = _tickets(
        contact_reason="logistics", contact_sub_reason="logistics.lost", customer_resolved=False
    )
    (tier,) = assign_tiers(tickets, turns, pl.DataFrame(schema=RULE_RESULTS), policy).iter_rows(named=True)
    assert tier["tier"] == "red" and tier["tier_reasons"] == ["customer ends anger (0.80)"]
    assert (
        json.loads(tier["tier_evidence"])[0]["turn_index"] == 0
    )  # the angry turn, not the closing "no, that's all"
    policy.red.clear()
    (tier,) = assign_tiers(tickets, turns, pl.DataFrame(schema=RULE_RESULTS), policy).iter_rows(named=True)
    assert tier["tier"] == "yellow"
    assert json.loads(tier["tier_evidence"])[0]["turn_index"] == 2  # here the closing turn is the last word


def _sla_failed_at(turn_index: int) -> pl.DataFrame:
    evidence = {"turn_index": turn_index, "start": 0, "end": 5, "text": "thanks", "note": "no reply"}
    row = {"ticket_id": "F-1", "rule_id": "sla_reply", "outcome": "fail", "critical": False,
           "category": "timeliness", "weight": 1.0, "evidence": evidence, "detail": "waited 3 h", "suggestion": None}  # fmt: skip
    return pl.DataFrame([row], schema=RULE_RESULTS)


def test_a_missed_sla_on_a_happy_unanswered_closing_does_not_count() -> None:
    turns = _turns(
        (0, "customer", "Where is my order?", -0.2, "neutral", CALM, None),
        (1, "agent", "It ships today.", 0.2, "neutral", CALM, None),
        (2, "customer", "Perfect, thank you so much!", 0.9, "joy", CALM, None),
    )
    unless = TierPolicy(yellow=[ConditionSpec(when="rule_failed", category="timeliness",
                                              unless_customer_ends_positive=True)])  # fmt: skip
    plain = TierPolicy(yellow=[ConditionSpec(when="rule_failed", rules=["sla_reply"])])

    def tier(policy: TierPolicy, results: pl.DataFrame) -> dict:
        (row,) = assign_tiers(_tickets(), turns, results, policy).iter_rows(named=True)
        return row

    assert tier(unless, _sla_failed_at(2))["tier"] == "green"  # the happy closing nobody answered
    assert tier(plain, _sla_failed_at(2))["tier"] == "yellow"
    late = tier(unless, _sla_failed_at(0))  # the first question waited: that counts
    assert late["tier"] == "yellow" and late["tier_reasons"] == [
        "timeliness rule failed: sla_reply (waited 3 h)"
    ]
    assert late["qa_score"] == 0.0


@pytest.mark.parametrize(
    ("last", "sentiment", "tier"),
    [
        ("It says iPhone 4, model A1332.", "neutral", "green"),  # a plain statement: the export may end here
        ("So when does it ship?", "neutral", "yellow"),  # a question nobody answered
        ("This is ridiculous.", "negative", "yellow"),  # a complaint nobody answered
    ],
)
def test_a_turn_never_answered_in_an_export_without_time_stamps_counts_if_a_complaint_or_a_question(
    last: str, sentiment: str, tier: str
) -> None:
    turns = _turns(
        (0, "customer", "Where is my order?", -0.2, "neutral", CALM, None),
        (1, "agent", "It ships today.", 0.2, "neutral", CALM, None),
        (2, "customer", last, 0.0, "neutral", CALM, None),
    ).with_columns(sentiment=pl.Series(["neutral", "neutral", sentiment]))
    untimed = TierPolicy(
        yellow=[ConditionSpec(when="rule_failed", category="timeliness", unless_untimed=True)]
    )

    def tier_of(turns: pl.DataFrame) -> str:
        (row,) = assign_tiers(_tickets(), turns, _sla_failed_at(2), untimed).iter_rows(named=True)
        return row["tier"]

    assert tier_of(turns) == tier
    # with time stamps the customer's wait is known: sent at 09:05, nobody answered
    stamps = [datetime(2026, 11, 20, 9, minute, tzinfo=UTC) for minute in (0, 2, 5)]
    assert tier_of(turns.with_columns(ts=pl.Series(stamps))) == "yellow"


@pytest.mark.parametrize(
    ("risk", "tier"), [(None, "green"), (0.29, "green"), (0.3, "yellow"), (0.45, "yellow")]
)
def test_an_untimed_plain_statement_nobody_answered_counts_when_the_outcome_model_sees_risk(
    risk: float | None, tier: str
) -> None:
    # a complaint told flatly neither reads negative nor asks; the outcome model's risk may still see it
    turns = _turns(
        (0, "customer", "Where is my order?", -0.2, "neutral", CALM, None),
        (1, "agent", "It ships today.", 0.2, "neutral", CALM, None),
        (2, "customer", "the one from march is wrong tho", 0.0, "neutral", CALM, None),
    ).with_columns(sentiment=pl.Series(["neutral", "positive", "neutral"]))
    policy = TierPolicy(yellow=[ConditionSpec(when="rule_failed", category="timeliness", unless_untimed=True,
                                              untimed_counts_from_risk=0.3)])  # fmt: skip
    (row,) = assign_tiers(_tickets(dissatisfaction_risk=risk), turns, _sla_failed_at(2), policy).iter_rows(
        named=True
    )
    assert row["tier"] == tier
    assert row["tier_reasons"] == (
        [] if tier == "green" else ["timeliness rule failed: sla_reply (waited 3 h)"]
    )


def test_frames_without_emotions_or_key_issue_columns_tier_green_or_uncovered() -> None:
    tickets = pl.DataFrame({"ticket_id": ["F-1", "F-2"], "language": ["en", None]})
    turns = pl.DataFrame(  # sentiment (customer_mood needs it) but no emotion, emotion scores or affect flag
        {"ticket_id": ["F-1", "F-2"], "turn_index": [0, 0], "speaker": ["customer"] * 2, "text": ["hi", "hola"],
         "sentiment": ["neutral"] * 2, "sentiment_score": [0.0, 0.0]}
    )  # fmt: skip
    policy = TierPolicy(
        red=[ConditionSpec(when="customer_ends_upset"), ConditionSpec(when="escalation_risk_at_least")],
        yellow=[ConditionSpec(when="mood_not_recovered", min_customer_turns=1)],
    )
    rows = assign_tiers(tickets, turns, pl.DataFrame(schema=RULE_RESULTS), policy, frozenset({"en"})).rows(
        named=True
    )
    assert [(r["tier"], r["tier_reasons"], r["language_covered"]) for r in rows] == [
        ("green", [], True),
        ("yellow", ["language not covered: xx"], False),  # a missing language is the fallback code
    ]
