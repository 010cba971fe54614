"""A store with a row in every table (`full_store`), and PostgreSQL for the store's tests: a fresh database per test, made from the server that `scripts/postgres.sh`
starts (its URL in QA_TEST_PG_URL; scripts/test.sh and CI set it). Without it the PostgreSQL tests are skipped on
a developer's machine and fail under CI, so a CI run can never pass them by skipping."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import duckdb
import polars as pl
import pytest

from qa_engine.auth.admin import set_disabled
from qa_engine.auth.sessions import start_session
from qa_engine.auth.throttle import LoginThrottle
from qa_engine.auth.users import User
from qa_engine.kpi.coaching_loop import add_session
from qa_engine.kpi.snapshots import write_snapshot
from qa_engine.review.audit import Actor, AuditLog
from qa_engine.review.db import ReviewDB
from qa_engine.review.models import DisputeIn, ReviewIn
from qa_engine.review.reviews import add_dispute, add_review
from qa_engine.review.scope import scope_for
from qa_engine.store import Store
from tests.pgsupport import drop_database
from tests.review.support import write_store

PG_ENV = "QA_TEST_PG_URL"
LEAD = User("lead", "qa_lead")
AGENT = User("agent1", "agent", "a-1", "T1")


def store_tables(path: Path) -> list[str]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        rows = con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' ORDER BY 1"
        ).fetchall()
        return [r[0] for r in rows]
    finally:
        con.close()


def table_contents(path: Path, table: str) -> pl.DataFrame:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.sql(f'SELECT * FROM "{table}" ORDER BY ALL').pl()
    finally:
        con.close()


@pytest.fixture(scope="session")
def full_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store with a row in every table, each written by the code that writes it in use."""
    path = tmp_path_factory.mktemp("copy") / "source.duckdb"
    write_store(path)  # tickets, turns, rule results, users
    store, db = Store(path), ReviewDB(path)
    run_id = store.start_run(["in.jsonl"], "pack-1", {"sentiment": "m"})
    store.finish_run(run_id, "finished", {"read": 1}, {"seconds": 1.0})
    store.write_quarantine(
        pl.DataFrame(
            {"run_id": [run_id], "source": ["in.jsonl"], "location": ["line 3"], "reason": ["missing_turns"],
             "detail": ["no turns"], "record": ['{"ticket_id": "Q-1"}'], "ticket_id": ["Q-1"],
             "quarantined_at": [datetime(2026, 11, 2, tzinfo=UTC)]}
        )
    )  # fmt: skip
    review = add_review(db, LEAD, scope_for(LEAD), "R-1", ReviewIn(tier="green", comment="fine", version=0))
    assert review["version"] == 1
    add_dispute(db, AGENT, scope_for(AGENT), "R-1", DisputeIn(comment="I disagree"))
    add_session(path, "a-1", date(2026, 11, 10), ["closing_thanks"], note="first note", coach="coach1")
    add_session(path, "a-1", date(2026, 11, 10), ["closing_thanks"], note="second note", coach="coach1")
    assert write_snapshot(path, date(2026, 11, 20)) > 0
    start_session(db, AGENT)
    throttle = LoginThrottle()
    throttle.begin(db, "agent1", "10.0.0.9")  # a login attempt on record (a failure until it succeeds)
    attempt = throttle.begin(db, "lead", "10.0.0.8")
    throttle.succeeded(db, attempt)  # a known client
    AuditLog().record(
        db, username=None, method="GET", path="/api/tickets", status=401, code="Q610", reason="no session",
        client="10.0.0.7",
    )  # fmt: skip
    set_disabled(db, "coach9", True, Actor.cli("qa users disable coach9"))
    with store.connect() as con:
        con.execute(
            "INSERT INTO affect_cache VALUES ('k1', 'm1', [0.1, 0.2, 0.7], [0.1, 0.1, 0.1, 0.4, 0.1, 0.1, 0.1], "
            "NULL, '\\x00\\x01'::BLOB, now())"
        )
    empty = [t for t in store_tables(path) if table_contents(path, t).height == 0]
    assert empty == [], f"fill these tables in the fixture: {empty}"
    return path


@pytest.fixture(scope="session")
def pg_server() -> str:
    url = os.environ.get(PG_ENV)
    if not url:
        message = f"{PG_ENV} is not set: run `export {PG_ENV}=$(./scripts/postgres.sh)`"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return url


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


@pytest.fixture
def pg_url(pg_server: str) -> Iterator[str]:
    """The URL of a new, empty database, dropped after the test."""
    import psycopg

    name = f"qa_t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(pg_server, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    url = _with_database(pg_server, name)
    try:
        yield url
    finally:  # waits out an autovacuum worker still on the database (a busy machine makes one likely)
        drop_database(pg_server, url)
