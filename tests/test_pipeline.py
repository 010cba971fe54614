"""End to end through the library: files in, store rows and the contract's files out, reruns idempotent."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest

from qa_engine.pipeline import Engine, ScoreConfig, score_files
from qa_engine.store import Store

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine(ScoreConfig())


def counts(db: Path) -> dict[str, int]:
    store = Store(db)
    return {
        t: store.query(f"SELECT count(*) AS n FROM {t}")["n"][0] for t in ("tickets", "turns", "rule_results")
    }


def test_scores_good_tickets_and_quarantines_bad_ones(
    tmp_path: Path, ticket_file: Path, engine: Engine
) -> None:
    out = tmp_path / "out"
    summary = score_files([ticket_file], ScoreConfig(db=tmp_path / "qa.duckdb", out=out), engine=engine)
    assert (summary.read, summary.scored, summary.quarantined) == (3, 3, 2)
    tickets = pl.read_parquet(out / "tickets.parquet")
    assert sorted(tickets["ticket_id"]) == ["P-1", "P-2", "P-3"]
    by_id = {r["ticket_id"]: r for r in tickets.iter_rows(named=True)}
    assert by_id["P-2"]["tier"] == "red"  # the agent wrote a full card number
    assert any("pii_disclosure" in reason for reason in by_id["P-2"]["tier_reasons"])
    assert by_id["P-1"]["tier"] == "green"
    assert tickets["qa_score"].is_between(0, 100).all()
    turns = pl.read_parquet(out / "turns.parquet")
    assert turns.height == 11
    quarantine = [json.loads(x) for x in (out / "quarantine.jsonl").read_text().splitlines()]
    assert {q["location"] for q in quarantine} == {"line 4", "line 5"}
    assert all(q["source"] == str(ticket_file) for q in quarantine)


def test_rerun_is_idempotent_and_skips_unchanged_tickets(
    tmp_path: Path, ticket_file: Path, engine: Engine
) -> None:
    db = tmp_path / "qa.duckdb"
    first = score_files([ticket_file], ScoreConfig(db=db), engine=engine)
    before = counts(db)
    second = score_files([ticket_file], ScoreConfig(db=db, out=tmp_path / "again"), engine=engine)
    assert first.scored == 3
    assert (second.scored, second.unchanged) == (0, 3)
    assert counts(db) == before
    # --out still holds every input ticket when scoring was skipped
    assert pl.read_parquet(tmp_path / "again" / "tickets.parquet").height == 3
    forced = score_files([ticket_file], ScoreConfig(db=db, force=True), engine=engine)
    assert forced.scored == 3 and counts(db) == before


def test_changed_ticket_is_rescored(tmp_path: Path, ticket_file: Path, engine: Engine) -> None:
    db = tmp_path / "qa.duckdb"
    score_files([ticket_file], ScoreConfig(db=db), engine=engine)
    lines = ticket_file.read_text(encoding="utf-8").splitlines()
    first = json.loads(lines[0])
    first["turns"][1]["text"] = "Your card is 4111 1111 1111 1111."
    lines[0] = json.dumps(first)
    ticket_file.write_text("\n".join(lines) + "\n", encoding="utf-8")
    again = score_files([ticket_file], ScoreConfig(db=db), engine=engine)
    assert (again.scored, again.unchanged) == (1, 2)
    tier = Store(db).query("SELECT tier FROM tickets WHERE ticket_id = 'P-1'")["tier"][0]
    assert tier == "red"


def test_run_that_dies_halfway_leaves_no_duplicates_when_rerun(
    tmp_path: Path, ticket_file: Path, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "qa.duckdb"
    calls = {"n": 0}
    real = Store.write_results

    def dying(self, *args):
        calls["n"] += 1
        real(self, *args)
        if calls["n"] == 2:
            raise RuntimeError("power cut")

    monkeypatch.setattr(Store, "write_results", dying)
    with pytest.raises(RuntimeError):
        score_files([ticket_file], ScoreConfig(db=db, batch_tickets=1), engine=engine)
    monkeypatch.setattr(Store, "write_results", real)
    runs = Store(db).query("SELECT status FROM runs")["status"].to_list()
    assert runs == ["failed"]
    score_files([ticket_file], ScoreConfig(db=db, batch_tickets=1), engine=engine)
    assert counts(db) == {"tickets": 3, "turns": 11, "rule_results": 3 * len(engine.pack.rules)}
