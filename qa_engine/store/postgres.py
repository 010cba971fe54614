"""A PostgreSQL store's tables, through psycopg 3: the schema, connections, and rows in and out as Arrow.

One schema for both backends: `schema.sql` is written in the SQL that DuckDB and PostgreSQL share (CREATE ... IF NOT
EXISTS, ALTER TABLE ... ADD COLUMN IF NOT EXISTS, plain UPDATEs), and `pg_schema` maps its few DuckDB-only types:
VARCHAR[] to text[], FLOAT[n] to real[], STRUCT(...) to jsonb (an evidence span or the seven emotion scores, read
back as the same struct), BLOB to bytea, DOUBLE to double precision. Creating or upgrading the tables takes a
transaction-scoped advisory lock, so two processes that start on a new database at once do not race.

A URL's password never leaves this module in a message: every error is re-raised as Q404 with the URL described
without credentials (`location.describe`) and the driver's text passed through `location.redact`.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from functools import cache
from importlib import resources

import pyarrow as pa

from qa_engine.errors import QAError
from qa_engine.store.location import describe, redact

SCHEMA_LOCK = 0x71A5C4E1  # pg_advisory_xact_lock key while the schema is created or upgraded
_TYPES = (
    (re.compile(r"\bSTRUCT\([^)]*\)", re.IGNORECASE), "JSONB"),
    (re.compile(r"\bVARCHAR\[\]", re.IGNORECASE), "TEXT[]"),
    (re.compile(r"\bFLOAT\[\d*\]", re.IGNORECASE), "REAL[]"),
    (re.compile(r"\bVARCHAR\b", re.IGNORECASE), "TEXT"),
    (re.compile(r"\bDOUBLE\b(?! PRECISION)", re.IGNORECASE), "DOUBLE PRECISION"),
    (re.compile(r"\bFLOAT\b", re.IGNORECASE), "REAL"),
    (re.compile(r"\bBLOB\b", re.IGNORECASE), "BYTEA"),
)


def _strip_comments(sql: str) -> str:
    return "\n".join(line.split("--", 1)[0] for line in sql.splitlines())


@cache
def pg_schema() -> str:
    """`schema.sql` in PostgreSQL's types (see the module docstring)."""
    sql = _strip_comments(
        resources.files("qa_engine.store").joinpath("schema.sql").read_text(encoding="utf-8")
    )
    for pattern, replacement in _TYPES:
        sql = pattern.sub(replacement, sql)
    return sql


def queue_indexes() -> list[str]:
    """Indexes for the review queue's keyset pages on PostgreSQL, whose planner (unlike DuckDB's top-N) needs an
    index on the very sort expressions to read a page without sorting every ticket: built from the queue's own
    expressions (`review/queue.py`), translated as its queries are (DESC NULLS LAST, as DuckDB sorts), so that the
    planner matches them. Also the
    rule filter's lookup (`rule_id` failed). Measured in docs/postgres.md."""
    import sqlglot
    from sqlglot import exp

    from qa_engine.review.queue import RANK_SQL, RISK_SQL, TIME_SQL
    from qa_engine.store.pgsql import to_postgres

    def keys(*parts: str) -> str:
        select = sqlglot.parse_one(
            to_postgres(f"SELECT {', '.join(parts)} FROM tickets AS t"), read="postgres"
        )
        for column in select.find_all(exp.Column):
            column.set("table", None)
        return ", ".join(f"({e.sql('postgres')})" for e in select.expressions)

    rank, time_, risk = keys(RANK_SQL), keys(TIME_SQL), keys(RISK_SQL)
    return [
        f"CREATE INDEX IF NOT EXISTS tickets_queue ON tickets ({rank}, {time_} DESC NULLS LAST, ticket_id)",
        f"CREATE INDEX IF NOT EXISTS tickets_queue_risk ON tickets ({rank}, {risk} DESC NULLS LAST, {time_} DESC NULLS LAST, ticket_id)",
        "CREATE INDEX IF NOT EXISTS rule_results_rule ON rule_results (rule_id, outcome)",
    ]


def _error(url: str, exc: Exception) -> QAError:
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return QAError("Q404", path=describe(url), detail=redact(first))


@contextlib.contextmanager
def connect(url: str) -> Iterator:
    """A psycopg connection (a transaction opens with the first statement); errors as Q404 without the password."""
    import psycopg

    try:
        con = psycopg.connect(url, connect_timeout=30, application_name="qa-engine")
    except psycopg.Error as exc:
        raise _error(url, exc) from None
    try:
        yield con
    except psycopg.Error as exc:
        with contextlib.suppress(psycopg.Error):
            con.rollback()
        raise _error(url, exc) from None
    finally:
        con.close()


def init(url: str) -> None:
    """Create missing tables and upgrade older ones in place, in one transaction (safe on an existing store)."""
    with connect(url) as con, con.transaction():
        con.execute("SELECT pg_advisory_xact_lock(%s)", [SCHEMA_LOCK])
        con.execute(pg_schema())


def tables(con) -> list[str]:
    rows = con.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() "
        "AND table_type = 'BASE TABLE' ORDER BY table_name"
    ).fetchall()
    return [name for (name,) in rows]


def count(con, table: str) -> int:
    return con.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0]


def columns(con, table: str) -> dict[str, str]:
    """column -> PostgreSQL type name (`jsonb`, `ARRAY`, `text`...), in table order."""
    rows = con.execute(
        "SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = current_schema() "
        "AND table_name = %s ORDER BY ordinal_position",
        [table],
    ).fetchall()
    return dict(rows)


def read_batches(con, table: str, schema: pa.Schema, batch_rows: int) -> Iterator[pa.RecordBatch]:
    """The table's rows as Arrow batches of `schema` (the DuckDB side's types; jsonb comes back as its struct)."""
    names = [name for name in columns(con, table) if name in schema.names]
    wanted = pa.schema([schema.field(name) for name in names])
    listed = ", ".join(f'"{n}"' for n in names)
    with con.cursor(name=f"read_{table}") as cur:  # a server-side cursor: the table is never all in memory
        cur.execute(f'SELECT {listed} FROM "{table}"')
        while rows := cur.fetchmany(batch_rows):
            yield pa.RecordBatch.from_pylist(
                [dict(zip(names, row, strict=True)) for row in rows], schema=wanted
            )


def append(con, table: str, batch: pa.RecordBatch) -> None:
    """Append a batch by column name with COPY (columns the table lacks are an error; missing ones take defaults)."""
    from psycopg.types.json import Jsonb

    types = columns(con, table)
    missing = [name for name in batch.schema.names if name not in types]
    if missing:
        raise QAError("Q410", store=table, detail=f"columns {missing} are not in the PostgreSQL table")
    names = batch.schema.names
    as_json = [types[name] == "jsonb" for name in names]
    listed = ", ".join(f'"{n}"' for n in names)
    with con.cursor() as cur, cur.copy(f'COPY "{table}" ({listed}) FROM STDIN') as copy:
        for row in batch.to_pylist():
            copy.write_row(
                [
                    Jsonb(row[n]) if j and row[n] is not None else row[n]
                    for n, j in zip(names, as_json, strict=True)
                ]
            )
