"""DuckDB store: tickets, turns, rule results, runs and quarantine, one file.

Writes are idempotent: re-scoring a ticket replaces its rows in one transaction, so a run that dies halfway and is
rerun leaves no duplicates. Connections are short-lived (one per batch or request) and retried while another
process holds the file's lock: the nightly job and `qa serve` share one store.

The store holds transcripts, reviews, password hashes and the audit log, so a store file this code creates is
readable by its owner only (0600), whatever the umask; an existing file keeps the mode its owner gave it. DuckDB
deletes its write-ahead log (`<store>.wal`) when a writing connection opens and creates it again, under the process
umask, at the first write: `connect` creates it first, with the store's own mode. (A checkpoint inside one long
connection, after 16 MB of log, makes DuckDB create it again; docs/security.md says how to close that gap.)
"""

from __future__ import annotations

import contextlib
import json
import os
import stat
import threading
import time
import uuid
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path

import duckdb
import polars as pl

from qa_engine.errors import QAError

LOCK_WAIT_S = 120.0
NEW_FILE_MODE = 0o600  # owner only: see the module docstring
RESULT_TABLES = ("rule_results", "turns", "tickets")
# Read-write connections open in this process, per store file: the last one to close removes an unused log.
_WRITERS: dict[Path, int] = {}
_WRITERS_GUARD = threading.Lock()


