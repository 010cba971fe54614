"""A PostgreSQL connection that the store's code can use as it uses a DuckDB one.

The store, the review app, the KPIs and the reports call a small part of a DuckDB connection: `execute(sql, [?
params])` and `sql(...)` with `fetchone` / `fetchall` / `.pl()` on the result, `executemany`, `register(name,
arrow)` and `unregister`, `table(name).columns`, and `begin` / `commit` / `rollback`. `PgConnection` offers the
same calls over a psycopg 3 connection, so each query is written once (in DuckDB's SQL, translated by `pgsql`):

- like DuckDB, a statement outside `begin()` commits on its own (the psycopg connection is in autocommit mode and
  `begin` opens a transaction explicitly);
- `register` makes a temporary table of the Arrow data (COPY), dropped by `unregister` or when the connection goes
  back to its pool;
- numeric results (`sum` of a bigint, `avg`) come back as floats, times in UTC, as DuckDB's do.

Connections come from one `psycopg_pool` pool per database and process (`pool_for`): `qa serve` answers requests on
many threads, each borrowing a connection for one request. The pool's size is `QA_PG_POOL_SIZE` (default 10). The
first connection to a URL is opened directly, so a wrong password or host fails at once with the driver's message
(its password removed), not after a pool's timeout.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import re
import threading
from collections.abc import Iterator, Sequence
from typing import Any

import polars as pl
import pyarrow as pa

from qa_engine.errors import QAError
from qa_engine.store.location import describe, redact
from qa_engine.store.pgsql import bind, to_postgres

POOL_SIZE_ENV = "QA_PG_POOL_SIZE"
_BY_NAME = re.compile(
    r"\s*INSERT\s+(?P<ignore>OR\s+IGNORE\s+)?INTO\s+(?P<target>\"?\w+\"?)\s+BY\s+NAME\s+SELECT\s+\*\s+FROM\s+"
    r"(?P<source>\"?\w+\"?)\s*$",
    re.IGNORECASE,
)
_POOLS: dict[tuple[int, str], Any] = {}
_POOLS_GUARD = threading.Lock()

# PostgreSQL type oid -> polars type of a result column (others are inferred from the values)
_POLARS = {
    16: pl.Boolean, 20: pl.Int64, 21: pl.Int16, 23: pl.Int32, 25: pl.String, 1043: pl.String, 19: pl.String,
    700: pl.Float32, 701: pl.Float64, 1700: pl.Float64, 1082: pl.Date, 1184: pl.Datetime("us", "UTC"),
    1114: pl.Datetime("us"), 17: pl.Binary, 1009: pl.List(pl.String), 1015: pl.List(pl.String),
    1021: pl.List(pl.Float32), 1022: pl.List(pl.Float64), 1016: pl.List(pl.Int64), 1007: pl.List(pl.Int32),
    1000: pl.List(pl.Boolean),
}  # fmt: skip


def _pg_type(dtype: pa.DataType) -> str:
    """The column type of a temporary table that holds Arrow data of this type."""
    if pa.types.is_dictionary(dtype):
        return _pg_type(dtype.value_type)
    if pa.types.is_string(dtype) or pa.types.is_large_string(dtype) or pa.types.is_string_view(dtype):
        return "text"
    if pa.types.is_null(dtype):
        return "text"
    if pa.types.is_boolean(dtype):
        return "boolean"
    if pa.types.is_int8(dtype) or pa.types.is_int16(dtype) or pa.types.is_uint8(dtype):
        return "smallint"
    if pa.types.is_int32(dtype) or pa.types.is_uint16(dtype):
        return "integer"
    if pa.types.is_integer(dtype):
        return "bigint"
    if pa.types.is_float32(dtype) or pa.types.is_float16(dtype):
        return "real"
    if pa.types.is_floating(dtype):
        return "double precision"
    if pa.types.is_decimal(dtype):
        return "numeric"
    if pa.types.is_timestamp(dtype):
        return "timestamptz" if dtype.tz else "timestamp"
    if pa.types.is_date(dtype):
        return "date"
    if pa.types.is_time(dtype):
        return "time"
    if pa.types.is_duration(dtype):
        return "interval"
    if pa.types.is_binary(dtype) or pa.types.is_large_binary(dtype) or pa.types.is_binary_view(dtype):
        return "bytea"
    if pa.types.is_list(dtype) or pa.types.is_large_list(dtype) or pa.types.is_fixed_size_list(dtype):
        return _pg_type(dtype.value_type) + "[]"
    if pa.types.is_list_view(dtype) or pa.types.is_large_list_view(dtype):
        return _pg_type(dtype.value_type) + "[]"
    if pa.types.is_struct(dtype) or pa.types.is_map(dtype):
        return "jsonb"
    raise QAError("Q410", store="PostgreSQL", detail=f"no PostgreSQL column type for Arrow type {dtype}")


def _arrow(data: Any) -> pa.Table:
    if isinstance(data, pa.Table):
        return data
    if isinstance(data, pa.RecordBatch):
        return pa.Table.from_batches([data])
    if isinstance(data, pl.DataFrame):
        return data.to_arrow()
    raise TypeError(f"cannot register {type(data).__name__} in a PostgreSQL store")


class StoreQueryError(RuntimeError):
    """A statement PostgreSQL refused (not a connection failure): the message without the URL's password."""


