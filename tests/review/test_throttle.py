"""Login throttling: 5 failures per username or per client address in 15 minutes, then 429 with Retry-After
until the window passes; every refusal on record."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient

from qa_engine.auth.throttle import LoginThrottle
from qa_engine.review.db import ReviewDB

from .support import PASSWORD, execute, query

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
    execute(db, "UPDATE login_failures SET failed_at = failed_at - ?", [by])


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


def test_twenty_failures_from_one_address_then_429_for_any_username(clients, web_db) -> None:
    client = clients("10.1.1.1")
    for i in range(20):  # one office behind one NAT address may mistype a few times: 20, not 5
        assert _login(client, f"guess{i}", WRONG).status_code == 401
    refused = _login(client, "lead", PASSWORD)
    assert refused.status_code == 429 and refused.json()["detail"].startswith(
        "Too many failed logins from this"
    )
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
    assert throttle.check(db, "lead", "10.5.0.1", now=t0 + timedelta(minutes=5)).by == "username_client"
    assert throttle.check(db, "other", "10.5.0.1", now=t0 + timedelta(minutes=5)) is None  # 5 of 20
    for second in range(15):
        throttle.record_failure(db, f"u{second}", "10.5.0.1", now=t0 + timedelta(minutes=5, seconds=second))
    assert throttle.check(db, "other", "10.5.0.1", now=t0 + timedelta(minutes=6)).by == "client"
    assert throttle.check(db, "other", "10.5.0.2", now=t0 + timedelta(minutes=6)) is None


def _in_parallel(calls: list) -> list:
    """Run the calls at once, one thread each, released together."""
    gate = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def run(i: int) -> None:
        gate.wait()
        results[i] = calls[i]()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def test_parallel_guesses_get_at_most_the_limit_checked(clients, web_db) -> None:
    browsers = [clients("10.8.0.1") for _ in range(40)]
    answers = _in_parallel([lambda c=c: _login(c, "lead", WRONG) for c in browsers])
    statuses = Counter(a.status_code for a in answers)
    assert statuses[401] <= 5 and statuses[401] + statuses[429] == 40, statuses  # 401: a password was checked
    assert all(int(a.headers["Retry-After"]) > 0 for a in answers if a.status_code == 429)
    assert query(web_db, "SELECT count(*) FROM login_failures")[0][0] == statuses[401]


def test_at_most_two_passwords_are_hashed_at_once(clients, monkeypatch) -> None:
    """argon2 costs 64 MiB a hash: a burst of logins for many names from many addresses waits its turn or gets 503."""
    running, most = [0], [0]
    lock = threading.Lock()
    verify = PasswordHasher.verify

    def watched(self, hash, password):  # argon2's own verify, counted (and as slow as a real 64 MiB hash)
        with lock:
            running[0] += 1
            most[0] = max(most[0], running[0])
        try:
            time.sleep(0.05)
            return verify(self, hash, password)
        finally:
            with lock:
                running[0] -= 1

    monkeypatch.setattr(PasswordHasher, "verify", watched)
    browsers = [clients(f"10.9.{i}.1") for i in range(40)]
    answers = _in_parallel([lambda i=i, c=c: _login(c, f"someone{i}", WRONG) for i, c in enumerate(browsers)])
    statuses = Counter(a.status_code for a in answers)
    assert set(statuses) <= {401, 503} and statuses[401] >= 2, statuses
    assert most[0] <= 2, most
    for busy in (a for a in answers if a.status_code == 503):
        assert busy.json()["code"] == "Q625" and int(busy.headers["Retry-After"]) > 0


def test_a_user_attacked_from_elsewhere_still_logs_in_from_their_own_address(clients, web_db) -> None:
    desk = clients("10.7.0.1")
    assert _login(desk, "lead", PASSWORD).status_code == 200  # lead has signed in from here before
    for minute in range(0, 30, 3):  # one guess every 3 minutes, from ever new addresses
        _age_failures(web_db, timedelta(minutes=3))
        assert _login(clients(f"10.6.0.{minute}"), "lead", WRONG).status_code in (401, 429)
    refused = _login(clients("10.6.9.9"), "lead", PASSWORD)
    assert refused.status_code == 429 and "for this username" in refused.json()["detail"]
    assert "Retry-After" in refused.headers
    assert _login(clients("10.7.0.1"), "lead", PASSWORD).status_code == 200  # from the known address: in
    assert _login(clients("10.7.0.1"), "lead", WRONG).status_code == 401  # still throttled per address


def test_five_failures_for_a_username_from_one_address_lock_that_pair(clients, web_db) -> None:
    desk = clients("10.7.1.1")
    assert _login(desk, "lead", PASSWORD).status_code == 200
    for _ in range(5):
        assert _login(desk, "lead", WRONG).status_code == 401
    refused = _login(desk, "lead", PASSWORD)  # known address, but its own failures count
    assert refused.status_code == 429
    assert "for this username from this address" in refused.json()["detail"]
    assert _login(desk, "lead2", PASSWORD).status_code == 200  # the address may still sign in others
    elsewhere = _login(clients("10.7.1.2"), "lead", PASSWORD)  # and unknown addresses count every failure
    assert elsewhere.status_code == 429 and elsewhere.json()["detail"].startswith(
        "Too many failed logins for this username in"
    )
