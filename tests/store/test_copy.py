"""`qa store copy`: every table of a store, filled through the code that fills it in use, arrives whole in a new
store (compared row for row), login sessions excepted; a target that holds anything is refused untouched."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest
from polars.testing import assert_frame_equal
from typer.testing import CliRunner

from qa_engine.cli import app
from qa_engine.errors import QAError
from qa_engine.review.db import ReviewDB
from qa_engine.store import Store
from qa_engine.store.copy import copy_store

from .conftest import store_tables, table_contents

_tables, _contents = store_tables, table_contents


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
    from qa_engine.auth.users import authenticate
    from tests.review.support import PASSWORD

    assert authenticate(ReviewDB(target), "lead", PASSWORD) is not None
    assert authenticate(ReviewDB(target), "coach9", PASSWORD) is None  # still disabled
    assert Store(target).query("SELECT count(*) AS n FROM reviews WHERE ticket_id = 'R-1'")["n"][0] == 1


def test_a_target_with_anything_in_it_is_refused_untouched(full_store: Path, tmp_path: Path) -> None:
    target = tmp_path / "busy.duckdb"
    Store(target).init()
    ReviewDB(target)  # a store with one user only
    from qa_engine.auth.users import add_user

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
    runner, cli = CliRunner(), app  # the `qa` command: only `qa store`'s module loads
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
