"""A ticket in a language no rule of the pack covers is never green (CONTRACT.md section 3), whatever the policy."""

from __future__ import annotations

import polars as pl
import pytest

from qa_engine import paths
from qa_engine.rules import load_pack
from qa_engine.schema import RULE_RESULTS
from qa_engine.scoring import assign_tiers, load_policy
from qa_engine.scoring.policy import TierPolicy


def _frames(languages: list[str | None]) -> tuple[pl.DataFrame, pl.DataFrame]:
    ids = [f"L-{i}" for i in range(len(languages))]
    tickets = pl.DataFrame({"ticket_id": ids, "language": languages, "channel": ["chat"] * len(ids)})
    turns = pl.DataFrame(
        {"ticket_id": ids, "turn_index": [0] * len(ids), "speaker": ["customer"] * len(ids),
         "text": ["..."] * len(ids), "sentiment": ["positive"] * len(ids), "sentiment_score": [0.6] * len(ids),
         "emotion": ["joy"] * len(ids), "affect_flag": [None] * len(ids)},
        schema_overrides={"affect_flag": pl.String},
    )  # fmt: skip
    return tickets, turns


def test_the_default_pack_covers_its_six_languages() -> None:
    assert load_pack(paths.rules_dir()).covered_languages == frozenset({"en", "zh", "de", "ja", "es", "fr"})


def test_an_uncovered_language_is_at_least_yellow_with_its_reason() -> None:
    covered = load_pack(paths.rules_dir()).covered_languages
    tickets, turns = _frames(["de", "th", "vi", "pl", "id", "tr", "zh-TW"])
    tiers = assign_tiers(tickets, turns, pl.DataFrame(schema=RULE_RESULTS), load_policy(), covered)
    rows = {r["ticket_id"]: r for r in tiers.iter_rows(named=True)}
    assert rows["L-0"]["tier"] == "green" and rows["L-0"]["language_covered"] is True
    assert rows["L-6"]["tier"] == "green"  # zh-TW is Chinese
    for at, code in enumerate(["th", "vi", "pl", "id", "tr"], start=1):
        row = rows[f"L-{at}"]
        assert (row["tier"], row["tier_reasons"], row["language_covered"]) == (
            "yellow", [f"language not covered: {code}"], False,
        )  # fmt: skip


@pytest.mark.parametrize("policy", [TierPolicy(), load_policy()])
def test_an_empty_policy_cannot_make_an_uncovered_ticket_green(policy: TierPolicy) -> None:
    tickets, turns = _frames(["pl"])
    tiers = assign_tiers(tickets, turns, pl.DataFrame(schema=RULE_RESULTS), policy, frozenset({"en"}))
    assert tiers["tier"].to_list() == ["yellow"]


def test_a_red_ticket_stays_red_and_names_the_language_too() -> None:
    tickets, turns = _frames(["tr"])
    results = pl.DataFrame(
        {"ticket_id": ["L-0"], "rule_id": ["no_card_data"], "outcome": ["fail"], "critical": [True],
         "category": ["compliance"], "weight": [10.0], "evidence": [None], "detail": ["card number"],
         "suggestion": [None]},
        schema=RULE_RESULTS,
    )  # fmt: skip
    (row,) = assign_tiers(tickets, turns, results, load_policy(), frozenset({"en"})).iter_rows(named=True)
    assert row["tier"] == "red"
    assert row["tier_reasons"][-1] == "language not covered: tr" and "critical" in row["tier_reasons"][0]


def test_without_a_coverage_set_every_language_counts_as_covered() -> None:
    tickets, turns = _frames(["th"])
    tiers = assign_tiers(tickets, turns, pl.DataFrame(schema=RULE_RESULTS), load_policy())
    assert tiers.select("tier", "language_covered").rows() == [("green", True)]
