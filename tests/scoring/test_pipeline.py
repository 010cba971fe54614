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


# incremental runs and the affect cache ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def edited_pack(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The default pack with one edit a QA lead might make: asking "anything else?" becomes critical."""
    import shutil

    from qa_engine import paths

    pack = tmp_path_factory.mktemp("pack") / "default"
    shutil.copytree(paths.rules_dir(), pack)
    closing = pack / "05_closing.yaml"
    text = closing.read_text(encoding="utf-8")
    rule = text.index("id: closing_anything_else")
    edited = text[:rule] + text[rule:].replace("critical: false", "critical: true", 1)
    assert edited != text
    closing.write_text(edited, encoding="utf-8")
    return pack


@pytest.fixture(scope="module")
def edited_engine(edited_pack: Path) -> Engine:
    return Engine(ScoreConfig(rules=edited_pack))


def renamed_tickets(source: Path, target: Path) -> Path:
    """The same conversations as new tickets (new ids, another agent): changed tickets, texts seen before."""
    lines = []
    for line in source.read_text(encoding="utf-8").splitlines():
        try:
            ticket = json.loads(line)
        except json.JSONDecodeError:
            continue
        if ticket.get("turns"):
            ticket["ticket_id"] = ticket["ticket_id"].replace("P-", "N-")
            ticket["agent_id"] = "a-9"
            lines.append(json.dumps(ticket, ensure_ascii=False))
    target.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return target


def test_changed_tickets_whose_texts_were_seen_reach_no_model(
    tmp_path: Path, ticket_file: Path, engine: Engine, model_calls: list[int]
) -> None:
    db = tmp_path / "qa.duckdb"
    first = score_files([ticket_file], ScoreConfig(db=db), engine=engine)
    assert first.affect_scored > 0 and sum(model_calls) > 0
    model_calls.clear()
    again = score_files(
        [renamed_tickets(ticket_file, tmp_path / "new.jsonl")], ScoreConfig(db=db), engine=engine
    )
    assert (again.scored, again.unchanged) == (3, 0)
    assert (again.affect_scored, again.affect_cache_hits) == (0, first.affect_texts)
    assert model_calls == []
    # the cached affect gives the same results as scoring from scratch
    stored = Store(db)
    old = stored.query("SELECT ticket_id, turn_index, sentiment, emotion, affect_flag FROM turns "
                       "WHERE ticket_id LIKE 'P-%' ORDER BY ALL")  # fmt: skip
    new = stored.query("SELECT ticket_id, turn_index, sentiment, emotion, affect_flag FROM turns "
                       "WHERE ticket_id LIKE 'N-%' ORDER BY ALL")  # fmt: skip
    assert new.drop("ticket_id").equals(old.drop("ticket_id"))
    tiers = stored.query("SELECT ticket_id, tier, qa_score, contact_reason FROM tickets ORDER BY ticket_id")
    by_id = {r["ticket_id"]: r for r in tiers.iter_rows(named=True)}
    for n in ("1", "2", "3"):
        assert {**by_id[f"N-{n}"], "ticket_id": ""} == {**by_id[f"P-{n}"], "ticket_id": ""}


def test_nothing_is_scored_again_when_nothing_changed(
    tmp_path: Path, ticket_file: Path, engine: Engine, model_calls: list[int]
) -> None:
    db = tmp_path / "qa.duckdb"
    score_files([ticket_file], ScoreConfig(db=db), engine=engine)
    scored_at = Store(db).query("SELECT ticket_id, scored_at, run_id FROM tickets ORDER BY ticket_id")
    model_calls.clear()
    second = score_files([ticket_file], ScoreConfig(db=db), engine=engine)
    assert (second.scored, second.unchanged, second.affect_texts) == (0, 3, 0)
    assert model_calls == []
    assert (
        Store(db)
        .query("SELECT ticket_id, scored_at, run_id FROM tickets ORDER BY ticket_id")
        .equals(scored_at)
    )


