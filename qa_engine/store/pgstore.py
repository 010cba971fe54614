"""The store on PostgreSQL: the same `Store` (its queries written once), over pooled `PgConnection`s.

`Store(location)` gives a `PgStore` when the location is a `postgresql://` URL. What differs from a DuckDB file is
only how a connection is opened and how the store is created: there is no file to wait for (PostgreSQL lets any
number of processes read and write at once; each batch is one transaction, so a reader sees a batch whole or not at
all), and `init` creates or upgrades the tables under an advisory lock, then defines the DuckDB functions the
queries call (`pgcompat.sql`).
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Iterator
from importlib import resources

from qa_engine.store import postgres
from qa_engine.store.duck import Store, upgrade_rows
from qa_engine.store.location import as_url, describe
from qa_engine.store.pgconn import PgConnection, connection


class PgLocation:
    """Where a PostgreSQL store is, standing in for a DuckDB store's path: shown without the password; it
    `exists()` once its tables have been created."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._exists = False

    def exists(self) -> bool:
        if not self._exists:
            with connection(self.url) as con:
                row = con.run_native("SELECT to_regclass('tickets') IS NOT NULL").fetchone()
            self._exists = bool(row and row[0])
        return self._exists

    def resolve(self) -> PgLocation:
        return self

    def __str__(self) -> str:
        return describe(self.url)

    __repr__ = __str__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, PgLocation) and other.url == self.url

    def __hash__(self) -> int:
        return hash(self.url)


class PgStore(Store):
    """A store in a PostgreSQL database (CONTRACT.md section 7)."""

    def __init__(self, path: str) -> None:
        self.url = as_url(path)
        self.path = PgLocation(self.url)  # type: ignore[assignment]

    @contextlib.contextmanager
    def connect(self, read_only: bool = False) -> Iterator[PgConnection]:  # type: ignore[override]
        """A pooled connection (PostgreSQL has no file lock to wait for: `read_only` changes nothing)."""
        with connection(self.url) as con:
            yield con

    def init(self) -> None:
        """Create missing tables, upgrade older ones in place and define the DuckDB functions the queries use, in
        one transaction under an advisory lock (two processes starting on a new database do not race).

        Once per schema: every `qa` command and every server worker opens the store through here, and `ALTER TABLE
        ... ADD COLUMN IF NOT EXISTS` takes an exclusive lock on its table even when the column exists, so behind a
        long read (a report, a backup) a mere `qa users list` froze the review app, and the row upgrades scanned
        every ticket each time. The schema's fingerprint is kept as the `tickets` table's comment (a catalog read, no
        table lock); a store that carries this release's fingerprint is left alone. (A row upgrade comes with the
        schema change that needs it, so a store marked with the current schema has none left to make.)"""
        compat = resources.files("qa_engine.store").joinpath("pgcompat.sql").read_text(encoding="utf-8")
        indexes = postgres.queue_indexes()
        marker = (
            "qa-engine schema "
            + hashlib.sha256("\n".join([postgres.pg_schema(), compat, *indexes]).encode()).hexdigest()[:16]
        )
        with self.connect() as con:
            (current,) = con.run_native(
                "SELECT obj_description(to_regclass('tickets'), 'pg_class')"
            ).fetchone()
            if current == marker:
                self.path._exists = True
                return
            con.begin()
            try:
                con.run_native("SELECT pg_advisory_xact_lock(%s)", [postgres.SCHEMA_LOCK])
                con.run_native(postgres.pg_schema())
                con.run_native(compat)
                for index in indexes:  # after pgcompat: they use epoch_us
                    con.run_native(index)
                upgrade_rows(con)
                con.run_native(f"COMMENT ON TABLE tickets IS '{marker}'")  # hex digits: nothing to escape
                con.commit()
            except BaseException:
                con.rollback()
                raise
        self.path._exists = True
