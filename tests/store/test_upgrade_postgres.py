"""A PostgreSQL store made by an older release is upgraded in place (`PgStore.init`, run by every command that
writes): every column `schema.sql` adds with ALTER comes back with its default or its backfill, a table the older
release did not have is created, and no row is lost or changed."""

from __future__ import annotations

import re
import threading
from pathlib import Path

import psycopg
from polars.testing import assert_frame_equal

from qa_engine import paths
from qa_engine.store import Store, postgres
from qa_engine.store.copy import copy_store

# every `ALTER TABLE t ADD COLUMN IF NOT EXISTS c` of the schema: what a store from before that line lacks
_ADDED = re.compile(r"ALTER TABLE (\w+) ADD COLUMN IF NOT EXISTS (\w+)", re.IGNORECASE)
LATER_TABLE = "login_failures"  # a table a store from before login throttling does not have


def added_columns() -> list[tuple[str, str]]:
    schema = (Path(paths.__file__).parent / "store" / "schema.sql").read_text(encoding="utf-8")
    return _ADDED.findall(schema)


def columns(url: str, table: str) -> set[str]:
    with psycopg.connect(url) as con:
        rows = con.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = %s", [table]
        ).fetchall()
    return {name for (name,) in rows}


def contents(url: str, table: str, without: set[str]):
    with Store(url).connect(read_only=True) as con:
        keep = [c for c in con.table(table).columns if c not in without]
        return con.sql(f"SELECT {', '.join(keep)} FROM {table} ORDER BY {', '.join(keep[:3])}").pl()


def test_a_postgresql_store_of_an_older_release_is_upgraded_in_place(
    full_store: Path, pg_url: str, qa
) -> None:
    added = added_columns()
    assert len(added) >= 20 and ("users", "disabled") in added
    copy_store(full_store, pg_url)
    with psycopg.connect(pg_url, autocommit=True) as con:
        before = {t: postgres.count(con, t) for t in postgres.tables(con)}
        for table, column in added:
            con.execute(f"ALTER TABLE {table} DROP COLUMN {column} CASCADE")
        con.execute(f"DROP TABLE {LATER_TABLE}")
        con.execute("DROP FUNCTION epoch_us(timestamptz) CASCADE")  # pgcompat and the queue index on it
        con.execute("COMMENT ON TABLE tickets IS NULL")  # an older release left no schema mark
    assert "disabled" not in columns(pg_url, "users")
    old = {t: contents(pg_url, t, set()) for t in ("tickets", "turns", "reviews", "users")}

    # any command that opens the store for writing upgrades it: here `qa users list`
    code, out, err = qa("users", "list", "--json", "--db", pg_url)
    assert code == 0, err
    assert '"disabled": false' in out and '"disabled": true' not in out

    for table, column in added:
        assert column in columns(pg_url, table), (table, column)
    assert columns(pg_url, LATER_TABLE)
    with psycopg.connect(pg_url) as con:
        after = {t: postgres.count(con, t) for t in postgres.tables(con)}
        assert after == before | {LATER_TABLE: 0}  # every row kept
        assert (
            con.execute(
                "SELECT count(*) FROM tickets WHERE received_at IS DISTINCT FROM scored_at"
            ).fetchone()[0]
            == 0
        )  # backfilled: an older store's tickets were received when scored
        assert con.execute(
            "SELECT count(*) FROM turns WHERE text IS NOT NULL AND search_text IS NULL"
        ).fetchone() == (0,)
        assert con.execute("SELECT bool_or(disabled) FROM users").fetchone() == (False,)
        assert con.execute("SELECT epoch_us(now()) > 0").fetchone() == (True,)
        assert con.execute("SELECT to_regclass('tickets_queue') IS NOT NULL").fetchone() == (True,)
    for table, frame in old.items():
        assert_frame_equal(contents(pg_url, table, {c for t, c in added if t == table}), frame), table


def test_upgrading_an_upgraded_store_changes_nothing(full_store: Path, pg_url: str) -> None:
    copy_store(full_store, pg_url)
    first = {t: contents(pg_url, t, set()) for t in ("tickets", "turns", "users")}
    Store(pg_url).init()
    Store(pg_url).init()
    for table, frame in first.items():
        assert_frame_equal(contents(pg_url, table, set()), frame), table


def test_opening_a_current_store_waits_for_no_reader(pg_url: str) -> None:
    # every command and server worker opens the store; behind a long read (a report, a backup) an ALTER TABLE on
    # each open took an exclusive lock and froze the review app with it
    Store(pg_url).init()
    with psycopg.connect(pg_url) as reader:
        reader.execute("SELECT count(*) FROM tickets")  # a transaction left open, as a long report holds one
        opened = threading.Thread(target=Store(pg_url).init, daemon=True)
        opened.start()
        opened.join(timeout=30)
        blocked = opened.is_alive()
        reader.rollback()
    opened.join()
    assert not blocked, "opening the store waited for a reader"
    # an older store (no mark) is still upgraded: the mark comes with the upgrade
    with psycopg.connect(pg_url, autocommit=True) as con:
        con.execute("COMMENT ON TABLE tickets IS NULL")
        con.execute("ALTER TABLE tickets DROP COLUMN language_covered")
    Store(pg_url).init()
    assert "language_covered" in columns(pg_url, "tickets")