def test_a_rule_pack_change_rescores_every_ticket_from_the_affect_cache(
    tmp_path: Path, ticket_file: Path, engine: Engine, edited_engine: Engine, edited_pack: Path, model_calls
) -> None:
    db = tmp_path / "qa.duckdb"
    score_files([ticket_file], ScoreConfig(db=db), engine=engine)
    before = {
        r["ticket_id"]: r["tier"]
        for r in Store(db).query("SELECT ticket_id, tier FROM tickets").iter_rows(named=True)
    }
    assert edited_engine.rule_pack_version != engine.rule_pack_version
    model_calls.clear()
    again = score_files([ticket_file], ScoreConfig(db=db, rules=edited_pack), engine=edited_engine)
    assert (again.scored, again.unchanged) == (3, 0)
    assert again.affect_scored == 0 and model_calls == []  # the rules changed, not the texts or models
    rows = Store(db).query("SELECT ticket_id, tier, rule_pack_version FROM tickets ORDER BY ticket_id")
    assert set(rows["rule_pack_version"]) == {edited_engine.rule_pack_version}
    after = dict(zip(rows["ticket_id"], rows["tier"], strict=True))
    # P-3's agent never asks "anything else?": now a critical failure; P-1's agent asks, P-2 was red already
    assert before["P-3"] != "red" and after == {"P-1": before["P-1"], "P-2": "red", "P-3": "red"}
    outcome = (
        Store(db)
        .query(
            "SELECT outcome, critical FROM rule_results WHERE ticket_id = 'P-3' AND rule_id = 'closing_anything_else'"
        )
        .row(0)
    )
    assert outcome == ("fail", True)


