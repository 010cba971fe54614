"""Logging in and out: argon2 hashes, HttpOnly session cookies that expire, CSRF tokens, refusals on record."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from qa_engine.auth.sessions import start_session
from qa_engine.auth.users import (
    FAST_HASH_ENV,
    add_user,
    authenticate,
    fast_hashing,
    make_hasher,
    should_rehash,
)
from qa_engine.errors import QAError
from qa_engine.review.db import ReviewDB
from qa_engine.web.app import create_app

from .support import PASSWORD, execute, query


def test_login_sets_an_httponly_cookie_and_returns_the_csrf_token(anon: TestClient) -> None:
    response = anon.post("/api/login", json={"username": "lead", "password": PASSWORD})
    assert response.status_code == 200
    body = response.json()
    assert len(body["csrf_token"]) >= 32
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("qa_session=") and "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert anon.get("/api/tickets").status_code == 200


def test_passwords_are_stored_as_argon2id_and_tokens_only_as_hashes(anon: TestClient, web_db) -> None:
    anon.post("/api/login", json={"username": "lead", "password": PASSWORD})
    token = anon.cookies["qa_session"]
    [(stored,)] = query(web_db, "SELECT password_hash FROM users WHERE username = 'lead'")
    assert stored.startswith("$argon2id$") and PASSWORD not in stored
    hashes = [row[0] for row in query(web_db, "SELECT token_hash FROM sessions")]
    assert hashes and token not in hashes


@pytest.mark.parametrize(
    "body",
    [{"username": "lead", "password": "wrong password"}, {"username": "nobody", "password": PASSWORD}],
)
def test_bad_credentials_get_401_and_an_audit_record(anon: TestClient, web_db, body: dict) -> None:
    response = anon.post("/api/login", json=body)
    assert response.status_code == 401
    assert response.json()["code"] == "Q611"
    assert "qa_session" not in response.cookies
    rows = query(web_db, "SELECT path, status, code FROM audit_log")
    assert ("/api/login", 401, "Q611") in rows
    assert not any(body["password"] in str(r) for r in query(web_db, "SELECT * FROM audit_log"))


@pytest.mark.parametrize(
    "raw",
    [
        '{"username": "lead"',
        "[]",
        '{"username": "lead", "password": 5}',
        '{"username": "", "password": "x"}',
        "",
    ],
)
def test_malformed_login_bodies_get_422(anon: TestClient, raw: str) -> None:
    response = anon.post("/api/login", content=raw, headers={"content-type": "application/json"})
    assert response.status_code == 422
    assert response.json()["code"] == "Q615"


def test_logout_needs_the_csrf_token_and_ends_the_session(login) -> None:
    lead = login("lead")
    assert lead.post("/api/logout", csrf=False).status_code == 403
    assert lead.get("/api/tickets").status_code == 200  # the refused logout changed nothing
    assert lead.post("/api/logout").status_code == 200
    assert lead.get("/api/tickets").status_code == 401


def test_a_stolen_cookie_is_useless_after_logout(login, app) -> None:
    lead = login("lead")
    token = lead.client.cookies["qa_session"]
    lead.post("/api/logout")
    with TestClient(app) as other:
        other.cookies.set("qa_session", token)
        assert other.get("/api/tickets").status_code == 401


def test_sessions_expire(web_db) -> None:
    app = create_app(web_db, session_ttl=timedelta(minutes=30))
    with TestClient(app) as client:
        login = client.post("/api/login", json={"username": "lead", "password": PASSWORD})
        assert "Max-Age=1800" in login.headers["set-cookie"]
        assert client.get("/api/tickets").status_code == 200
        # Expire it in the store (as time passing would), rather than sleeping in a test.
        with ReviewDB(web_db).write() as con:
            con.execute("UPDATE sessions SET expires_at = expires_at - INTERVAL 1 HOUR")
        assert client.get("/api/tickets").status_code == 401
        assert client.get("/", follow_redirects=False).headers["location"] == "/login"


def test_pages_redirect_to_login_and_back(anon: TestClient) -> None:
    response = anon.get("/tickets/R-1", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=%2Ftickets%2FR-1"
    form = anon.get("/login?next=/tickets/R-1")
    assert form.status_code == 200
    token = _hidden(form.text, "csrf_token")
    done = anon.post(
        "/login",
        data={"csrf_token": token, "username": "lead", "password": PASSWORD, "next": "/tickets/R-1"},
        follow_redirects=False,
    )
    assert done.status_code == 303 and done.headers["location"] == "/tickets/R-1"
    assert anon.get("/tickets/R-1").status_code == 200


def test_the_login_form_needs_its_csrf_token(anon: TestClient) -> None:
    anon.get("/login")
    response = anon.post("/login", data={"username": "lead", "password": PASSWORD}, follow_redirects=False)
    assert response.status_code == 403
    assert anon.get("/api/tickets").status_code == 401


@pytest.mark.http_only
@pytest.mark.parametrize("target", ["//evil.example/", "https://evil.example/", "/\\evil.example"])
def test_login_never_redirects_off_site(anon: TestClient, target: str) -> None:
    token = _hidden(anon.get("/login").text, "csrf_token")
    done = anon.post(
        "/login",
        data={"csrf_token": token, "username": "lead", "password": PASSWORD, "next": target},
        follow_redirects=False,
    )
    assert done.status_code == 303 and done.headers["location"] == "/"


def test_a_wrong_password_in_the_form_is_told_and_logged(anon: TestClient, web_db) -> None:
    token = _hidden(anon.get("/login").text, "csrf_token")
    response = anon.post("/login", data={"csrf_token": token, "username": "lead", "password": "nope nope"})
    assert response.status_code == 401
    assert "Wrong username or password" in response.text
    assert ("/login", 401) in query(web_db, "SELECT path, status FROM audit_log")


def test_users_need_the_key_of_their_role(web_db) -> None:
    db = ReviewDB(web_db)
    with pytest.raises(QAError, match="Q603"):
        add_user(db, "newagent", PASSWORD, "agent")
    with pytest.raises(QAError, match="Q603"):
        add_user(db, "newcoach", PASSWORD, "coach")
    with pytest.raises(QAError, match="Q602"):
        add_user(db, "lead", PASSWORD, "qa_lead")
    with pytest.raises(QAError, match="Q605"):
        add_user(db, "shorty", "short", "qa_lead")
    with pytest.raises(QAError, match="Q601"):
        add_user(db, "<script>", PASSWORD, "qa_lead")
    assert authenticate(db, "lead", PASSWORD).role == "qa_lead"
    assert authenticate(db, "lead", PASSWORD + "x") is None


def _hidden(html: str, name: str) -> str:
    marker = f'name="{name}" value="'
    start = html.index(marker) + len(marker)
    return html[start : html.index('"', start)]


def test_the_logout_form_ends_the_session(login) -> None:
    lead = login("lead")
    done = lead.client.post("/logout", data={"csrf_token": lead.csrf}, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == "/login"
    assert lead.get("/api/tickets").status_code == 401


def test_production_hashes_use_the_recommended_argon2_parameters() -> None:
    hasher = make_hasher()
    assert (hasher.memory_cost, hasher.time_cost, hasher.type.name) == (65536, 3, "ID")
    strong = hasher.hash(PASSWORD)
    assert hasher.verify(strong, PASSWORD)
    weak = make_hasher(fast=True).hash(PASSWORD)
    assert should_rehash(weak, hasher)  # a hash made for tests is upgraded at the next login
    assert not should_rehash(strong, make_hasher(fast=True))  # and never the other way
    assert not should_rehash(strong, hasher)


def _stored_hash(db, username: str = "lead") -> str:
    with db.read() as con:
        return con.execute("SELECT password_hash FROM users WHERE username = ?", [username]).fetchone()[0]


def _set_hash(db, password_hash: str, username: str = "lead") -> None:
    with db.write() as con:
        con.execute("UPDATE users SET password_hash = ? WHERE username = ?", [password_hash, username])


def test_the_fast_test_mode_never_downgrades_a_stored_hash(web_db, monkeypatch) -> None:
    db = ReviewDB(web_db)
    strong = make_hasher().hash(PASSWORD)
    _set_hash(db, strong)
    monkeypatch.setenv(FAST_HASH_ENV, "1")  # what conftest sets for this suite: cheap hashes for new users
    assert fast_hashing()
    assert authenticate(db, "lead", PASSWORD) is not None
    assert _stored_hash(db) == strong  # left alone: a test server on a copy of a real store weakens nothing


def test_a_cheap_hash_is_upgraded_at_the_next_login_on_a_real_server(web_db, monkeypatch) -> None:
    db = ReviewDB(web_db)
    _set_hash(db, make_hasher(fast=True).hash(PASSWORD))
    monkeypatch.delenv(FAST_HASH_ENV, raising=False)
    assert authenticate(db, "lead", PASSWORD) is not None
    upgraded = _stored_hash(db)
    assert upgraded.startswith("$argon2id$v=19$m=65536,t=3,")
    assert authenticate(db, "lead", PASSWORD) is not None and _stored_hash(db) == upgraded  # once


@pytest.mark.parametrize(
    ("env", "fast"),
    [
        ({}, False),
        ({FAST_HASH_ENV: "0", "PYTEST_CURRENT_TEST": "t.py::x (call)"}, False),
        ({FAST_HASH_ENV: "1", "PYTEST_CURRENT_TEST": "t.py::x (call)"}, True),
        ({FAST_HASH_ENV: "1", "QA_TESTING": "1"}, True),
        ({FAST_HASH_ENV: "1"}, None),  # outside a test run: refused
        ({FAST_HASH_ENV: "1", "QA_TESTING": "yes"}, None),
    ],
)
def test_fast_hashing_is_honoured_only_inside_a_test_run(env: dict, fast: bool | None) -> None:
    if fast is None:
        with pytest.raises(QAError, match="Q629"):
            fast_hashing(env)
    else:
        assert fast_hashing(env) is fast


def test_commands_refuse_to_run_with_fast_hashing_outside_tests(tmp_path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTEST_CURRENT_TEST", "QA_TESTING")}
    env[FAST_HASH_ENV] = "1"
    db = tmp_path / "prod.duckdb"
    done = subprocess.run(
        [sys.executable, "-m", "qa_engine", "users", "add", "maria", "--role", "qa_lead", "--db", str(db)],
        input="s3cret-enough\n", capture_output=True, text=True, timeout=120, env=env,
    )  # fmt: skip
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert done.returncode != 0 and len(lines) == 1 and "Q629" in lines[0], done.stderr
    assert not db.exists() or not query(db, "SELECT count(*) FROM users")[0][0]


def test_a_login_checked_before_a_reset_or_a_disable_starts_no_session_after_it(web_db) -> None:
    # the password is checked, then (a moment later, another request) reset or the user disabled, then the login
    # would start its session: it must not, or the old password outlives the reset
    db = ReviewDB(web_db)
    user = authenticate(db, "lead", PASSWORD)
    assert user is not None
    _set_hash(db, make_hasher(fast=True).hash("a-new-password-456"))
    with pytest.raises(QAError) as refused:
        start_session(db, user)
    assert refused.value.code == "Q611"
    user = authenticate(db, "lead", "a-new-password-456")
    assert user is not None
    execute(web_db, "UPDATE users SET disabled = true WHERE username = 'lead'")
    with pytest.raises(QAError):
        start_session(db, user)
    assert query(web_db, "SELECT count(*) FROM sessions WHERE username = 'lead'") == [(0,)]


def test_a_hash_upgrade_at_login_never_undoes_a_reset_that_landed_meanwhile(web_db, monkeypatch) -> None:
    db = ReviewDB(web_db)
    _set_hash(db, make_hasher(fast=True).hash(PASSWORD))
    monkeypatch.delenv(FAST_HASH_ENV, raising=False)
    reset = make_hasher(fast=True).hash("a-new-password-456")

    def reset_meanwhile(stored: str, hasher) -> bool:
        _set_hash(db, reset)  # a QA lead resets the password while this login checks the old one
        return True

    monkeypatch.setattr("qa_engine.auth.users.should_rehash", reset_meanwhile)
    user = authenticate(db, "lead", PASSWORD)
    assert _stored_hash(db) == reset
    with pytest.raises(QAError):
        start_session(db, user)
