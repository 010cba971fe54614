"""End to end on real scoring: the risk in the outputs and the store, the new tier meaning, training from a store's
own labels and calibrating the tier thresholds from them."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest
import yaml
from typer.testing import CliRunner

from qa_engine import paths
from qa_engine.pipeline import ScoreConfig, score_files
from qa_engine.satisfaction.stage import NOTHING_TO_JUDGE
from qa_engine.store import Store

pytestmark = pytest.mark.slow

OWN = [
    {"ticket_id": "S-happy", "language": "en", "agent_id": "a-1", "turns": [
        {"speaker": "customer", "text": "Hi, could you tell me when my order ships?"},
        {"speaker": "agent", "text": "Hello, this is Mia. It ships today and arrives on Friday."},
        {"speaker": "customer", "text": "Perfect, that is great news. Thank you so much for the quick help!"}]},
    {"ticket_id": "S-angry", "language": "en", "agent_id": "a-1", "turns": [
        {"speaker": "customer", "text": "My parcel is three weeks late. This is the third time I write to you."},
        {"speaker": "agent", "text": "Please wait a few more days."},
        {"speaker": "customer", "text": "Useless. Nobody helps, nothing happens. I am furious and I want my money back."}]},
    {"ticket_id": "S-agent-only", "language": "en", "agent_id": "a-1", "turns": [
        {"speaker": "agent", "text": "Hello, your replacement was shipped today. Best regards, Mia"}]},
]  # fmt: skip


@pytest.fixture(scope="module")
def scored(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The bundled examples (33 carry csat) and three of our own, scored into one store."""
    out = tmp_path_factory.mktemp("sat")
    own = out / "own.jsonl"
    own.write_text("".join(json.dumps(t) + "\n" for t in OWN), encoding="utf-8")
    summary = score_files(
        [str(paths.examples_dir() / "tickets.jsonl"), str(own)], ScoreConfig(db=out / "qa.duckdb", out=out)
    )
    assert summary.quarantined == 0 and "satisfaction" in summary.stage_seconds
    return out, out / "qa.duckdb"


def test_risk_and_evidence_are_in_the_outputs_and_the_store(scored: tuple[Path, Path]) -> None:
    out, db = scored
    tickets = pl.read_parquet(out / "tickets.parquet")
    risk = dict(zip(tickets["ticket_id"], tickets["dissatisfaction_risk"], strict=True))
    evidence = dict(zip(tickets["ticket_id"], tickets["dissatisfaction_evidence"], strict=True))
    judged = [r for r in risk.values() if r is not None]
    assert len(judged) >= tickets.height - 3 and all(0 <= r <= 1 for r in judged)
    for tid in (t for t, r in risk.items() if r is None):  # only tickets with no customer text to read
        assert json.loads(evidence[tid])[0]["note"] == NOTHING_TO_JUDGE, tid
    assert risk["S-angry"] > 10 * risk["S-happy"] and risk["S-happy"] < 0.1
    items = json.loads(evidence["S-angry"])
    assert items and {i["turn_index"] for i in items} <= {0, 1, 2}
    assert all(set(i) == {"turn_index", "start", "end", "text", "note"} for i in items)
    assert risk["S-agent-only"] is None
    assert json.loads(evidence["S-agent-only"])[0]["note"] == NOTHING_TO_JUDGE
    stored = Store(db).query(
        "SELECT ticket_id, dissatisfaction_risk FROM tickets WHERE ticket_id = 'S-angry'"
    )
    assert stored["dissatisfaction_risk"][0] == pytest.approx(risk["S-angry"])


def test_script_gaps_alone_do_not_colour_a_ticket(scored: tuple[Path, Path]) -> None:
    """The happy customer's agent skipped the closing: a lower QA score, still green."""
    tickets = pl.read_parquet(scored[0] / "tickets.parquet")
    happy = tickets.filter(pl.col("ticket_id") == "S-happy").row(0, named=True)
    assert happy["qa_score"] < 80 and happy["tier"] == "green", happy["tier_reasons"]
    angry = tickets.filter(pl.col("ticket_id") == "S-angry").row(0, named=True)
    assert angry["tier"] == "red", angry["tier_reasons"]