def test_qa_rescore_since_records_the_new_versions(
    tmp_path: Path, ticket_file: Path, engine: Engine, edited_engine: Engine, edited_pack: Path
) -> None:
    import subprocess
    import sys

    db = tmp_path / "qa.duckdb"
    score_files([ticket_file], ScoreConfig(db=db), engine=engine)
    result = subprocess.run(
        [sys.executable, "-m", "qa_engine", "rescore", "--since", "2026-11-20", "--db", str(db),
         "--rules", str(edited_pack)],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    store = Store(db)
    rows = store.query(
        "SELECT ticket_id, rule_pack_version, model_versions, run_id FROM tickets ORDER BY ticket_id"
    )
    versions = dict(zip(rows["ticket_id"], rows["rule_pack_version"], strict=True))
    # P-1 and P-2 started on 2026-11-20; P-3 (no created_at, first turn on 2026-11-19) keeps its old result
    assert versions == {
        "P-1": edited_engine.rule_pack_version,
        "P-2": edited_engine.rule_pack_version,
        "P-3": engine.rule_pack_version,
    }
    run = store.query("SELECT run_id, rule_pack_version, model_versions, n_scored, status FROM runs "
                      "ORDER BY started_at DESC LIMIT 1").row(0, named=True)  # fmt: skip
    assert (run["rule_pack_version"], run["n_scored"], run["status"]) == (
        edited_engine.rule_pack_version,
        2,
        "finished",
    )
    assert json.loads(run["model_versions"]) == edited_engine.model_versions
    rescored = rows.filter(pl.col("ticket_id").is_in(["P-1", "P-2"]))
    assert set(rescored["run_id"]) == {run["run_id"]}
    assert all(json.loads(m) == edited_engine.model_versions for m in rescored["model_versions"])


def test_without_the_affect_cache_every_text_reaches_the_model(
    tmp_path: Path, ticket_file: Path, engine: Engine, model_calls: list[int]
) -> None:
    """`qa score --no-affect-cache`: nothing read from or written to the cache (e.g. to time the models)."""
    from dataclasses import replace

    db = tmp_path / "qa.duckdb"
    config = ScoreConfig(db=db, affect_cache=False)
    uncached = Engine.__new__(Engine)
    uncached.__dict__.update(engine.__dict__, config=replace(engine.config, affect_cache=False))
    first = score_files([ticket_file], config, engine=uncached)
    model_calls.clear()
    again = score_files([renamed_tickets(ticket_file, tmp_path / "new.jsonl")], config, engine=uncached)
    assert (again.affect_cache_hits, again.affect_scored) == (0, first.affect_texts)
    assert sum(model_calls) > 0
    assert Store(db).query("SELECT count(*) AS n FROM affect_cache")["n"][0] == 0


def test_an_executor_scoring_batches_elsewhere_stores_what_one_process_stores(
    tmp_path: Path, engine: Engine
) -> None:
    """The runner's one place for parallelism: batches handed to an executor, several out at once (as the nightly
    flow hands them to Dask workers, tests/flows), are stored in input order with the rows, counts and timings of
    a run that scores each at once. This executor scores a batch only when its result is asked for, so the batches
    are stored in the order of asking: the runner's."""
    from bench.generate import generate_tickets, write_tickets
    from qa_engine.runner import Runner

    class Later:
        def __init__(self, run: Runner, batch) -> None:
            self.run, self.batch = run, batch
            submitted.append(batch.tickets["ticket_id"][0])

        def result(self):
            stored_order.append(self.batch.tickets["ticket_id"][0])
            out_when_asked.append(len(submitted) - len(stored_order) + 1)
            return self.run.score(self.batch)

    source = tmp_path / "tickets.jsonl"
    write_tickets(generate_tickets(16, seed=9), source, "jsonl")
    stored, summaries, submitted, stored_order, out_when_asked = {}, {}, [], [], []
    for way in ("here", "executor"):
        config = ScoreConfig(db=tmp_path / f"{way}.duckdb", batch_tickets=5, out=tmp_path / way)
        with Runner([str(source)], config, engine) as run:
            submit = (lambda batch: Later(run, batch)) if way == "executor" else None
            run.run(run.read([str(source)]), submit=submit, in_flight=2 if submit else 0)
        summaries[way] = run.summary
        store = Store(config.db)
        stored[way] = [
            store.query("SELECT * FROM rule_results ORDER BY ticket_id, rule_id"),
            store.query("SELECT ticket_id, tier, qa_score, tier_reasons FROM tickets ORDER BY ticket_id"),
            pl.read_parquet(tmp_path / way / "tickets.parquet").select("ticket_id", "tier"),
        ]
    assert len(submitted) == 4 and stored_order == submitted  # batches of 5, 5, 5, 1: stored in input order
    assert out_when_asked == [3, 3, 2, 1]  # in_flight=2: a third batch out before the first is waited for
    assert stored["here"][0].height == 16 * len(engine.pack.rules)
    assert all(a.equals(b) for a, b in zip(stored["here"], stored["executor"], strict=True))
    for summary in summaries.values():
        assert (summary.read, summary.scored) == (16, 16)
        assert summary.affect_texts == summaries["here"].affect_texts > 0
        assert {"read", "validate", "language", "rules", "tier", "store"} <= set(summary.stage_seconds)


def test_a_process_pool_scores_what_one_process_scores(tmp_path: Path, engine: Engine) -> None:
    """`Runner.run_on` a `qa_engine.executors.ProcessPool`: spawned workers load their own Engine (`score_shared`),
    the parent stores; the stored rule outcomes, tiers and scores are those of a run in this process."""
    from bench.generate import generate_tickets, write_tickets
    from qa_engine.executors import InProcess, ProcessPool
    from qa_engine.runner import Runner

    source = tmp_path / "tickets.jsonl"
    write_tickets(generate_tickets(12, seed=11), source, "jsonl")
    stored, summaries = {}, {}
    for way in ("here", "pool"):
        config = ScoreConfig(db=tmp_path / f"{way}.duckdb", batch_tickets=4)
        pool = ProcessPool(2, env={"QA_TORCH_THREADS": "1"}) if way == "pool" else InProcess()
        with pool, Runner([str(source)], config, engine) as run:
            run.run_on(pool, run.read([str(source)]))
        summaries[way] = run.summary
        store = Store(config.db)
        stored[way] = [
            store.query("SELECT ticket_id, rule_id, outcome FROM rule_results ORDER BY ticket_id, rule_id"),
            store.query("SELECT ticket_id, tier, qa_score FROM tickets ORDER BY ticket_id"),
        ]
    assert stored["here"][1].height == 12
    assert all(a.equals(b) for a, b in zip(stored["here"], stored["pool"], strict=True))
    assert (summaries["pool"].read, summaries["pool"].scored) == (12, 12)
    assert summaries["pool"].tiers == summaries["here"].tiers


def test_training_reads_a_batch_through_four_of_the_stages(engine: Engine) -> None:
    """The satisfaction training's features come from the runner's own stages (language, nlp, affect, reasons):
    one feature row per labelled dialogue with a customer turn, in input order."""
    import numpy as np

    from qa_engine import paths
    from qa_engine.satisfaction.train import engine_rows

    lines = (paths.examples_dir() / "tickets.jsonl").read_text(encoding="utf-8").splitlines()[:6]
    records = [json.loads(line) for line in lines]
    ids, rows = engine_rows(engine, records)
    assert ids and ids == [r["ticket_id"] for r in records if r["ticket_id"] in ids]
    assert rows.shape[0] == len(ids) and rows.shape[1] > 0 and np.isfinite(rows).all()