class Result:
    """A statement's result, read like DuckDB's: fetchone, fetchall, .pl()."""

    def __init__(self, cursor: Any) -> None:
        self._cursor = cursor
        self.description = cursor.description

    @property
    def columns(self) -> list[str]:
        return [c.name for c in self.description or ()]

    def fetchone(self) -> tuple | None:
        return self._cursor.fetchone() if self.description else None

    def fetchall(self) -> list[tuple]:
        return self._cursor.fetchall() if self.description else []

    def fetchmany(self, size: int = 1) -> list[tuple]:
        return self._cursor.fetchmany(size) if self.description else []

    def pl(self) -> pl.DataFrame:
        rows = self.fetchall()
        names = self.columns
        schema = {
            name: _POLARS.get(c.type_code) for name, c in zip(names, self.description or (), strict=True)
        }
        if not rows:
            return pl.DataFrame({n: pl.Series(n, [], dtype=t or pl.Null) for n, t in schema.items()})
        columns = list(zip(*rows, strict=True))
        return pl.DataFrame(
            [
                pl.Series(n, list(col), dtype=schema[n], strict=False)
                for n, col in zip(names, columns, strict=True)
            ]
        )

    def arrow(self) -> pa.Table:
        return self.pl().to_arrow()

    to_arrow_table = arrow


class _Table:
    def __init__(self, columns: list[str]) -> None:
        self.columns = columns


class PgConnection:
    """A psycopg connection with the calls of a DuckDB connection that the store's code makes (module docstring)."""

    def __init__(self, con: Any, url: str) -> None:
        self.raw = con
        self.url = url
        self._registered: dict[str, list[str]] = {}  # temporary table -> its columns

    # statements -------------------------------------------------------------------------------------------------
    def execute(self, sql: str, params: Sequence | dict | None = None) -> Result:
        return self._run(sql, params)

    def sql(self, sql: str, params: Sequence | dict | None = None) -> Result:
        return self._run(sql, params)

    def executemany(self, sql: str, rows: Sequence[Sequence]) -> None:
        with self._errors():
            cur = self.raw.cursor()
            cur.executemany(to_postgres(sql), [bind(row) for row in rows])

    def _run(self, sql: str, params: Sequence | dict | None) -> Result:
        text = self._by_name(sql) or to_postgres(sql)
        with self._errors():
            cur = self.raw.cursor()
            cur.execute(text, bind(params))
            return Result(cur)

    def run_native(self, sql: str, params: Sequence | dict | None = None) -> Result:
        """PostgreSQL's own SQL (psycopg's %s parameters), not translated."""
        with self._errors():
            cur = self.raw.cursor()
            cur.execute(sql, params)
            return Result(cur)

    def _by_name(self, sql: str) -> str | None:
        """`INSERT [OR IGNORE] INTO t BY NAME SELECT * FROM registered`: the registered table's columns named."""
        match = _BY_NAME.match(sql)
        if match is None:
            return None
        columns = self._registered.get(match["source"].strip('"'))
        if columns is None:
            raise QAError("Q404", path=describe(self.url), detail=f"no registered table {match['source']}")
        target = match["target"].strip('"')
        types = dict(
            self.run_native(
                "SELECT attname, format_type(atttypid, atttypmod) FROM pg_attribute "
                "WHERE attrelid = to_regclass(%s) AND attnum > 0 AND NOT attisdropped",
                [target],
            ).fetchall()
        )
        # cast to the target's types: a column of nulls only is text in the temporary table
        listed = ", ".join(f'"{c}"' for c in columns)
        values = ", ".join(f'CAST("{c}" AS {types[c]})' if c in types else f'"{c}"' for c in columns)
        conflict = " ON CONFLICT DO NOTHING" if match["ignore"] else ""
        source = match["source"].strip('"')
        return f'INSERT INTO "{target}" ({listed}) SELECT {values} FROM "{source}"{conflict}'

    @contextlib.contextmanager
    def _errors(self) -> Iterator[None]:
        import psycopg

        try:
            yield
        except psycopg.Error as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            if isinstance(
                exc, psycopg.OperationalError | psycopg.InterfaceError
            ):  # the server, not the query
                raise QAError("Q404", path=describe(self.url), detail=redact(first)) from None
            # a query the store refuses (a missing table, a constraint): a fault inside, as DuckDB's would be
            raise StoreQueryError(redact(first)) from None

    # transactions -------------------------------------------------------------------------------------------------
    def begin(self) -> None:
        self.run_native("BEGIN")

    def commit(self) -> None:
        self.run_native("COMMIT")

    def rollback(self) -> None:
        self.run_native("ROLLBACK")

    @property
    def in_transaction(self) -> bool:
        from psycopg.pq import TransactionStatus

        return self.raw.info.transaction_status != TransactionStatus.IDLE

    def lock(self, key: str) -> None:
        """Serialize writers of one thing (a ticket's review versions) until this transaction ends."""
        self.run_native("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", [key])

    # Arrow data as tables ----------------------------------------------------------------------------------------
    def register(self, name: str, data: Any) -> None:
        """A temporary table `name` holding the rows of an Arrow table or polars frame (replacing one before)."""
        table = _arrow(data)
        types = [_pg_type(f.type) for f in table.schema]
        listed = ", ".join(f'"{n}" {t}' for n, t in zip(table.schema.names, types, strict=True))
        self.unregister(name)
        self.run_native(f'CREATE TEMP TABLE "{name}" ({listed})')
        self._registered[name] = list(table.schema.names)
        if table.num_rows:
            self._copy(name, table, types)

    def _copy(self, name: str, table: pa.Table, types: list[str]) -> None:
        from psycopg.types.json import Jsonb

        as_json = [t == "jsonb" for t in types]
        names = table.schema.names
        listed = ", ".join(f'"{n}"' for n in names)
        with (
            self._errors(),
            self.raw.cursor() as cur,
            cur.copy(f'COPY "{name}" ({listed}) FROM STDIN') as copy,
        ):
            copy.set_types(types)
            for batch in table.to_batches(max_chunksize=10_000):
                columns = [batch.column(i).to_pylist() for i in range(batch.num_columns)]
                for row in zip(*columns, strict=True):
                    copy.write_row(
                        [Jsonb(v) if j and v is not None else v for v, j in zip(row, as_json, strict=True)]
                    )

    def unregister(self, name: str) -> None:
        if name in self._registered:
            self.run_native(f'DROP TABLE IF EXISTS pg_temp."{name}"')
            del self._registered[name]

    def table(self, name: str) -> _Table:
        rows = self.run_native(
            "SELECT column_name FROM information_schema.columns WHERE table_name = %s "
            "AND table_schema IN (current_schema(), 'pg_temp') ORDER BY ordinal_position",
            [name],
        ).fetchall()
        return _Table([r[0] for r in rows])

    def release(self) -> None:
        """Before the connection goes back to its pool: no open transaction, no temporary table."""
        if self.in_transaction:
            self.rollback()
        for name in list(self._registered):
            self.unregister(name)


