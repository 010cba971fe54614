"""A PostgreSQL store while a real `qa score` writes it: eight reviewers save reviews through the API at the same time
and every review is kept (none refused for a lock, none lost; latencies printed), and a scoring run killed half-way
and run again leaves every ticket stored once, with all its turns and rule results."""

from __future__ import annotations

import json
import os
import signal
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from qa_engine import paths
from qa_engine.auth.users import FAST_HASH_ENV, add_user
from qa_engine.review.db import ReviewDB
from qa_engine.store import Store
from qa_engine.store.copy import copy_store
from qa_engine.web.app import create_app

pytestmark = pytest.mark.slow  # real scoring runs of 74 and 148 tickets: about two minutes

REVIEWERS = 8
PASSWORD = "correct horse battery"
ENV = {
    **os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "DO_NOT_TRACK": "1",
    "PYTHONPATH": str(Path(__file__).resolve().parents[2]),
}  # fmt: skip


def _tickets(path: Path, copies: int) -> int:
    """The bundled examples `copies` times over, each copy under new ticket ids."""
    examples = [
        json.loads(line)
        for line in paths.examples_dir().joinpath("tickets.jsonl").read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    with path.open("w", encoding="utf-8") as out:
        for n in range(copies):
            for ticket in examples:
                out.write(
                    json.dumps({**ticket, "ticket_id": f"{ticket['ticket_id']}-c{n}"}, ensure_ascii=False)
                )
                out.write("\n")
    return copies * len(examples)


def _score(inputs: Path, url: str, *extra: str) -> subprocess.Popen:
    """`qa score` into the PostgreSQL store, the URL in QA_DB as a team's nightly job gives it (a URL on the command
    line would show its password in the process list)."""
    return subprocess.Popen(
        [sys.executable, "-m", "qa_engine", "score", str(inputs), "--batch-size", "10", *extra],
        env={**ENV, "QA_DB": url}, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def _count(url: str, sql: str) -> int:
    with Store(url).connect() as con:
        return con.execute(sql).fetchone()[0]


def test_reviews_saved_during_a_scoring_run_are_all_kept(pg_url: str, scored_examples) -> None:
    os.environ.setdefault(FAST_HASH_ENV, "1")
    inputs = paths.examples_dir() / "tickets.jsonl"
    # the examples as scored once for the suite (a copy): the tickets under review
    copy_store(scored_examples.db, pg_url)
    db = ReviewDB(pg_url)
    for k in range(REVIEWERS):
        add_user(db, f"lead{k}", PASSWORD, "qa_lead")
    with Store(pg_url).connect() as con:
        ids = [r[0] for r in con.execute("SELECT ticket_id FROM tickets ORDER BY ticket_id").fetchall()]
    app = create_app(pg_url)

    run = _score(inputs, pg_url, "--force")  # re-scores (deletes and writes) the very tickets being reviewed
    latencies: list[float] = []
    failures: list[str] = []
    saved = [0] * REVIEWERS

    def reviewer(k: int) -> None:
        client = TestClient(app, raise_server_exceptions=False)
        login = client.post("/api/login", json={"username": f"lead{k}", "password": PASSWORD})
        csrf = login.json()["csrf_token"]
        mine = ids[k::REVIEWERS]
        version = dict.fromkeys(mine, 0)
        while run.poll() is None or saved[k] < 2 * len(mine):
            for ticket_id in mine:
                body = {"tier": "yellow", "comment": f"{k}", "version": version[ticket_id]}
                start = time.perf_counter()
                response = client.post(
                    f"/api/tickets/{ticket_id}/reviews", json=body, headers={"X-CSRF-Token": csrf}
                )
                latencies.append(time.perf_counter() - start)
                if response.status_code != 201:
                    failures.append(f"{ticket_id}: {response.status_code} {response.text}")
                    return
                version[ticket_id] += 1
                saved[k] += 1
            if saved[k] > 40 * len(mine):
                break

    threads = [threading.Thread(target=reviewer, args=(k,)) for k in range(REVIEWERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=900)
    assert run.wait(timeout=600) == 0, run.stderr.read()
    assert failures == []
    assert _count(pg_url, "SELECT count(*) FROM reviews") == sum(saved)
    assert _count(pg_url, "SELECT count(*) FROM runs WHERE status = 'finished'") == 2
    latencies.sort()
    p95 = latencies[int(0.95 * (len(latencies) - 1))]
    print(
        f"\n{sum(saved)} reviews by {REVIEWERS} reviewers during a scoring run: "
        f"median {statistics.median(latencies) * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms, max {latencies[-1] * 1000:.0f} ms"
    )


def test_a_killed_scoring_run_rerun_stores_every_ticket_once(pg_url: str, tmp_path: Path) -> None:
    inputs = tmp_path / "tickets.jsonl"
    expected = _tickets(inputs, 2)
    turns = sum(len(json.loads(line)["turns"]) for line in inputs.read_text(encoding="utf-8").splitlines())
    run = _score(inputs, pg_url)
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline and run.poll() is None:
        try:
            if _count(pg_url, "SELECT count(*) FROM tickets") >= 20:
                break
        except Exception:  # the run has not created the tables yet
            pass
        time.sleep(0.2)
    assert run.poll() is None, "the run ended before it could be killed"
    run.send_signal(signal.SIGKILL)
    run.wait()
    stored = _count(pg_url, "SELECT count(*) FROM tickets")
    assert 0 < stored < expected
    rerun = _score(inputs, pg_url)
    assert rerun.wait(timeout=600) == 0, rerun.stderr.read()
    assert _count(pg_url, "SELECT count(*) FROM tickets") == expected
    assert _count(pg_url, "SELECT count(DISTINCT ticket_id) FROM tickets") == expected
    assert _count(pg_url, "SELECT count(*) FROM turns") == turns
    assert _count(
        pg_url, "SELECT count(*) FROM (SELECT DISTINCT ticket_id, rule_id FROM rule_results) AS x"
    ) == (_count(pg_url, "SELECT count(*) FROM rule_results"))
    assert _count(pg_url, "SELECT count(*) FROM tickets t WHERE NOT EXISTS "
                  "(SELECT 1 FROM rule_results r WHERE r.ticket_id = t.ticket_id)") == 0  # fmt: skip
    # the rerun scored only what the killed run had not stored
    summary = _count(pg_url, "SELECT n_unchanged FROM runs WHERE status = 'finished'")
    assert summary == stored


@pytest.fixture(autouse=True)
def _quiet_pools() -> None:
    """Each test's pools close before its database is dropped (tests/store/conftest.py drops it)."""
    yield
    from qa_engine.store.pgconn import close_pools

    close_pools()
