"""Logging in and out: argon2 hashes, HttpOnly session cookies that expire, CSRF tokens, refusals on record."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from qa_engine.errors import QAError
from qa_engine.review.db import ReviewDB
from qa_engine.review.users import add_user, authenticate, make_hasher
from qa_engine.web.app import create_app

from .support import PASSWORD, query


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
    assert hasher.check_needs_rehash(weak)  # a hash made for tests is upgraded at the next login