def _configure(con: Any) -> None:
    """Each new connection: autocommit (DuckDB's behaviour outside `begin`), UTC, numeric read as float."""
    from psycopg.types.numeric import FloatLoader
    from psycopg.types.string import StrDumper

    con.autocommit = True
    con.adapters.register_dumper(
        str, StrDumper
    )  # a str parameter is text, as in DuckDB (lists of them text[])
    con.execute("SET TIME ZONE 'UTC'")
    con.adapters.register_loader("numeric", FloatLoader)


def _check(url: str) -> None:
    """Open one connection directly: a bad URL, host or password fails now with the driver's message."""
    import psycopg

    try:
        psycopg.connect(url, connect_timeout=30, application_name="qa-engine").close()
    except psycopg.Error as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise QAError("Q404", path=describe(url), detail=redact(first)) from None


def pool_for(url: str) -> Any:
    """This process's connection pool for the database at `url` (made on first use)."""
    with _POOLS_GUARD:
        key = (os.getpid(), url)  # a forked child makes its own: the parent's connections are not its to use
        pool = _POOLS.get(key)
        if pool is None:
            from psycopg_pool import ConnectionPool

            _check(url)
            size = int(os.environ.get(POOL_SIZE_ENV, "10"))
            pool = ConnectionPool(
                url, min_size=1, max_size=max(size, 1), configure=_configure, open=True, timeout=120,
                kwargs={"connect_timeout": 30, "application_name": "qa-engine"}, name="qa-store",
            )  # fmt: skip
            _POOLS[key] = pool
        return pool


def close_pool(url: str) -> None:
    """Close this process's pool for `url` (before its database is dropped, say)."""
    with _POOLS_GUARD:
        pool = _POOLS.pop((os.getpid(), url), None)
    if pool is not None:
        pool.close()


def close_pools() -> None:
    with _POOLS_GUARD:
        for (pid, url), pool in list(_POOLS.items()):
            if pid == os.getpid():
                with contextlib.suppress(Exception):
                    pool.close()
            del _POOLS[(pid, url)]


atexit.register(close_pools)


@contextlib.contextmanager
def connection(url: str) -> Iterator[PgConnection]:
    """A pooled connection for one batch or request."""
    with pool_for(url).connection() as raw:
        con = PgConnection(raw, url)
        try:
            yield con
        finally:
            with contextlib.suppress(QAError):
                con.release()
