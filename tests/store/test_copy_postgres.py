"""`qa store copy` between DuckDB and PostgreSQL: DuckDB -> PostgreSQL -> DuckDB arrives row for row in every table,
a PostgreSQL target with anything in it is refused, a failed copy leaves it empty, and the URL's password appears
in no output and no error."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import psycopg
import pytest
from polars.testing import assert_frame_equal

from qa_engine.auth.users import add_user
from qa_engine.errors import QAError
from qa_engine.review.db import ReviewDB
from qa_engine.store import postgres
from qa_engine.store.copy import copy_store

from .conftest import store_tables as _tables
from .conftest import table_contents as _contents

ENV = {
    **os.environ,
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "DO_NOT_TRACK": "1",
    "QA_TESTING": "1",
}


def test_duckdb_to_postgresql_to_duckdb_keeps_every_row(
    full_store: Path, pg_url: str, tmp_path: Path
) -> None:
    there = copy_store(full_store, pg_url, batch_rows=5)
    with psycopg.connect(pg_url) as con:
        assert set(postgres.tables(con)) == set(_tables(full_store))
        for table, n in there.tables.items():
            assert postgres.count(con, table) == n > 0, table
        assert postgres.count(con, "sessions") == 0
    back = tmp_path / "back.duckdb"
    returned = copy_store(pg_url, back, batch_rows=5)
    assert returned.tables == there.tables
    for table in _tables(full_store):
        if table == "sessions":
            continue
        assert_frame_equal(_contents(back, table), _contents(full_store, table), check_dtypes=True)


def test_a_postgresql_target_with_a_row_is_refused_and_a_failed_copy_leaves_it_empty(
    full_store: Path,
    pg_url: str,
    monkeypatch,
) -> None:
    import qa_engine.store.copy as copy_module

    real, calls = copy_module._copy_table, []

    def failing(src, dst, table, batch_rows):
        calls.append(table)
        if len(calls) == 5:
            raise RuntimeError("network gone")
        return real(src, dst, table, batch_rows)

    monkeypatch.setattr(copy_module, "_copy_table", failing)
    with pytest.raises(RuntimeError):
        copy_store(full_store, pg_url)
    with psycopg.connect(pg_url) as con:
        assert {t: postgres.count(con, t) for t in postgres.tables(con) if postgres.count(con, t)} == {}
    monkeypatch.setattr(copy_module, "_copy_table", real)

    with psycopg.connect(pg_url) as con:
        con.execute(
            "INSERT INTO users (username, password_hash, role, created_at) VALUES ('x', 'h', 'qa_lead', now())"
        )
    with pytest.raises(QAError) as refused:
        copy_store(full_store, pg_url)
    assert refused.value.code == "Q411" and "users (1 rows)" in str(refused.value)


def _qa(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "qa_engine", *args], capture_output=True, text=True, timeout=300, env=ENV
    )


def test_the_password_never_shows(full_store: Path, pg_url: str, tmp_path: Path) -> None:
    password = urlsplit(pg_url).password
    assert password
    done = _qa("store", "copy", "--from", str(full_store), "--to", pg_url)
    assert done.returncode == 0, done.stderr
    assert "copied" in done.stdout and password not in done.stdout + done.stderr
    again = _qa("store", "copy", "--from", str(full_store), "--to", pg_url)
    assert again.returncode == 2 and "Q411" in again.stderr and password not in again.stderr

    wrong = pg_url.replace(f":{password}@", ":not-the-Pa55word@")
    refused = _qa("store", "copy", "--from", wrong, "--to", str(tmp_path / "x.duckdb"))
    assert refused.returncode == 2 and len(refused.stderr.strip().splitlines()) == 1, refused.stderr
    assert "Q404" in refused.stderr and "not-the-Pa55word" not in refused.stderr
    assert "password authentication failed" in refused.stderr
    add_user(ReviewDB(tmp_path / "y.duckdb"), "someone", "long enough password", "qa_lead")
    store = tmp_path / "z.duckdb"
    back = _qa("store", "copy", "--from", pg_url, "--to", str(store), "--json")
    assert back.returncode == 0 and password not in back.stdout + back.stderr
