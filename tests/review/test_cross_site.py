"""Cross-site requests: a page on another site cannot log a browser in (login CSRF) nor make it change anything.

The JSON login takes only `application/json` (a cross-site form can send only form encodings and text/plain), and
every mutating call (POST, PUT, PATCH, DELETE) from another site is refused with 403, whatever it carries: a browser
says where a request comes from in `Sec-Fetch-Site` and `Origin`. A request with neither (curl, a script) is no
browser's and passes on to the usual checks (session, CSRF token).
"""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient

from .support import PASSWORD, query

# refusals by origin; the audit rows they write are test_audit.py's on PostgreSQL
pytestmark = pytest.mark.http_only

LOGIN = json.dumps({"username": "lead", "password": PASSWORD})
CROSS_SITE = [
    {"Sec-Fetch-Site": "cross-site"},
    {"Origin": "https://evil.example"},
    {"Origin": "http://testserver.evil.example"},
    {"Origin": "https://testserver"},  # another scheme is another origin
    {"Origin": "http://testserver:8080"},  # and another port
    {"Origin": "null"},  # a sandboxed frame or a redirect chain: no origin to trust
    {"Sec-Fetch-Site": "same-site", "Origin": "http://app.testserver"},  # a sibling subdomain
    {"Sec-Fetch-Site": "cross-site", "Origin": "http://testserver"},
]
SAME_SITE = [
    {},  # curl, scripts
    {"Sec-Fetch-Site": "same-origin", "Origin": "http://testserver"},
    {"Origin": "http://testserver:80"},
    {"Origin": "HTTP://TestServer"},
    {"Sec-Fetch-Site": "none"},  # typed by the user
]


@pytest.mark.parametrize(
    "content_type",
    ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", None],
)
def test_the_json_login_takes_only_json(anon: TestClient, content_type: str | None) -> None:
    headers = {"Content-Type": content_type} if content_type else {}
    response = anon.post("/api/login", content=LOGIN, headers=headers)
    assert response.status_code == 415, response.text
    body = response.json()
    assert body["code"] == "Q626" and "application/json" in body["detail"] and "\n" not in body["detail"]
    assert "qa_session" not in response.cookies and anon.get("/api/tickets").status_code == 401


def test_json_with_a_charset_is_json(anon: TestClient) -> None:
    response = anon.post(
        "/api/login", content=LOGIN, headers={"Content-Type": "application/json; charset=utf-8"}
    )
    assert response.status_code == 200


@pytest.mark.parametrize("headers", CROSS_SITE)
def test_a_cross_site_login_is_refused(anon: TestClient, web_db, headers: dict) -> None:
    response = anon.post("/api/login", content=LOGIN, headers={"Content-Type": "application/json", **headers})
    assert response.status_code == 403 and response.json()["code"] == "Q627"
    assert "qa_session" not in response.cookies
    assert ("/api/login", 403, "Q627") in query(web_db, "SELECT path, status, code FROM audit_log")


@pytest.mark.parametrize("headers", SAME_SITE)
def test_a_same_site_login_passes(anon: TestClient, headers: dict) -> None:
    response = anon.post("/api/login", content=LOGIN, headers={"Content-Type": "application/json", **headers})
    assert response.status_code == 200, response.text


@pytest.mark.parametrize("headers", CROSS_SITE[:3])
def test_cross_site_writes_are_refused_even_with_the_session_and_token(login, web_db, headers: dict) -> None:
    lead = login("lead")
    review = {"tier": "green", "version": 0, "comment": "forged"}
    api = lead.post("/api/tickets/R-1/reviews", json=review, headers=headers)
    form = lead.client.post(
        "/tickets/R-1/reviews", data={**review, "version": "0", "csrf_token": lead.csrf}, headers=headers,
        follow_redirects=False,
    )  # fmt: skip
    out = lead.client.post("/logout", data={"csrf_token": lead.csrf}, headers=headers, follow_redirects=False)
    assert (api.status_code, form.status_code, out.status_code) == (403, 403, 403)
    assert api.json()["code"] == "Q627" and "Cross-site" in form.text
    assert query(web_db, "SELECT count(*) FROM reviews") == [(0,)]
    assert lead.get("/api/tickets").status_code == 200  # the session was not ended either


@pytest.mark.parametrize("method", ["PUT", "PATCH", "DELETE"])
def test_every_mutating_method_is_checked(anon: TestClient, method: str) -> None:
    refused = anon.request(method, "/api/tickets/R-1", headers={"Origin": "https://evil.example"})
    assert refused.status_code == 403 and refused.json()["code"] == "Q627"
    assert anon.request(method, "/api/tickets/R-1").status_code == 405  # no such call, from anywhere


def test_a_cross_site_link_is_still_followed(anon: TestClient) -> None:
    """Reading is no change: a link from a mail or a wiki to a ticket leads to the login page as usual."""
    response = anon.get("/tickets/R-1", headers={"Sec-Fetch-Site": "cross-site"}, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/login")


def test_the_login_form_posts_to_its_own_page(anon: TestClient) -> None:
    page = anon.get("/login")
    token = page.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    done = anon.post(
        "/login", data={"csrf_token": token, "username": "lead", "password": PASSWORD},
        headers={"Origin": "http://testserver", "Sec-Fetch-Site": "same-origin"}, follow_redirects=False,
    )  # fmt: skip
    assert done.status_code == 303 and anon.get("/api/tickets").status_code == 200
