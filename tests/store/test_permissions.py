"""A new store file, and the write-ahead log beside it, are readable by their owner only (0600): the store holds
transcripts, reviews, password hashes and the audit log."""

from __future__ import annotations

import os
import stat
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from qa_engine.review.db import ReviewDB
from qa_engine.store import Store


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def open_umask() -> Iterator[None]:
    """The usual umask (022: files world-readable unless created otherwise), whatever the test runner had."""
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


def test_a_new_store_and_its_wal_are_owner_only(tmp_path: Path, open_umask) -> None:
    store = Store(tmp_path / "new" / "qa.duckdb")
    store.init()
    assert _mode(store.path) == 0o600
    wal = store.path.with_name(store.path.name + ".wal")
    with store.connect() as con:
        con.execute(
            "INSERT INTO users (username, password_hash, role, created_at) VALUES ('u', 'hash', 'qa_lead', now())"
        )
        assert wal.exists() and _mode(wal) == 0o600  # while the change is only in the log
    assert _mode(store.path) == 0o600


def test_the_review_app_creates_an_owner_only_store(tmp_path: Path, open_umask) -> None:
    db = ReviewDB(tmp_path / "app.duckdb")
    db.init()
    assert _mode(db.path) == 0o600
    wal = db.path.with_name(db.path.name + ".wal")
    seen: list[int] = []
    with db.write() as con:
        con.execute("INSERT INTO login_failures (failed_at, username, client) VALUES (now(), 'x', 'y')")
        seen.append(_mode(wal))
    assert seen == [0o600]


def test_an_existing_stores_mode_is_left_as_its_owner_set_it(tmp_path: Path, open_umask) -> None:
    store = Store(tmp_path / "qa.duckdb")
    store.init()
    store.path.chmod(0o640)  # an operator let a reporting group read it
    store.init()
    with store.connect() as con:
        con.execute(
            "INSERT INTO users (username, password_hash, role, created_at) VALUES ('u', 'hash', 'qa_lead', now())"
        )
        wal = store.path.with_name(store.path.name + ".wal")
        assert _mode(wal) == 0o640  # the log follows the store, never wider
    assert _mode(store.path) == 0o640


def test_connections_from_many_threads_keep_the_wal_owner_only(tmp_path: Path, open_umask) -> None:
    db = ReviewDB(tmp_path / "busy.duckdb")
    db.init()
    wal = db.path.with_name(db.path.name + ".wal")
    modes: list[int] = []

    def write(i: int) -> None:
        for j in range(5):
            with db.write() as con:
                con.execute(
                    "INSERT INTO login_failures (failed_at, username, client) VALUES (now(), ?, ?)",
                    [str(i), str(j)],
                )
                modes.append(_mode(wal))

    threads = [threading.Thread(target=write, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(modes) == 20 and set(modes) == {0o600}


def test_a_connection_that_wrote_nothing_leaves_no_log_behind(tmp_path: Path) -> None:
    store = Store(tmp_path / "qa.duckdb")
    store.init()
    store.init()  # every table there already: nothing to write
    with store.connect() as con:
        con.execute("SELECT count(*) FROM users").fetchall()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["qa.duckdb"]
