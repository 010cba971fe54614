"""Deny by default: every route the app has, walked from `app.routes`, refuses a request without a session (401 for
the API and the schema, a redirect to /login for pages), except the login itself and the stylesheet. A route added
later without the session dependency fails here before it ships."""

from __future__ import annotations

import re

from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient
from starlette.routing import Mount

OPEN = {("GET", "/login"), ("POST", "/login"), ("POST", "/api/login")}  # signing in needs no session
OPEN_MOUNTS = {"/static"}  # the stylesheet
SAMPLE = {
    "ticket_id": "R-1",
    "dispute_id": "d-1",
    "session_id": "s-1",
    "username": "agent1",
}  # values for path parameters


def _calls(app) -> list[tuple[str, str]]:
    """(method, path) of every route, the routers' included (FastAPI includes them lazily: `iter_route_contexts`
    is how it walks them for the OpenAPI schema)."""
    calls = []
    for route in iter_route_contexts(app.routes):
        if isinstance(route.original_route, Mount):
            assert route.path in OPEN_MOUNTS, f"{route.path}: a mount; add a session check or allow it here"
            continue
        assert route.path and route.methods, route.original_route
        calls += [(method, route.path) for method in sorted(route.methods - {"HEAD"})]
    return calls


def test_every_route_but_the_login_needs_a_session(app, anon: TestClient) -> None:
    calls = _calls(app)
    assert ("GET", "/openapi.json") in calls and len(calls) > 20
    for method, path in calls:
        if (method, path) in OPEN:
            continue
        missing = {p for p in route_params(path) if p not in SAMPLE}
        assert not missing, f"{path}: give a sample value for {missing} in SAMPLE"
        url = re.sub(r"\{(\w+)(?::\w+)?\}", lambda m: SAMPLE[m.group(1)], path)  # {ticket_id:path} too
        response = anon.request(method, url, json={}, follow_redirects=False)
        if url.startswith("/api/") or url == "/openapi.json":
            assert response.status_code == 401, (method, url, response.status_code)
            assert response.json()["code"] == "Q610"
        else:
            assert response.status_code == 303, (method, url, response.status_code)
            assert response.headers["location"].startswith("/login")


def route_params(path: str) -> list[str]:
    return [part[1:-1].split(":")[0] for part in path.split("/") if part.startswith("{")]


def test_the_open_routes_are_open(anon: TestClient) -> None:
    assert anon.get("/login").status_code == 200
    wrong = anon.post("/api/login", json={"username": "lead", "password": "not it at all"})
    assert wrong.status_code == 401 and wrong.json()["code"] == "Q611"
    css = next(p for p in anon.get("/login").text.split('"') if p.startswith("/static/"))
    assert anon.get(css).status_code == 200
    assert anon.get("/static/").status_code == 404  # no listing


def test_the_api_schema_is_for_signed_in_users(anon: TestClient, login) -> None:
    assert anon.get("/openapi.json").status_code == 401
    spec = login("agent1").get("/openapi.json")
    assert spec.status_code == 200 and spec.headers["content-type"].startswith("application/json")
    assert "/api/tickets/{ticket_id}/reviews" in spec.json()["paths"]
    assert "/openapi.json" not in spec.json()["paths"]
