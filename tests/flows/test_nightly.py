"""The nightly Prefect flow, run for real on Prefect's temporary local server (offline)."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import polars as pl
import pytest

pytestmark = pytest.mark.slow


@pytest.fixture(scope="session")
def prefect_harness():
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield


def test_nightly_scores_new_files_then_skips_them(prefect_harness, tmp_path: Path, ticket_file: Path) -> None:
    from flows.nightly import nightly

    inbox = tmp_path / "inbox"
    inbox.mkdir()
    shutil.copy(ticket_file, inbox / "day1.jsonl")
    old = time.time() - 3600
    os.utime(inbox / "day1.jsonl", (old, old))
    db = str(tmp_path / "qa.duckdb")
    first = nightly(source=str(inbox), db=db, out=str(tmp_path / "out"))
    assert (first["files"], first["read"], first["scored"], first["quarantined"]) == (1, 3, 3, 2)
    assert (tmp_path / "out" / "tickets.parquet").exists()

    second = nightly(source=str(inbox), db=db)
    assert second["files"] == 0  # every file is in the ledger

    (inbox / "day2.jsonl").write_text((inbox / "day1.jsonl").read_text())
    third = nightly(source=str(inbox), db=db)
    assert third["files"] == 0  # the same content delivered twice is not read again

    # a new file copied in with a time stamp older than the last run (cp -p, rsync -t): still new to the ledger
    lines = (inbox / "day1.jsonl").read_text().splitlines()
    (inbox / "day3.jsonl").write_text(lines[0].replace('"P-1"', '"P-9"') + "\n")
    os.utime(inbox / "day3.jsonl", (old - 86400, old - 86400))
    fourth = nightly(source=str(inbox), db=db)
    assert fourth["files"] == 1
    assert (fourth["read"], fourth["scored"]) == (1, 1)


def test_nightly_with_a_sources_file_pulls_every_source(
    prefect_harness, tmp_path: Path, ticket_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from flows.nightly import nightly, nightly_deployment
    from qa_engine.errors import QAError
    from qa_engine.store import Store
    from tests.pull import data
    from tests.pull.helpdesks import Zendesk

    inbox = tmp_path / "inbox"
    inbox.mkdir()
    shutil.copy(ticket_file, inbox / "day1.jsonl")
    monkeypatch.setenv("ZD_TOKEN", "tok-nightly-1")
    db = str(tmp_path / "qa.duckdb")
    with Zendesk("bot@acme.example", "tok-nightly-1") as zd:
        data.fill_zendesk(zd)
        config = tmp_path / "SOURCES.yaml"
        config.write_text(
            "sources:\n"
            f"  - {{name: zd, kind: zendesk, url: '{zd.url}', email: bot@acme.example, token_env: ZD_TOKEN, start: 2026-11-01}}\n"
            f"  - {{name: inbox, kind: folder, path: '{inbox}'}}\n",
            encoding="utf-8",
        )
        first = nightly(config=str(config), db=db, reports=str(tmp_path / "reports"))
        assert {s["name"]: s["scored"] for s in first["sources"]} == {
            "zd": len(data.ZENDESK_CHANNELS) + 1,
            "inbox": 3,
        }
        assert first["reports"]["agents"] > 0
        second = nightly(config=str(config), db=db, reports=str(tmp_path / "reports"))
        assert sum(s["scored"] + s["read"] for s in second["sources"]) == 0
        monkeypatch.setenv("ZD_TOKEN", "wrong")
        (inbox / "day2.jsonl").write_text(ticket_file.read_text().replace('"P-1"', '"P-7"'))
        with pytest.raises(QAError, match="1 of 2 sources failed: zd"):
            nightly(config=str(config), db=db, reports=str(tmp_path / "reports"))
    assert (
        Store(db).query("SELECT count(*) AS n FROM tickets WHERE ticket_id = 'P-7'")["n"][0] == 1
    )  # inbox still ran
    deployment = nightly_deployment(None, db, None, "0 2 * * *", config=str(config))
    assert deployment.parameters["config"] == str(config) and "source" not in deployment.parameters
    with pytest.raises(QAError, match="Q977"):
        nightly_deployment(str(inbox), db, None, "0 2 * * *", config=str(config))


def test_schedule_builds_a_cron_deployment_offline(tmp_path: Path) -> None:
    from flows.nightly import nightly_deployment

    deployment = nightly_deployment(str(tmp_path), "qa.duckdb", None, "0 2 * * *", "Europe/Berlin")
    assert deployment.name == "nightly-qa"
    (schedule,) = deployment.schedules
    assert schedule.schedule.cron == "0 2 * * *"
    assert schedule.schedule.timezone == "Europe/Berlin"
    assert deployment.parameters["source"] == str(tmp_path)


def test_a_postgresql_schedule_keeps_the_password_out_of_the_deployment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The Prefect server keeps (and shows) a deployment's parameters: the URL goes there without its password,
    which the serving process hands its flow runs in PGPASSWORD (libpq reads it)."""
    from flows.nightly import _reports_folder, _store, nightly_deployment

    monkeypatch.delenv("PGPASSWORD", raising=False)
    url = "postgresql://qa:s3cret%21pw@db.example:5432/qa"
    deployment = nightly_deployment(str(tmp_path), url, None, "0 2 * * *")
    assert deployment.parameters["db"] == "postgresql://qa@db.example:5432/qa"
    assert "s3cret" not in repr(deployment.parameters)
    assert os.environ["PGPASSWORD"] == "s3cret!pw"
    assert str(_store(url)) == "postgresql://qa@db.example:5432/qa" and _store(url).url == url
    assert _reports_folder(None, None, url) == "reports"  # a URL has no folder to put them beside
    assert _reports_folder(None, None, str(tmp_path / "qa.duckdb")) == str(tmp_path / "reports")


