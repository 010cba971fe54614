"""`qa store copy`: every table of a store, filled through the code that fills it in use, arrives whole in a new
store (compared row for row), login sessions excepted; a target that holds anything is refused untouched."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb
import polars as pl
import pytest
import typer
from polars.testing import assert_frame_equal
from typer.testing import CliRunner

from qa_engine.errors import QAError
from qa_engine.kpi.coaching import add_session
from qa_engine.kpi.snapshots import write_snapshot
from qa_engine.review.admin import set_disabled
from qa_engine.review.audit import Actor, AuditLog
from qa_engine.review.db import ReviewDB
from qa_engine.review.models import DisputeIn, ReviewIn
from qa_engine.review.reviews import add_dispute, add_review
from qa_engine.review.scope import scope_for
from qa_engine.review.sessions import start_session
from qa_engine.review.throttle import LoginThrottle
from qa_engine.review.users import User
from qa_engine.store import Store
from qa_engine.store.commands import app as store_app
from qa_engine.store.copy import copy_store
from tests.web.support import write_store

LEAD = User("lead", "qa_lead")
AGENT = User("agent1", "agent", "a-1", "T1")


def _tables(path: Path) -> list[str]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        rows = con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' ORDER BY 1"
        ).fetchall()
        return [r[0] for r in rows]
    finally:
        con.close()


def _contents(path: Path, table: str) -> pl.DataFrame:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.sql(f'SELECT * FROM "{table}" ORDER BY ALL').pl()
    finally:
        con.close()


@pytest.fixture(scope="module")
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
    empty = [t for t in _tables(path) if _contents(path, t).height == 0]
    assert empty == [], f"fill these tables in the fixture: {empty}"
    return path


def test_copy_moves_every_table_row_for_row_but_sessions(full_store: Path, tmp_path: Path) -> None:
    target = tmp_path / "new" / "copy.duckdb"
    result = copy_store(full_store, target, batch_rows=7)  # small batches: many per table
    tables = _tables(full_store)
    assert set(result.tables) == set(tables) - {"sessions"}
    assert _tables(target) == tables
    for table in tables:
        source, copied = _contents(full_store, table), _contents(target, table)
        if table == "sessions":
            assert source.height == 1 and copied.height == 0
            continue
        assert result.tables[table] == source.height > 0, table
        assert_frame_equal(copied, source, check_dtypes=True)
    # the copy is a working store: its users sign in, its reviews and disputes read back
    from qa_engine.review.users import authenticate
    from tests.web.support import PASSWORD

    assert authenticate(ReviewDB(target), "lead", PASSWORD) is not None
    assert authenticate(ReviewDB(target), "coach9", PASSWORD) is None  # still disabled
    assert Store(target).query("SELECT count(*) AS n FROM reviews WHERE ticket_id = 'R-1'")["n"][0] == 1


def test_a_target_with_anything_in_it_is_refused_untouched(full_store: Path, tmp_path: Path) -> None:
    target = tmp_path / "busy.duckdb"
    Store(target).init()
    ReviewDB(target)  # a store with one user only
    from qa_engine.review.users import add_user

    add_user(ReviewDB(target), "someone", "long enough password", "qa_lead")
    with pytest.raises(QAError) as refused:
        copy_store(full_store, target)
    assert refused.value.code == "Q411" and "users (1 rows)" in str(refused.value)
    assert [t for t in _tables(target) if _contents(target, t).height] == ["users"]
    with pytest.raises(QAError) as same:
        copy_store(full_store, full_store)
    assert same.value.code == "Q410"
    with pytest.raises(QAError) as missing:
        copy_store(tmp_path / "none.duckdb", tmp_path / "x.duckdb")
    assert missing.value.code == "Q410" and not (tmp_path / "x.duckdb").exists()


def test_a_failed_copy_leaves_the_target_empty(full_store: Path, tmp_path: Path, monkeypatch) -> None:
    """All or nothing: a copy that fails halfway (here: the fourth table) leaves no row behind, and a second try
    into the same target succeeds."""
    import qa_engine.store.copy as copy_module

    real, calls = copy_module._copy_table, []

    def failing(scon, dcon, table, batch_rows):
        calls.append(table)
        if len(calls) == 4:
            raise RuntimeError("disk full")
        return real(scon, dcon, table, batch_rows)

    target = tmp_path / "t.duckdb"
    monkeypatch.setattr(copy_module, "_copy_table", failing)
    with pytest.raises(RuntimeError):
        copy_store(full_store, target)
    assert [t for t in _tables(target) if _contents(target, t).height] == []
    monkeypatch.setattr(copy_module, "_copy_table", real)
    assert copy_store(full_store, target).rows > 0


def test_qa_store_copy_command(full_store: Path, tmp_path: Path) -> None:
    target = tmp_path / "cli.duckdb"
    runner, cli = CliRunner(), typer.Typer()
    cli.add_typer(store_app, name="store")  # as qa_engine.cli mounts it
    done = runner.invoke(cli, ["store", "copy", "--from", str(full_store), "--to", str(target), "--json"])
    assert done.exit_code == 0, done.output
    counts = json.loads(done.output)
    assert counts["tickets"] == _contents(full_store, "tickets").height and "sessions" not in counts
    again = runner.invoke(cli, ["store", "copy", "--from", str(full_store), "--to", str(target)])
    assert isinstance(again.exception, QAError) and again.exception.code == "Q411"


def test_a_store_of_an_older_release_is_copied_and_upgraded(full_store: Path, tmp_path: Path) -> None:
    """Columns the source lacks take their defaults in the copy, and the schema's in-place upgrades run over it."""
    import shutil

    old = tmp_path / "old.duckdb"
    shutil.copy(full_store, old)
    con = duckdb.connect(str(old))
    con.execute("ALTER TABLE users DROP COLUMN disabled")
    con.execute("UPDATE tickets SET received_at = NULL")  # a store from before received_at
    con.close()
    target = tmp_path / "new.duckdb"
    copy_store(old, target)
    assert _contents(target, "users")["disabled"].to_list() == [False] * _contents(old, "users").height
    tickets = _contents(target, "tickets")
    assert tickets["received_at"].null_count() == 0  # filled from scored_at, as an upgrade in place does
