"""Login throttling: 5 failures per username or per client address in 15 minutes, then 429 with Retry-After
until the window passes; every refusal on record."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest
from fastapi.testclient import TestClient

from qa_engine.review.db import ReviewDB
from qa_engine.review.throttle import LoginThrottle

from .support import PASSWORD, query

WRONG = "not the password"


@pytest.fixture
def clients(app) -> Iterator:
    """clients("10.0.0.1") -> a browser at that address."""
    made: list[TestClient] = []

    def make(address: str = "10.0.0.1") -> TestClient:
        client = TestClient(app, raise_server_exceptions=False, client=(address, 40000))
        made.append(client)
        return client

    yield make
    for client in made:
        client.close()


def _login(client: TestClient, username: str, password: str):
    return client.post("/api/login", json={"username": username, "password": password})


def _age_failures(db: Path, by: timedelta) -> None:
    """Let time pass for the stored failures (the app reads the clock; the rows move back instead)."""
    con = duckdb.connect(str(db))
    try:
        con.execute("UPDATE login_failures SET failed_at = failed_at - ?", [by])
    finally:
        con.close()


def test_five_failures_for_a_username_then_429_until_the_window_passes(clients, web_db) -> None:
    for i in range(5):  # from five addresses: the username's count, not an address's
        assert _login(clients(f"10.0.0.{i}"), "lead", WRONG).status_code == 401
    sessions = query(web_db, "SELECT count(*) FROM sessions")
    refused = _login(clients("10.0.0.9"), "lead", PASSWORD)  # even the right password
    assert refused.status_code == 429
    assert refused.json()["code"] == "Q623" and "for this username" in refused.json()["detail"]
    assert 1 <= int(refused.headers["Retry-After"]) <= 15 * 60
    assert "qa_session" not in refused.cookies and query(web_db, "SELECT count(*) FROM sessions") == sessions
    assert _login(clients("10.0.0.9"), "lead2", PASSWORD).status_code == 200  # other users are not locked out
    _age_failures(web_db, timedelta(minutes=15))
    assert _login(clients("10.0.0.9"), "lead", PASSWORD).status_code == 200


def test_five_failures_from_one_address_then_429_for_any_username(clients, web_db) -> None:
    client = clients("10.1.1.1")
    for i in range(5):
        assert _login(client, f"guess{i}", WRONG).status_code == 401
    refused = _login(client, "lead", PASSWORD)
    assert refused.status_code == 429 and "from this address" in refused.json()["detail"]
    assert _login(clients("10.1.1.2"), "lead", PASSWORD).status_code == 200  # another address is fine


def test_four_failures_are_not_enough_and_old_ones_do_not_count(clients, web_db) -> None:
    for _ in range(4):
        assert _login(clients(), "lead", WRONG).status_code == 401
    assert _login(clients(), "lead", PASSWORD).status_code == 200
    _age_failures(web_db, timedelta(minutes=16))
    for _ in range(4):
        assert _login(clients(), "lead", WRONG).status_code == 401
    assert _login(clients(), "lead", PASSWORD).status_code == 200  # 8 failures, but 4 in the window


def test_refused_attempts_do_not_extend_the_lock(clients, web_db) -> None:
    for _ in range(5):
        _login(clients(), "lead", WRONG)
    for _ in range(10):
        assert _login(clients(), "lead", WRONG).status_code == 429
    assert query(web_db, "SELECT count(*) FROM login_failures")[0][0] == 5  # no password was checked
    _age_failures(web_db, timedelta(minutes=15))
    assert _login(clients(), "lead", PASSWORD).status_code == 200


def test_usernames_differing_in_case_share_a_count(clients) -> None:
    for i, name in enumerate(("LEAD", "Lead", "lead", "lEaD", "LeAd")):
        assert _login(clients(f"10.2.0.{i}"), name, WRONG).status_code == 401
    assert _login(clients("10.2.0.9"), "lead", PASSWORD).status_code == 429


def test_every_refusal_is_in_the_audit_log(app, clients, web_db) -> None:
    for _ in range(6):
        _login(clients("10.3.0.1"), "nobody", WRONG)
    first = query(web_db, "SELECT path, status, code, client, n FROM audit_log ORDER BY logged_at")
    assert first == [("/api/login", 401, "Q611", "10.3.0.1", 1), ("/api/login", 429, "Q623", "10.3.0.1", 1)]
    app.state.audit_log.flush(app.state.db, force=True)  # the rest of each kind was counted (test_audit.py)
    counted = query(web_db, "SELECT code, client, sum(n) FROM audit_log GROUP BY ALL ORDER BY code")
    assert counted == [("Q611", "10.3.0.1", 5), ("Q623", "10.3.0.1", 1)]
    assert not any(WRONG in str(r) for r in query(web_db, "SELECT * FROM audit_log"))


def _form_login(client: TestClient, username: str, password: str):
    page = client.get("/login")
    token = page.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    return client.post("/login", data={"csrf_token": token, "username": username, "password": password},
                       follow_redirects=False)  # fmt: skip


def test_the_login_form_is_throttled_too(clients, web_db) -> None:
    client = clients("10.4.0.1")
    for _ in range(5):
        assert _form_login(client, "lead", WRONG).status_code == 401
    refused = _form_login(client, "lead", PASSWORD)
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
    assert "Too many failed logins" in refused.text and 'value="lead" autofocus' in refused.text
    assert ("/login", 429, "Q623") in query(web_db, "SELECT path, status, code FROM audit_log")
    assert _login(client, "lead", PASSWORD).status_code == 429  # one count for the form and the API


def test_retry_after_counts_from_the_oldest_failure_in_the_window(web_db) -> None:
    db, throttle = ReviewDB(web_db), LoginThrottle()
    t0 = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
    for minute in range(5):
        throttle.record_failure(db, "lead", "10.5.0.1", now=t0 + timedelta(minutes=minute))
    refusal = throttle.check(db, "lead", "10.9.9.9", now=t0 + timedelta(minutes=5))
    assert refusal is not None and (refusal.seconds, refusal.by) == (10 * 60, "username")
    assert throttle.check(db, "lead", None, now=t0 + timedelta(minutes=15, seconds=1)) is None
    assert throttle.check(db, "other", "10.5.0.1", now=t0 + timedelta(minutes=5)).by == "client"
    assert throttle.check(db, "other", "10.5.0.2", now=t0 + timedelta(minutes=5)) is None
