"""The engine reproduces what a careful QA lead decided for each bundled example (examples/ground_truth.yaml)."""

from __future__ import annotations

import polars as pl
import pytest
import yaml

from qa_engine import paths
from qa_engine.pipeline import ScoreConfig, score_files

pytestmark = pytest.mark.slow

TRUTH = yaml.safe_load((paths.examples_dir() / "ground_truth.yaml").read_text(encoding="utf-8"))["tickets"]
TRUTH_BY_ID = {t["ticket_id"]: t for t in TRUTH}


@pytest.fixture(scope="module")
def scored(tmp_path_factory: pytest.TempPathFactory) -> dict[str, pl.DataFrame]:
    out = tmp_path_factory.mktemp("examples")
    summary = score_files(
        [str(paths.examples_dir() / "tickets.jsonl")], ScoreConfig(db=out / "qa.duckdb", out=out)
    )
    assert summary.quarantined == 0
    return {name: pl.read_parquet(out / f"{name}.parquet") for name in ("tickets", "rule_results")}


def test_every_example_is_scored(scored: dict[str, pl.DataFrame]) -> None:
    assert sorted(scored["tickets"]["ticket_id"]) == sorted(TRUTH_BY_ID)


@pytest.mark.parametrize("ticket_id", sorted(TRUTH_BY_ID))
def test_rule_outcomes_match_ground_truth(scored: dict[str, pl.DataFrame], ticket_id: str) -> None:
    results = scored["rule_results"].filter(pl.col("ticket_id") == ticket_id)
    got = dict(zip(results["rule_id"], results["outcome"], strict=True))
    details = dict(zip(results["rule_id"], results["detail"], strict=True))
    wrong = {
        rule: f"expected {want}, got {got.get(rule)} ({details.get(rule)})"
        for rule, want in TRUTH_BY_ID[ticket_id]["rules"].items()
        if got.get(rule) != want
    }
    assert not wrong, wrong


@pytest.mark.parametrize("ticket_id", sorted(TRUTH_BY_ID))
def test_tier_matches_ground_truth(scored: dict[str, pl.DataFrame], ticket_id: str) -> None:
    row = scored["tickets"].filter(pl.col("ticket_id") == ticket_id).row(0, named=True)
    truth = TRUTH_BY_ID[ticket_id]
    assert row["tier"] == truth["tier"], f"{truth['why']} | engine: {row['tier_reasons']}"


def test_languages_are_detected_where_absent(scored: dict[str, pl.DataFrame]) -> None:
    got = dict(zip(scored["tickets"]["ticket_id"], scored["tickets"]["language"], strict=True))
    assert {tid: got[tid] for tid in TRUTH_BY_ID} == {tid: t["language"] for tid, t in TRUTH_BY_ID.items()}
