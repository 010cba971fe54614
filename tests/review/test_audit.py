"""The audit log under a flood: refusals are counted in memory and written as a few aggregated rows, so a loop of
anonymous requests costs the store (and the people reading it) nothing; signed-in users' refusals are written one by
one up to a bound; old rows go after the retention period."""

from __future__ import annotations

import statistics
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
from fastapi.testclient import TestClient

from qa_engine.review.audit import AuditLog, path_prefix
from qa_engine.review.db import ReviewDB
from qa_engine.store import Store
from qa_engine.store.location import raw
from qa_engine.web.app import create_app
from tests.pgsupport import duckdb_only

from .support import PASSWORD, query

T0 = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


def _rows(db: Path) -> list[tuple]:
    return query(
        db, "SELECT username, client, method, path, status, code, n FROM audit_log ORDER BY logged_at, n"
    )


def test_500_anonymous_requests_write_a_handful_of_rows_and_slow_no_one(web_db: Path) -> None:
    app = create_app(web_db)
    flood = [("GET", "/api/tickets"), ("POST", "/api/tickets/R-1/reviews"), ("GET", "/tickets/R-1")]
    latencies: list[float] = []
    with (
        TestClient(app) as lead,
        TestClient(app, raise_server_exceptions=False, client=("10.66.0.1", 1)) as anon,
    ):
        assert lead.post("/api/login", json={"username": "lead", "password": PASSWORD}).status_code == 200
        done = threading.Event()

        def read() -> None:  # a QA lead reading tickets meanwhile
            while not done.is_set():
                start = time.perf_counter()
                assert lead.get("/api/tickets/R-1").status_code == 200
                latencies.append(time.perf_counter() - start)

        def hammer(offset: int) -> None:
            for i in range(125):
                method, path = flood[(offset + i) % len(flood)]
                assert anon.request(method, path, follow_redirects=False).status_code in (401, 303)

        reader = threading.Thread(target=read)
        reader.start()
        threads = [threading.Thread(target=hammer, args=(k,)) for k in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        done.set()
        reader.join()
        before_stop = len(_rows(web_db))
    rows = _rows(web_db)  # the app wrote what it had counted when it stopped
    assert before_stop <= 3  # the first request of each kind, at once
    assert len(rows) <= 6 and sum(r[-1] for r in rows) == 500
    assert {(r[1], r[4], r[5]) for r in rows} == {("10.66.0.1", 401, "Q610")}
    assert {r[3] for r in rows} <= {"/api/tickets", "/api/tickets*", "/api/tickets/R-1/reviews", "/tickets/R-1",
                                    "/tickets*"}  # fmt: skip
    # Before, each refusal was a store write: the reader waited behind the queue of writers for the whole flood and
    # got one answer in it. Counted, not timed: on a loaded machine every request is slow (measured at load 18: 5
    # answers, the slowest 6.4 s), but the reader still gets several answers while the flood lasts.
    assert len(latencies) >= 3, (len(latencies), max(latencies), statistics.median(latencies))


def test_a_signed_in_users_refusals_are_written_one_by_one_up_to_a_bound(web_db: Path) -> None:
    app = create_app(web_db, audit_log=AuditLog(burst_per_user=3))
    with TestClient(app) as agent:
        agent.post("/api/login", json={"username": "agent1", "password": PASSWORD})
        for _ in range(10):
            assert agent.get("/api/calibration").status_code == 403
        assert [r[0] for r in _rows(web_db)] == ["agent1"] * 3  # who tried what, at once
    rows = _rows(web_db)
    assert [r[-1] for r in rows] == [1, 1, 1, 7]
    assert rows[-1][:6] == ("agent1", "testclient", "GET", "/api/calibration*", 403, "Q613")


def test_counted_refusals_are_written_when_their_interval_ends(web_db: Path) -> None:
    db, audit = ReviewDB(web_db), AuditLog(interval=timedelta(seconds=60))
    for second in range(0, 50, 10):
        audit.record(db, username=None, method="GET", path=f"/api/tickets?page={second}", status=401, code="Q610",
                     reason="Not signed in", client="10.0.0.7", now=T0 + timedelta(seconds=second))  # fmt: skip
    assert [r[3:] for r in _rows(web_db)] == [("/api/tickets?page=0", 401, "Q610", 1)]
    audit.flush(db, now=T0 + timedelta(seconds=59))  # the interval is not over: nothing yet
    assert len(_rows(web_db)) == 1
    audit.flush(db, now=T0 + timedelta(seconds=61))
    [(logged_at, path, reason, n)] = query(
        web_db, "SELECT logged_at, path, reason, n FROM audit_log WHERE n > 1"
    )
    assert (logged_at, path, n) == (T0 + timedelta(seconds=10), "/api/tickets*", 4)
    assert "Not signed in" in reason and "09:00:10" in reason and "09:00:40" in reason


def test_many_addresses_share_one_overflow_row(web_db: Path) -> None:
    db, audit = ReviewDB(web_db), AuditLog(max_keys=5, burst_anonymous=2)
    for i in range(300):
        audit.record(db, username=None, method="GET", path="/", status=401, code="Q610", reason="Not signed in",
                     client=f"10.1.{i // 250}.{i % 250}", now=T0 + timedelta(milliseconds=i))  # fmt: skip
    audit.flush(db, now=T0 + timedelta(minutes=2))
    rows = _rows(web_db)
    assert len(rows) <= 2 + 5 + 1 and sum(r[-1] for r in rows) == 300
    assert any(r[1] == "*" and r[-1] >= 290 for r in rows)


@duckdb_only
def test_old_rows_go_after_the_retention_period_and_the_table_has_a_ceiling(web_db: Path) -> None:
    con = duckdb.connect(raw(web_db))
    try:
        con.execute(
            "INSERT INTO audit_log (logged_at, path, status, code, client, n) "
            "SELECT ?::TIMESTAMPTZ - to_days(i::INTEGER), '/old', 401, 'Q610', 'x', 1 FROM range(200) t(i)",
            [T0],
        )
    finally:
        con.close()
    db, audit = ReviewDB(web_db), AuditLog(retention=timedelta(days=90), max_rows=50)
    audit.flush(db, now=T0 + timedelta(hours=1), force=True)
    ages = [(T0 - r[0]).days for r in query(web_db, "SELECT logged_at FROM audit_log")]
    assert len(ages) == 50 and max(ages) == 49  # the newest 50 of the 90 days kept


def test_a_store_from_before_the_count_gets_it(tmp_path: Path) -> None:
    path = tmp_path / "old.duckdb"
    con = duckdb.connect(str(path))
    try:
        con.execute(
            "CREATE TABLE audit_log (logged_at TIMESTAMPTZ NOT NULL, username VARCHAR, method VARCHAR, "
            "path VARCHAR, status BIGINT, code VARCHAR, reason VARCHAR, client VARCHAR)"
        )
        con.execute("INSERT INTO audit_log VALUES (now(), NULL, 'GET', '/', 401, 'Q610', 'old', 'x')")
    finally:
        con.close()
    Store(path).init()
    assert query(path, "SELECT reason, n FROM audit_log") == [("old", 1)]


def test_path_prefixes() -> None:
    assert path_prefix("/api/tickets/R-1/reviews") == "/api/tickets"
    assert path_prefix("/api/login") == "/api/login"
    assert path_prefix("/tickets/R-1?x=1") == "/tickets"
    assert path_prefix("/?tier=red") == "/"
    assert path_prefix("/" + "x" * 500) == "/" + "x" * 63