class Store:
    """The results store; `Store(location)` is a `pgstore.PgStore` when the location is a postgresql:// URL."""

    def __new__(cls, path: str | Path = "qa.duckdb") -> Store:
        from qa_engine.store.location import is_url

        if cls is Store and is_url(path):
            from qa_engine.store.pgstore import PgStore

            return super().__new__(PgStore)
        return super().__new__(cls)

    def __init__(self, path: str | Path = "qa.duckdb") -> None:
        self.path = Path(path)

    @contextlib.contextmanager
    def connect(self, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        """A connection, retried while another process holds the lock (up to LOCK_WAIT_S)."""
        if read_only and not self.path.exists():
            raise QAError("Q404", path=self.path, detail="no such store (run `qa score --db PATH` first)")
        deadline, delay = time.monotonic() + LOCK_WAIT_S, 0.05
        while True:
            try:
                new = not read_only and not self.path.exists()
                con = duckdb.connect(str(self.path), read_only=read_only)
                break
            except duckdb.IOException as exc:
                if "lock" not in str(exc).lower() or time.monotonic() > deadline:
                    raise QAError("Q404", path=self.path, detail=str(exc).splitlines()[0]) from exc
                time.sleep(delay)
                delay = min(delay * 2, 1.0)
            except duckdb.Error as exc:
                raise QAError("Q404", path=self.path, detail=str(exc).splitlines()[0]) from exc
        try:
            with contextlib.nullcontext() if read_only else self._writer_files(new):
                yield con
        finally:
            con.close()

    @contextlib.contextmanager
    def _writer_files(self, new: bool) -> Iterator[None]:
        """Around one read-write connection: the files' modes on the way in, an unused log removed on the way
        out by the last such connection of this process (before it closes, so it still holds DuckDB's lock)."""
        key = self.path.resolve()
        try:
            with _WRITERS_GUARD:
                _WRITERS[key] = _WRITERS.get(key, 0) + 1
                self._guard_files(new)
            yield
        finally:
            with _WRITERS_GUARD:
                _WRITERS[key] -= 1
                if not _WRITERS[key]:
                    del _WRITERS[key]
                    self._drop_empty_wal()

    def _guard_files(self, new: bool) -> None:
        """A store file created just now becomes owner-only (DuckDB wrote only its header yet); the WAL is created
        ahead of DuckDB with the store's mode, or given it when another connection of this process made it."""
        if new:
            os.chmod(self.path, NEW_FILE_MODE)
        mode = stat.S_IMODE(os.stat(self.path).st_mode)
        fd = os.open(self.wal_path, os.O_WRONLY | os.O_CREAT, mode)  # never truncates a live log
        try:
            os.fchmod(fd, mode)
        finally:
            os.close(fd)

    def _drop_empty_wal(self) -> None:
        """The log `_guard_files` made, when no write used it (DuckDB removes a used one when it closes)."""
        with contextlib.suppress(FileNotFoundError):
            if self.wal_path.stat().st_size == 0:
                self.wal_path.unlink()

    @property
    def wal_path(self) -> Path:
        return self.path.with_name(self.path.name + ".wal")

    def init(self) -> None:
        """Create missing tables (safe on an existing store)."""
        if self.path.parent and not self.path.parent.exists():
            self.path.parent.mkdir(parents=True, exist_ok=True)
        ddl = resources.files("qa_engine.store").joinpath("schema.sql").read_text(encoding="utf-8")
        with self.connect() as con:
            con.execute(ddl)
            upgrade_rows(con)

    # runs -----------------------------------------------------------------------------------------------------
    def start_run(self, inputs: Sequence[str], rule_pack_version: str, model_versions: dict[str, str]) -> str:
        run_id = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ-") + uuid.uuid4().hex[:6]
        with self.connect() as con:
            con.execute(
                "INSERT INTO runs (run_id, started_at, status, inputs, rule_pack_version, model_versions) "
                "VALUES (?, ?, 'running', ?, ?, ?)",
                [
                    run_id,
                    datetime.now(UTC),
                    json.dumps(list(inputs)),
                    rule_pack_version,
                    json.dumps(model_versions),
                ],
            )
        return run_id

    def finish_run(self, run_id: str, status: str, counts: dict[str, int], summary: dict) -> None:
        with self.connect() as con:
            con.execute(
                "UPDATE runs SET finished_at = ?, status = ?, n_read = ?, n_scored = ?, n_unchanged = ?, "
                "n_quarantined = ?, summary = ? WHERE run_id = ?",
                [
                    datetime.now(UTC), status, counts.get("read", 0), counts.get("scored", 0),
                    counts.get("unchanged", 0), counts.get("quarantined", 0), json.dumps(summary), run_id,
                ],
            )  # fmt: skip

    def last_successful_run(self) -> dict | None:
        if not self.path.exists():
            return None
        with self.connect(read_only=True) as con:
            row = con.execute(
                "SELECT run_id, started_at FROM runs WHERE status = 'finished' ORDER BY started_at DESC LIMIT 1"
            ).fetchone()
        return {"run_id": row[0], "started_at": row[1]} if row else None

    # results --------------------------------------------------------------------------------------------------
    def write_results(self, tickets: pl.DataFrame, turns: pl.DataFrame, rule_results: pl.DataFrame) -> None:
        """Replace the results of these tickets, in one transaction."""
        ids = pl.DataFrame({"ticket_id": tickets["ticket_id"]})
        with self.connect() as con:
            con.begin()
            try:
                con.register("batch_ids", ids.to_arrow())
                # a re-scored ticket keeps the time it was first received (and the start taken from it)
                con.execute(
                    "CREATE TEMP TABLE kept_receipts AS SELECT ticket_id, received_at FROM tickets "
                    "WHERE ticket_id IN (SELECT ticket_id FROM batch_ids) AND received_at IS NOT NULL"
                )
                for table in RESULT_TABLES:
                    con.execute(f"DELETE FROM {table} WHERE ticket_id IN (SELECT ticket_id FROM batch_ids)")
                if turns.height:
                    from qa_engine.nlp.pii import masked_texts

                    turns = turns.with_columns(search_text=masked_texts(turns["text"]))
                for table, frame in (("tickets", tickets), ("turns", turns), ("rule_results", rule_results)):
                    if frame.height:
                        con.register("batch_rows", frame.to_arrow())
                        con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM batch_rows")
                        con.unregister("batch_rows")
                con.execute(
                    "UPDATE tickets SET received_at = k.received_at, started_at = CASE "
                    "WHEN tickets.started_at = tickets.received_at THEN k.received_at ELSE tickets.started_at END "
                    "FROM kept_receipts k WHERE tickets.ticket_id = k.ticket_id"
                )
                con.execute("DROP TABLE kept_receipts")
                con.commit()
            except Exception:
                con.rollback()
                raise

    def write_quarantine(self, records: pl.DataFrame) -> None:
        """Append quarantined records (nothing is lost: the raw record is kept)."""
        if not records.height:
            return
        with self.connect() as con:
            con.register("batch_rows", records.to_arrow())
            con.execute("INSERT INTO quarantine BY NAME SELECT * FROM batch_rows")

    def content_hashes(self, ticket_ids: Sequence[str]) -> dict[str, tuple[str, str, str]]:
        """ticket_id -> (content_hash, rule_pack_version, model_versions) for stored tickets among these ids."""
        if not self.path.exists() or not ticket_ids:
            return {}
        with self.connect(read_only=True) as con:
            con.register("wanted", pl.DataFrame({"ticket_id": list(ticket_ids)}).to_arrow())
            rows = con.execute(
                "SELECT t.ticket_id, t.content_hash, t.rule_pack_version, t.model_versions FROM tickets t "
                "JOIN wanted w USING (ticket_id)"
            ).fetchall()
        return {r[0]: (r[1], r[2], r[3]) for r in rows}

    def read_results(self, ticket_ids: Sequence[str]) -> dict[str, pl.DataFrame]:
        """The stored tickets, turns and rule_results frames of these tickets."""
        out = {}
        with self.connect(read_only=True) as con:
            con.register(
                "wanted",
                pl.DataFrame({"ticket_id": list(ticket_ids)}, schema={"ticket_id": pl.String}).to_arrow(),
            )
            for table, key in (
                ("tickets", "x.ticket_id"), ("turns", "x.ticket_id, x.turn_index"),
                ("rule_results", "x.ticket_id, x.rule_id"),
            ):  # fmt: skip
                out[table] = con.sql(
                    f"SELECT x.* FROM {table} x JOIN wanted USING (ticket_id) ORDER BY {key}"
                ).pl()
        return out

    def query(self, sql: str, params: Sequence | None = None) -> pl.DataFrame:
        """A read-only query as a polars frame (parameters are bound, never formatted in)."""
        with self.connect(read_only=True) as con:
            return con.sql(sql, params=list(params or [])).pl()


def upgrade_rows(con) -> None:
    """The in-place upgrades of rows that `schema.sql` cannot make (both backends)."""
    # stores from before received_at: their tickets were received when they were scored
    con.execute("UPDATE tickets SET received_at = scored_at WHERE received_at IS NULL")
    con.execute("UPDATE tickets SET started_at = received_at WHERE started_at IS NULL")
    _fill_search_text(con)


def _fill_search_text(con) -> None:
    """Give the turns of an older store the masked text search reads (schema.sql, `turns.search_text`)."""
    from qa_engine.nlp.pii import masked_texts

    missing = con.sql(
        "SELECT ticket_id, turn_index, text FROM turns WHERE search_text IS NULL AND text IS NOT NULL"
    ).pl()
    if missing.is_empty():
        return
    con.register("filled", missing.with_columns(search_text=masked_texts(missing["text"])).to_arrow())
    con.execute(
        "UPDATE turns SET search_text = f.search_text FROM filled f "
        "WHERE turns.ticket_id = f.ticket_id AND turns.turn_index = f.turn_index"
    )
    con.unregister("filled")