# scale-out on Dask ---------------------------------------------------------------------------------------------------
def stored_results(db: Path) -> dict[str, pl.DataFrame]:
    """Every scored row of a store, in a stable order, without what differs between runs (run ids, times)."""
    from qa_engine.store import Store

    store = Store(db)
    tickets = store.query(
        "SELECT * EXCLUDE (run_id, scored_at, received_at, source, location) FROM tickets ORDER BY ticket_id"
    )
    turns = store.query("SELECT * FROM turns ORDER BY ticket_id, turn_index")
    rules = store.query("SELECT * FROM rule_results ORDER BY ticket_id, rule_id")
    quarantine = store.query("SELECT source, location, reason, record FROM quarantine ORDER BY ALL")
    return {"tickets": tickets, "turns": turns, "rule_results": rules, "quarantine": quarantine}


def assert_frames_match(got: pl.DataFrame, want: pl.DataFrame) -> None:
    """Equal, with model probabilities equal to rounding noise: texts scored in other batch companies are padded
    differently and Dask workers run torch on fewer threads, which moves a probability in its sixth decimal in fp32
    and in its fourth in bf16 (served where the CPU computes bf16 natively: 8 significant bits)."""
    from polars.testing import assert_frame_equal

    assert_frame_equal(got, want, check_exact=False, abs_tol=2e-3, rel_tol=0)


def test_nightly_on_a_local_dask_cluster_equals_the_single_process_run(
    prefect_harness, tmp_path: Path, ticket_file: Path
) -> None:
    from bench.generate import generate_tickets, write_tickets
    from flows.nightly import nightly
    from qa_engine.pipeline import ScoreConfig, score_files

    inbox = tmp_path / "inbox"
    inbox.mkdir()
    shutil.copy(ticket_file, inbox / "a.jsonl")  # three tickets and two bad records
    write_tickets(generate_tickets(8, seed=11), inbox / "b.jsonl", "jsonl")
    files = sorted(str(p) for p in inbox.iterdir())
    single = score_files(files, ScoreConfig(db=tmp_path / "single.duckdb", batch_tickets=4))

    dask_db = tmp_path / "dask.duckdb"
    run = nightly(source=str(inbox), db=str(dask_db), out=str(tmp_path / "out"), batch_tickets=4, workers=2)
    assert (run["read"], run["scored"], run["quarantined"]) == (
        single.read,
        single.scored,
        single.quarantined,
    )
    assert run["read"] == 11 and run["quarantined"] == 2
    assert run["tiers"] == single.tiers
    assert pl.read_parquet(tmp_path / "out" / "tickets.parquet").height == 11
    want, got = stored_results(tmp_path / "single.duckdb"), stored_results(dask_db)
    for table in want:
        assert_frames_match(got[table], want[table])
    # the workers only read the store; this process wrote every result and affect-cache row
    assert run["affect_scored"] + run["affect_cache_hits"] == run["affect_texts"] > 0
    assert store_rows(dask_db, "affect_cache") == store_rows(tmp_path / "single.duckdb", "affect_cache")


def store_rows(db: Path, table: str) -> int:
    from qa_engine.store import Store

    return Store(db).query(f"SELECT count(*) AS n FROM {table}")["n"][0]


@pytest.mark.parametrize(
    ("workers", "address", "code"),
    [(2, "tcp://127.0.0.1:8786", "Q851"), (0, None, "Q852"), (None, "localhost", "Q853")],
)
def test_bad_dask_options_are_one_line_errors_before_any_work(workers, address, code) -> None:
    from flows.nightly import dask_runner, nightly_deployment
    from qa_engine.errors import QAError

    with pytest.raises(QAError, match=code):
        dask_runner(workers, address)
    with pytest.raises(QAError, match=code):
        nightly_deployment("inbox", "qa.duckdb", None, "0 2 * * *", workers=workers, dask_address=address)


def test_schedule_carries_the_dask_options_into_the_deployment(tmp_path: Path) -> None:
    from flows.nightly import nightly_deployment

    local = nightly_deployment(str(tmp_path), "qa.duckdb", None, "0 2 * * *", workers=4)
    assert local.parameters["workers"] == 4 and "dask_address" not in local.parameters
    remote = nightly_deployment(
        str(tmp_path), "qa.duckdb", None, "0 2 * * *", dask_address="tcp://10.0.0.5:8786"
    )
    assert remote.parameters["dask_address"] == "tcp://10.0.0.5:8786" and "workers" not in remote.parameters


def test_the_local_clusters_dashboard_listens_on_this_host_only() -> None:
    from distributed import LocalCluster

    from flows.nightly import dask_runner

    kwargs = dict(dask_runner(1, None).cluster_kwargs)
    assert kwargs["dashboard_address"].startswith("127.0.0.1:")
    with LocalCluster(**kwargs) as cluster:  # the nightly run's cluster, with one worker
        server = cluster.scheduler.http_server
        hosts = {sock.getsockname()[0] for sock in server._sockets.values()}
        assert hosts == {"127.0.0.1"}
        assert cluster.scheduler.services["dashboard"].port > 0
