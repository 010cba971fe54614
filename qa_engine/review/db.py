"""Short-lived store connections for the review app, safe across threads of one server process.

On PostgreSQL each read or write borrows a pooled connection and nothing else is needed (`_NoLock`). On a DuckDB
file:

DuckDB lets several processes read a file at once, or one process write it; `Store.connect` waits while another
process (the nightly `qa score`) holds the lock. Inside one process a second rule applies: a read-only and a
read-write connection to the same file cannot be open at the same time ("different configuration"). The server
answers requests on a thread pool, so it guards each file with a readers-writer lock: many reads at once, a write
alone. Reads open the file read-only, so `qa score` and reporting commands can still read beside the app.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import duckdb

from qa_engine.errors import QAError
from qa_engine.store import Store
from qa_engine.store.location import is_url

_CONFIG_CLASH = "different configuration"
APP_WRITE_LOCK = 0x71A5C4E2  # PostgreSQL advisory lock key of the review app's writes
_CLASH_WAIT_S = 30.0


class ReadWriteLock:
    """Many readers or one writer; a waiting writer goes before new readers so writes are not starved."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._readers = 0
        self._writer = False
        self._waiting_writers = 0
        self._held = threading.local()

    def _check_not_nested(self) -> None:
        # Taking the lock again on the same thread would deadlock (a read waiting for its own write).
        if getattr(self._held, "depth", 0):
            raise RuntimeError("store connections of the review app must not be nested")

    @contextlib.contextmanager
    def reading(self) -> Iterator[None]:
        self._check_not_nested()
        with self._cond:
            while self._writer or self._waiting_writers:
                self._cond.wait()
            self._readers += 1
        self._held.depth = 1
        try:
            yield
        finally:
            self._held.depth = 0
            with self._cond:
                self._readers -= 1
                if not self._readers:
                    self._cond.notify_all()

    @contextlib.contextmanager
    def writing(self) -> Iterator[None]:
        self._check_not_nested()
        with self._cond:
            self._waiting_writers += 1
            while self._writer or self._readers:
                self._cond.wait()
            self._waiting_writers -= 1
            self._writer = True
        self._held.depth = 1
        try:
            yield
        finally:
            self._held.depth = 0
            with self._cond:
                self._writer = False
                self._cond.notify_all()


_LOCKS: dict[Path, ReadWriteLock] = {}
_LOCKS_GUARD = threading.Lock()


def _lock_for(path: Path) -> ReadWriteLock:
    with _LOCKS_GUARD:
        return _LOCKS.setdefault(path, ReadWriteLock())


class _NoLock:
    """PostgreSQL: readers of any number of processes and threads work at once, beside any writer (MVCC), each on a
    pooled connection of its own, so no readers-writer lock in the process; the app's writes take one advisory
    lock in the database (`_open`), which scoring never takes."""

    @contextlib.contextmanager
    def reading(self) -> Iterator[None]:
        yield

    writing = reading


class ReviewDB:
    """The store as the review app uses it: `with db.read() as con` and `with db.write() as con`."""

    def __init__(self, path: str | Path) -> None:
        self.store = Store(path)
        self.path = self.store.path
        self.postgres = is_url(path)
        self._lock = _NoLock() if self.postgres else _lock_for(self.path.resolve())

    def init(self) -> None:
        """Create missing tables, the review app's included (safe on a store `qa score` made)."""
        with self._lock.writing():
            self.store.init()

    @contextlib.contextmanager
    def read(self) -> Iterator[duckdb.DuckDBPyConnection]:
        with self._lock.reading(), contextlib.ExitStack() as stack:
            yield self._open(stack, read_only=True)

    @contextlib.contextmanager
    def write(self) -> Iterator[duckdb.DuckDBPyConnection]:
        with self._lock.writing(), contextlib.ExitStack() as stack:
            yield self._open(stack, read_only=False)

    @contextlib.contextmanager
    def reading(self) -> Iterator[Store]:
        """The lock of a read, without a connection: for library calls (`qa_engine.kpi`) that open their own."""
        with self._lock.reading():
            yield self.store

    @contextlib.contextmanager
    def writing(self) -> Iterator[Store]:
        """The lock of a write, without a connection: for library calls that open their own."""
        with self._lock.writing():
            yield self.store

    def _open(self, stack: contextlib.ExitStack, read_only: bool) -> duckdb.DuckDBPyConnection:
        """Open through `Store.connect` (which waits for other processes); also wait out a clash with a
        connection that other code in this process (a test, a command) holds in the other mode."""
        if self.postgres:
            con = stack.enter_context(self.store.connect())
            if not read_only:
                # the app's writes one at a time, across all `qa serve` processes, as on a DuckDB file: a version
                # check and its insert see no other writer; scoring runs never take this lock
                con.run_native("SELECT pg_advisory_lock(%s)", [APP_WRITE_LOCK])
                stack.callback(con.run_native, "SELECT pg_advisory_unlock(%s)", [APP_WRITE_LOCK])
            return con
        deadline, delay = time.monotonic() + _CLASH_WAIT_S, 0.02
        while True:
            try:
                return stack.enter_context(self.store.connect(read_only=read_only))
            except QAError as exc:
                if _CONFIG_CLASH not in str(exc) or time.monotonic() > deadline:
                    raise
                time.sleep(delay)
                delay = min(delay * 2, 0.5)
