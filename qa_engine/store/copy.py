"""`qa store copy --from DB --to DB`: a whole store into an empty one (CONTRACT.md section 7).

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

from dataclasses import dataclass
from pathlib import Path

from qa_engine.errors import QAError
from qa_engine.store.duck import Store

EXCLUDED = frozenset({"sessions"})  # login sessions belong to the server they were opened on
BATCH_ROWS = 50_000


@dataclass(frozen=True)
class CopyResult:
    """Rows copied per table, in copy order."""

    tables: dict[str, int]

    @property
    def rows(self) -> int:
        return sum(self.tables.values())


def _tables(con) -> list[str]:
    rows = con.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' "
        "AND table_type = 'BASE TABLE' ORDER BY table_name"
    ).fetchall()
    return [name for (name,) in rows]


def _count(con, table: str) -> int:
    return con.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0]


def copy_store(source: str | Path, target: str | Path, batch_rows: int = BATCH_ROWS) -> CopyResult:
    """Copy every table but `sessions` from `source` into the empty store `target` (created when missing)."""
    src, dst = Store(source), Store(target)
    if not src.path.exists():
        raise QAError("Q410", store=src.path, detail="no such store")
    if dst.path.exists() and dst.path.resolve() == src.path.resolve():
        raise QAError("Q410", store=dst.path, detail="the source and the target are the same store")
    dst.init()
    copied: dict[str, int] = {}
    with src.connect(read_only=True) as scon, dst.connect() as dcon:
        target_tables = set(_tables(dcon))
        tables = [t for t in _tables(scon) if t not in EXCLUDED]
        unknown = [t for t in tables if t not in target_tables]
        if unknown:
            detail = (
                f"the source has tables this release does not know: {', '.join(unknown)} (upgrade qa-engine)"
            )
            raise QAError("Q410", store=src.path, detail=detail)
        busy = {t: n for t in sorted(target_tables - EXCLUDED) if (n := _count(dcon, t))}
        if busy:
            listed = ", ".join(f"{t} ({n} rows)" for t, n in busy.items())
            raise QAError("Q411", store=dst.path, tables=listed)
        dcon.begin()
        try:
            for table in tables:
                copied[table] = _copy_table(scon, dcon, table, batch_rows)
            for table in tables:  # a short count is an error, never a silent loss
                if (n := _count(dcon, table)) != copied[table]:
                    raise QAError(
                        "Q410", store=dst.path, detail=f"{table}: {n} rows arrived of {copied[table]}"
                    )
            dcon.commit()
        except BaseException:
            dcon.rollback()
            raise
    dst.init()  # the schema's in-place upgrades, now over the copied rows
    return CopyResult(copied)


def _copy_table(scon, dcon, table: str, batch_rows: int) -> int:
    """Stream one table's rows as Arrow batches, inserted by column name (an older source lacks newer columns:
    they take their defaults)."""
    reader = scon.sql(f'SELECT * FROM "{table}"').to_arrow_reader(batch_rows)
    n = 0
    for batch in reader:
        if not batch.num_rows:
            continue
        dcon.register("copy_batch", batch)
        try:
            dcon.execute(f'INSERT INTO "{table}" BY NAME SELECT * FROM copy_batch')
        finally:
            dcon.unregister("copy_batch")
        n += batch.num_rows
    return n
