"""`qa store copy --from DB --to DB`: a whole store into an empty one (CONTRACT.md section 7), DuckDB or PostgreSQL
at either end (a pilot's DuckDB file into the team's PostgreSQL, or PostgreSQL into a DuckDB file as a backup).

Every table of the source is copied (results, runs, quarantine, reviews, disputes, users, coaching, KPI snapshots,
the affect cache, the audit log, login throttling), read from the source's own catalog so that a table added by a
later release is copied too; only `sessions` is left behind (a copy opens no one's browser session). The copy
streams Arrow record batches, so a large store never has to fit in memory, and it lands in one transaction: the
target holds the whole store, or nothing of it (its tables, created first, stay empty). The target must be empty
(fresh, or with tables and no row): merging two stores is not a copy.

The source is opened read-only and is not upgraded; the target is created with the current schema and upgraded
again after the copy, so a store made by an older release arrives with its new columns filled in as they would be
in place (`received_at` from `scored_at`, for one).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path

import pyarrow as pa

from qa_engine.errors import QAError
from qa_engine.store import postgres
from qa_engine.store.duck import Store
from qa_engine.store.location import describe, is_url, raw

EXCLUDED = frozenset({"sessions"})  # login sessions belong to the server they were opened on
BATCH_ROWS = 50_000


@dataclass(frozen=True)
class CopyResult:
    """Rows copied per table, in copy order."""

    tables: dict[str, int]

    @property
    def rows(self) -> int:
        return sum(self.tables.values())


@cache
def arrow_schemas() -> dict[str, pa.Schema]:
    """Each table's columns as Arrow types, from `schema.sql` in a scratch in-memory DuckDB: how rows read from
    PostgreSQL are typed (its jsonb back into the structs, its real[] into fixed-size lists)."""
    import duckdb

    con = duckdb.connect(":memory:")
    try:
        con.execute(resources.files("qa_engine.store").joinpath("schema.sql").read_text(encoding="utf-8"))
        names = [r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()]
        return {name: con.sql(f'SELECT * FROM "{name}" LIMIT 0').to_arrow_table().schema for name in names}
    finally:
        con.close()


class _Duck:
    """A DuckDB store file as either end of a copy."""

    def __init__(self, con) -> None:
        self.con = con

    def tables(self) -> list[str]:
        rows = self.con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' "
            "AND table_type = 'BASE TABLE' ORDER BY table_name"
        ).fetchall()
        return [name for (name,) in rows]

    def count(self, table: str) -> int:
        return self.con.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0]

    def read(self, table: str, batch_rows: int) -> Iterator[pa.RecordBatch]:
        yield from self.con.sql(f'SELECT * FROM "{table}"').to_arrow_reader(batch_rows)

    def append(self, table: str, batch: pa.RecordBatch) -> None:
        """By column name: an older source lacks newer columns, and they take their defaults."""
        self.con.register("copy_batch", batch)
        try:
            self.con.execute(f'INSERT INTO "{table}" BY NAME SELECT * FROM copy_batch')
        finally:
            self.con.unregister("copy_batch")

    def begin(self) -> None:
        self.con.begin()

    def commit(self) -> None:
        self.con.commit()

    def rollback(self) -> None:
        self.con.rollback()


class _Postgres(_Duck):
    """A PostgreSQL store as either end of a copy (psycopg opens the transaction with the first statement)."""

    def tables(self) -> list[str]:
        return postgres.tables(self.con)

    def count(self, table: str) -> int:
        return postgres.count(self.con, table)

    def read(self, table: str, batch_rows: int) -> Iterator[pa.RecordBatch]:
        schema = arrow_schemas().get(table)
        if schema is None:
            raise QAError("Q410", store=table, detail="a table this release does not know")
        yield from postgres.read_batches(self.con, table, schema, batch_rows)

    def append(self, table: str, batch: pa.RecordBatch) -> None:
        postgres.append(self.con, table, batch)

    def begin(self) -> None:
        pass


@contextlib.contextmanager
def _open(db: str | Path, write: bool) -> Iterator[_Duck]:
    if is_url(db):
        if write:
            postgres.init(raw(db))
        with postgres.connect(raw(db)) as con:
            yield _Postgres(con)
        return
    store = Store(db)
    if write:
        store.init()
    with store.connect(read_only=not write) as con:
        yield _Duck(con)


def _exists(db: str | Path) -> bool:
    return is_url(db) or Path(db).exists()


def _same(source: str | Path, target: str | Path) -> bool:
    if is_url(source) or is_url(target):
        return describe(source) == describe(target)
    return Path(target).exists() and Path(target).resolve() == Path(source).resolve()


def copy_store(source: str | Path, target: str | Path, batch_rows: int = BATCH_ROWS) -> CopyResult:
    """Copy every table but `sessions` from `source` into the empty store `target` (created when missing); either
    may be a DuckDB file or a PostgreSQL URL."""
    if not _exists(source):
        raise QAError("Q410", store=describe(source), detail="no such store")
    if _same(source, target):
        raise QAError("Q410", store=describe(target), detail="the source and the target are the same store")
    copied: dict[str, int] = {}
    with _open(source, write=False) as src, _open(target, write=True) as dst:
        target_tables = set(dst.tables())
        tables = [t for t in src.tables() if t not in EXCLUDED]
        unknown = [t for t in tables if t not in target_tables]
        if unknown:
            detail = (
                f"the source has tables this release does not know: {', '.join(unknown)} (upgrade qa-engine)"
            )
            raise QAError("Q410", store=describe(source), detail=detail)
        busy = {t: n for t in sorted(target_tables - EXCLUDED) if (n := dst.count(t))}
        if busy:
            listed = ", ".join(f"{t} ({n} rows)" for t, n in busy.items())
            raise QAError("Q411", store=describe(target), tables=listed)
        dst.begin()
        try:
            for table in tables:
                copied[table] = _copy_table(src, dst, table, batch_rows)
            for table in tables:  # a short count is an error, never a silent loss
                if (n := dst.count(table)) != copied[table]:
                    raise QAError(
                        "Q410", store=describe(target), detail=f"{table}: {n} rows arrived of {copied[table]}"
                    )
            dst.commit()
        except BaseException:
            dst.rollback()
            raise
    Store(target).init()  # the schema's in-place upgrades, now over the copied rows
    return CopyResult(copied)


def _copy_table(src: _Duck, dst: _Duck, table: str, batch_rows: int) -> int:
    """Stream one table's rows as Arrow batches."""
    n = 0
    for batch in src.read(table, batch_rows):
        if batch.num_rows:
            dst.append(table, batch)
            n += batch.num_rows
    return n
