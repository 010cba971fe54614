"""A red mood condition read from one turn needs the outcome model to agree (`confirmed_by_risk`)."""

from __future__ import annotations

import polars as pl
import pytest

from qa_engine.errors import QAError
from qa_engine.schema import RULE_RESULTS
from qa_engine.scoring import assign_tiers, load_policy
from qa_engine.scoring.policy import ConditionSpec, TierPolicy

ANGRY = {
    "anger": 0.9,
    "disgust": 0.02,
    "fear": 0.02,
    "joy": 0.0,
    "sadness": 0.02,
    "surprise": 0.02,
    "neutral": 0.02,
}


def _tier(risk: float | None, policy: TierPolicy) -> dict:
    """One ticket whose only customer turn is angry (emotion 0.9, sentiment -0.7), with this predicted risk."""
    tickets = pl.DataFrame(
        {"ticket_id": ["A-1"], "language": ["zh"], "channel": ["social"], "dissatisfaction_risk": [risk],
         "dissatisfaction_evidence": ["[]"]},
        schema_overrides={"dissatisfaction_risk": pl.Float64},
    )  # fmt: skip
    turns = pl.DataFrame(
        {"ticket_id": ["A-1"], "turn_index": [0], "speaker": ["customer"], "text": ["你们这是什么服务！"],
         "sentiment": ["negative"], "sentiment_score": [-0.7], "emotion": ["anger"], "emotion_scores": [ANGRY],
         "affect_flag": [None]},
        schema_overrides={"affect_flag": pl.String},
    )  # fmt: skip
    (row,) = assign_tiers(tickets, turns, pl.DataFrame(schema=RULE_RESULTS), policy).iter_rows(named=True)
    return row


def test_the_default_pack_asks_the_outcome_model_before_an_angry_ending_is_red() -> None:
    policy = load_policy()
    gate = next(c.confirmed_by_risk for c in policy.red if c.when == "customer_ends_upset")
    assert gate == 0.4 and policy.likely_dissatisfied_at() == 0.5  # a little under the yellow line
    # the emotion model hears anger, the outcome model says the customer came out satisfied: not red
    calm = _tier(0.2, policy)
    assert calm["tier"] != "red" and not any("ends anger" in r for r in calm["tier_reasons"])
    # both agree: red, and the reason says the outcome model agrees (0.45: under the yellow line, still red)
    upset = _tier(0.45, policy)
    assert upset["tier"] == "red"
    assert any("customer ends anger" in r and "0.45 >= 0.40 agrees" in r for r in upset["tier_reasons"])
    # no risk to ask (nothing judged, or no fitting model): the turn alone decides, as before
    assert _tier(None, policy)["tier"] == "red"


def test_a_fixed_gate_and_no_gate() -> None:
    def policy(gate: bool | float | None) -> TierPolicy:
        return TierPolicy(red=[ConditionSpec(when="customer_ends_upset", confirmed_by_risk=gate)])

    assert _tier(0.2, policy(None))["tier"] == "red"
    assert _tier(0.2, policy(0.1))["tier"] == "red"
    assert _tier(0.2, policy(0.3))["tier"] == "green"
    # true without a yellow dissatisfaction condition: the condition's default line, 0.5
    assert _tier(0.45, policy(True))["tier"] == "green"


def test_a_gate_outside_zero_to_one_fails_at_load_naming_the_field(tmp_path) -> None:
    (tmp_path / "tiers.yaml").write_text(
        "tier_policy:\n  red:\n    - when: customer_ends_upset\n      confirmed_by_risk: 1.5\n",
        encoding="utf-8",
    )
    with pytest.raises(QAError) as err:
        load_policy(tmp_path)
    assert "confirmed_by_risk" in str(err.value) and "tiers.yaml" in str(err.value)


def test_calibrate_moves_a_gate_tied_to_the_yellow_line_with_it(tmp_path) -> None:
    """`confirmed_by_risk: true` follows the yellow line as `qa tiers calibrate` moves it: eight angry customers at
    risk 0.3 rated CSAT 1 become red only if the gate moves down with the yellow line (a gate left at 0.5 would
    make them yellow)."""
    import json
    from datetime import UTC, datetime

    from qa_engine import schema
    from qa_engine.scoring.calibrate import calibrate
    from qa_engine.store import Store

    (tmp_path / "tiers.yaml").write_text(
        "tier_policy:\n  red:\n    - when: customer_ends_upset\n      confirmed_by_risk: true\n"
        "  yellow:\n    - when: dissatisfaction_risk_at_least\n      min_risk: 0.5\n",
        encoding="utf-8",
    )
    groups = [(0.3, 1), (0.1, 5), (0.7, 1)]  # (risk, csat), eight tickets each
    tickets, turns = [], []
    for g, (risk, csat) in enumerate(groups):
        for i in range(8):
            tid = f"C-{g}-{i}"
            start = datetime(2026, 11, 1, 10, tzinfo=UTC)
            tickets.append({
                "ticket_id": tid, "agent_id": "a-1", "team": "T1", "channel": "chat", "language": "en",
                "created_at": start, "started_at": start, "csat": csat, "tier": "green", "qa_score": 100.0,
                "tier_reasons": [], "tier_evidence": "[]", "n_turns": 1, "dissatisfaction_risk": risk,
                "dissatisfaction_evidence": json.dumps([]),
            })  # fmt: skip
            turns.append({
                "ticket_id": tid, "turn_index": 0, "speaker": "customer", "text": "This is outrageous.",
                "sentiment": "negative", "sentiment_score": -0.7, "emotion": "anger", "emotion_scores": ANGRY,
                "affect_flag": None,
            })  # fmt: skip
    db = tmp_path / "qa.duckdb"
    store = Store(db)
    store.init()
    store.write_results(
        pl.DataFrame(tickets, infer_schema_length=None),
        pl.DataFrame(
            turns, schema_overrides={"emotion_scores": schema.EMOTION_SCORES}, infer_schema_length=None
        ),
        pl.DataFrame(schema=RULE_RESULTS),
    )
    result = calibrate(db, tmp_path, write=False)
    assert result.thresholds_before == {"red": None, "yellow": 0.5}
    # rows: labels red, yellow, green; columns: the machine's. Risk 0.3 under a gate at 0.5: green
    assert result.before.confusion == [[8, 0, 8], [0, 0, 0], [0, 0, 8]]
    assert result.thresholds_after["yellow"] == pytest.approx(0.3)
    assert result.after.kappa == pytest.approx(1.0) and result.after.agree == 24