def _review(db: Path, ticket_id: str, tier: str) -> None:
    with Store(db).connect() as con:
        con.execute(
            "INSERT INTO reviews (review_id, ticket_id, version, reviewer, tier, rule_overrides, rule_outcomes, "
            "comment, created_at) VALUES (?, ?, 1, 'lead', ?, '{}', '{}', '', ?)",
            [f"r-{ticket_id}", ticket_id, tier, datetime.now(UTC)],
        )


def test_calibrate_prints_the_agreement_and_rewrites_only_the_thresholds(
    scored: tuple[Path, Path], tmp_path: Path
) -> None:
    from qa_engine.cli import app
    from qa_engine.scoring.calibrate import calibrate, thresholds
    from qa_engine.scoring.policy import load_policy

    db = tmp_path / "qa.duckdb"
    shutil.copy(scored[1], db)
    _review(db, "S-angry", "red")
    _review(db, "S-happy", "green")
    pack = tmp_path / "pack"
    shutil.copytree(paths.rules_dir(), pack)
    original = (pack / "tiers.yaml").read_text(encoding="utf-8")

    result = CliRunner().invoke(app, ["tiers", "calibrate", "--db", str(db), "--rules", str(pack), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["labelled"] == {"reviews": 2, "csat": 36}
    assert report["after"]["kappa"] >= report["before"]["kappa"]
    assert sum(map(sum, report["after"]["confusion"])) == 38
    text = (pack / "tiers.yaml").read_text(encoding="utf-8")
    chosen = thresholds(load_policy(pack))
    assert chosen == {k: v for k, v in report["thresholds_after"].items()}
    # comments and every other condition stay as they were
    assert [line for line in text.splitlines() if "min_risk" not in line] == [
        line for line in original.splitlines() if "min_risk" not in line
    ]
    # the kappa it reports is the agreement of the pack it wrote
    again = calibrate(db, pack, write=False)
    assert again.before.kappa == pytest.approx(report["after"]["kappa"], abs=1e-4)


def test_calibrate_refuses_a_store_without_labels(tmp_path: Path) -> None:
    from qa_engine.cli import app

    db = tmp_path / "qa.duckdb"
    Store(db).init()
    result = CliRunner().invoke(app, ["tiers", "calibrate", "--db", str(db), "--dry-run"])
    assert result.exit_code != 0 and "Q754" in str(result.exception)


def test_train_from_the_store_alone_makes_a_model_that_loads(
    scored: tuple[Path, Path], tmp_path: Path
) -> None:
    from qa_engine.satisfaction.model import SatisfactionModel
    from qa_engine.satisfaction.train import store_labels, train_satisfaction

    labels = store_labels(Store(scored[1]))
    assert labels["T-1003"] == 1 and labels["T-1001"] == 0 and "T-2008" not in labels  # csat 1, 5, 3
    model, metrics = train_satisfaction(None, tmp_path / "m", db=scored[1])
    assert metrics == [] and model.meta["sources"] == {"store": len(labels)}
    assert SatisfactionModel.load(tmp_path / "m").version == model.version
    policy = yaml.safe_load((paths.rules_dir() / "tiers.yaml").read_text(encoding="utf-8"))["tier_policy"]
    assert any(c["when"] == "dissatisfaction_risk_at_least" for c in policy["red"] + policy["yellow"])


def test_calibrate_on_a_postgresql_copy_agrees_with_the_duckdb_store(
    scored: tuple[Path, Path], tmp_path: Path
) -> None:
    """`qa tiers calibrate --db postgresql://...` (CONTRACT.md section 7): the same labels, agreement and
    thresholds as on the DuckDB store it was copied from; the URL's password in no output."""
    from urllib.parse import urlsplit

    from qa_engine.cli import app
    from tests.pgsupport import Databases

    db = tmp_path / "qa.duckdb"
    shutil.copy(scored[1], db)
    _review(db, "S-angry", "red")
    _review(db, "S-happy", "green")
    made = Databases()
    try:
        url = made.copy_of(db).url
        runs = [
            CliRunner().invoke(app, ["tiers", "calibrate", "--db", where, "--dry-run", "--json"])
            for where in (str(db), url)
        ]
    finally:
        made.drop()
    for result in runs:
        assert result.exit_code == 0, result.output
    on_duckdb, on_postgres = (json.loads(r.output) for r in runs)
    assert on_postgres["labelled"]["reviews"] == 2 and on_postgres["labelled"]["csat"] >= 20
    assert on_postgres == on_duckdb
    password = urlsplit(url).password
    assert not password or password not in runs[1].output
