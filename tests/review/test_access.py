"""Every role against every endpoint: who may see and do what, and what a refusal looks like.

R-1 belongs to agent a-1 in team T1, Y-1 to a-2 in T1, G-1 to a-3 in T2. lead2 has reviewed R-1 once and agent1 has
disputed that review before each test, so disputes and resolutions have something to act on.
"""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from .support import query

REVIEW = {"tier": "yellow", "version": 1, "comment": "blame is serious, but the rest was fine"}
DISPUTE = {"comment": "I apologised in the next message"}
RESOLUTION = {"decision": "rejected", "comment": "the blame stands"}
COACHING = {"agent_id": "a-1", "date": "2026-11-08", "focus_rules": ["closing_thanks"], "note": "closings"}


@pytest.fixture(scope="module")
def shared_dispute(shared_login) -> str:
    """On the module's shared store: lead2 reviewed R-1 (version 1) and agent1 disputed it."""
    lead2 = shared_login("lead2")
    assert lead2.post("/api/tickets/R-1/reviews", json={"tier": "red", "version": 0}).status_code == 201
    response = shared_login("agent1").post("/api/tickets/R-1/disputes", json=DISPUTE)
    assert response.status_code == 201
    return response.json()["dispute_id"]


@pytest.fixture
def dispute_id(login) -> str:
    """The same, on this test's own store."""
    lead2 = login("lead2")
    assert lead2.post("/api/tickets/R-1/reviews", json={"tier": "red", "version": 0}).status_code == 201
    response = login("agent1").post("/api/tickets/R-1/disputes", json=DISPUTE)
    assert response.status_code == 201
    return response.json()["dispute_id"]


def _human_rows(path) -> tuple:
    tables = ("reviews", "disputes", "coaching_sessions")
    return tuple(query(path, f"SELECT count(*) FROM {table}")[0][0] for table in tables)


ALL = ("lead", "coach1", "coach9", "agent1", "agent2", "agent3")

CASES = [
    # reading
    *[(user, "GET", "/api/tickets", None, 200) for user in ALL],
    *[(user, "GET", "/api/tickets/R-1", None, code) for user, code in
      zip(ALL, (200, 200, 404, 200, 404, 404), strict=True)],
    *[(user, "GET", "/api/tickets/G-1", None, code) for user, code in
      zip(ALL, (200, 404, 404, 404, 404, 200), strict=True)],
    *[(user, "GET", "/api/tickets/NO-SUCH", None, 404) for user in ALL],
    *[(user, "GET", "/api/calibration", None, code) for user, code in
      zip(ALL, (200, 200, 200, 403, 403, 403), strict=True)],
    # reviewing: QA leads only
    *[(user, "POST", "/api/tickets/R-1/reviews", REVIEW, code) for user, code in
      zip(ALL, (201, 403, 403, 403, 403, 403), strict=True)],
    ("lead", "POST", "/api/tickets/NO-SUCH/reviews", {"tier": "red", "version": 0}, 404),
    # disputing: the ticket's own agent only
    *[(user, "POST", "/api/tickets/R-1/disputes", DISPUTE, code) for user, code in
      zip(ALL, (403, 403, 403, 201, 404, 404), strict=True)],
    ("agent3", "POST", "/api/tickets/G-1/disputes", DISPUTE, 409),  # own ticket, never reviewed
    # resolving: QA leads only
    *[(user, "POST", "/api/tickets/R-1/disputes/{dispute}/resolution", RESOLUTION, code) for user, code in
      zip(ALL, (200, 403, 403, 403, 403, 403), strict=True)],
    ("lead", "POST", "/api/tickets/R-1/disputes/not-a-dispute/resolution", RESOLUTION, 404),
    # KPIs: everyone, over their own scope; narrowing to someone outside it is refused
    *[(user, "GET", "/api/kpi", None, 200) for user in ALL],
    *[(user, "GET", "/api/kpi?by=agent&agent_id=a-1", None, code) for user, code in
      zip(ALL, (200, 200, 403, 200, 403, 403), strict=True)],
    *[(user, "GET", "/api/kpi?team=T2", None, code) for user, code in
      zip(ALL, (200, 403, 403, 200, 200, 200), strict=True)],  # an agent's own tickets in T2: none, or a-3's
    # coaching: everyone reads within scope; coaches and QA leads record, for agents in scope
    *[(user, "GET", "/api/coaching", None, 200) for user in ALL],
    *[(user, "GET", "/api/coaching?agent_id=a-1", None, code) for user, code in
      zip(ALL, (200, 200, 403, 200, 403, 403), strict=True)],
    *[(user, "POST", "/api/coaching", COACHING, code) for user, code in
      zip(ALL, (201, 201, 403, 403, 403, 403), strict=True)],
    # pages
    *[(user, "GET", "/", None, 200) for user in ALL],
    *[(user, "GET", "/kpi", None, 200) for user in ALL],
    *[(user, "GET", "/coaching", None, 200) for user in ALL],
    *[(user, "GET", "/tickets/R-1", None, code) for user, code in
      zip(ALL, (200, 200, 404, 200, 404, 404), strict=True)],
    *[(user, "GET", "/calibration", None, code) for user, code in
      zip(ALL, (200, 200, 200, 403, 403, 403), strict=True)],
]  # fmt: skip


def _call(client, method: str, url: str, body):
    return client.get(url) if method == "GET" else client.post(url, json=body)


REFUSED_OR_READ = [c for c in CASES if c[1] == "GET" or c[4] >= 400]
GRANTED_WRITES = [c for c in CASES if c[1] == "POST" and c[4] < 400]


@pytest.mark.parametrize(("user", "method", "path", "body", "expected"), REFUSED_OR_READ)
def test_role_against_endpoint(
    shared_login, shared_dispute, shared_db, user, method, path, body, expected
) -> None:
    """Reads and refusals, on one shared store: a refusal changes nothing and is on record."""
    client = shared_login(user)
    url = path.replace("{dispute}", shared_dispute)
    audit_before, human_before = (
        query(shared_db, "SELECT count(*) FROM audit_log")[0][0],
        _human_rows(shared_db),
    )
    response = _call(client, method, url, body)
    assert response.status_code == expected, response.text
    assert "Traceback" not in response.text
    assert _human_rows(shared_db) == human_before
    audited = query(shared_db, "SELECT count(*) FROM audit_log")[0][0] - audit_before
    denied = expected in (401, 403) or (
        expected == 404 and "NO-SUCH" not in url and "not-a-dispute" not in url
    )
    assert audited == (1 if denied else 0)


@pytest.mark.parametrize(("user", "method", "path", "body", "expected"), GRANTED_WRITES)
def test_role_may_write(login, dispute_id, web_db, user, method, path, body, expected) -> None:
    """The writes a role may make, each on a fresh store: they succeed and are stored."""
    before = _human_rows(web_db)
    response = _call(login(user), method, path.replace("{dispute}", dispute_id), body)
    assert response.status_code == expected, response.text
    after = _human_rows(web_db)
    if path.endswith("/resolution"):
        assert after == before
        assert query(web_db, "SELECT status FROM disputes WHERE dispute_id = ?", [dispute_id]) == [
            ("rejected",)
        ]
    else:
        assert sum(after) == sum(before) + 1


def test_scope_shapes_the_queue_and_its_counts(shared_login) -> None:
    seen = {}
    for user in ALL:
        body = shared_login(user).get("/api/tickets?limit=200").json()
        seen[user] = body
        assert sum(body["counts"].values()) == len(body["items"])
    ids = {user: {i["ticket_id"] for i in body["items"]} for user, body in seen.items()}
    assert {"R-1", "G-1", "Y-1"} <= ids["lead"]
    assert all(i["team"] == "T1" for i in seen["coach1"]["items"]) and "R-1" in ids["coach1"]
    assert ids["coach9"] == set()
    for user, agent in (("agent1", "a-1"), ("agent2", "a-2"), ("agent3", "a-3")):
        assert ids[user] and all(i["agent_id"] == agent for i in seen[user]["items"])
    # An agent's filters cannot widen the scope.
    widened = shared_login("agent1").get("/api/tickets?agent_id=a-3&limit=200").json()
    assert widened["items"] == [] and sum(widened["counts"].values()) == 0


def test_coach_calibration_counts_only_their_team(login) -> None:
    lead = login("lead")
    assert lead.post("/api/tickets/R-1/reviews", json={"tier": "green", "version": 0}).status_code == 201
    assert lead.post("/api/tickets/G-1/reviews", json={"tier": "green", "version": 0}).status_code == 201
    assert lead.get("/api/calibration").json()["machine_vs_human"]["tickets"] == 2
    assert login("coach1").get("/api/calibration").json()["machine_vs_human"]["tickets"] == 1
    assert login("coach9").get("/api/calibration").json()["machine_vs_human"]["tickets"] == 0


API_CALLS = [
    ("GET", "/api/tickets"),
    ("GET", "/api/tickets/R-1"),
    ("GET", "/api/calibration"),
    ("POST", "/api/logout"),
    ("POST", "/api/tickets/R-1/reviews"),
    ("POST", "/api/tickets/R-1/disputes"),
    ("POST", "/api/tickets/R-1/disputes/x/resolution"),
]
PAGES = ["/", "/tickets/R-1", "/calibration"]
FORMS = ["/logout", "/tickets/R-1/reviews", "/tickets/R-1/disputes", "/tickets/R-1/disputes/x/resolution"]


@pytest.mark.parametrize(("method", "path"), API_CALLS)
def test_the_api_without_a_session_is_401(anon: TestClient, web_db, method: str, path: str) -> None:
    response = anon.request(method, path, json={"tier": "red", "version": 0, "comment": "x"})
    assert response.status_code == 401
    assert response.json()["code"] == "Q610"
    assert (path, 401) in query(web_db, "SELECT path, status FROM audit_log")


@pytest.mark.parametrize("path", PAGES)
def test_pages_without_a_session_redirect_to_login(anon: TestClient, path: str) -> None:
    response = anon.get(path, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/login")


@pytest.mark.parametrize("path", FORMS)
def test_forms_without_a_session_redirect_to_login(anon: TestClient, path: str) -> None:
    response = anon.post(path, data={"comment": "x"}, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/login"


@pytest.mark.parametrize(("method", "path"), [c for c in API_CALLS if c[0] == "POST"])
@pytest.mark.parametrize("token", [None, "", "forged-token"])
def test_mutating_api_calls_need_the_csrf_token(shared_login, shared_db, method, path, token) -> None:
    lead = shared_login("lead")
    before = _human_rows(shared_db)
    headers = {} if token is None else {"X-CSRF-Token": token}
    response = lead.post(path, json={"tier": "red", "version": 0}, csrf=False, headers=headers)
    assert response.status_code == 403 and response.json()["code"] == "Q612"
    assert _human_rows(shared_db) == before
    assert lead.get("/api/tickets").status_code == 200  # the logout was refused too


def test_another_users_csrf_token_is_refused(shared_login, shared_db) -> None:
    lead, lead2 = shared_login("lead"), shared_login("lead2")
    before = _human_rows(shared_db)
    response = lead.post("/api/tickets/R-1/reviews", json={"tier": "red", "version": 0}, csrf=False,
                         headers={"X-CSRF-Token": lead2.csrf})  # fmt: skip
    assert response.status_code == 403
    assert _human_rows(shared_db) == before


@pytest.mark.parametrize("path", FORMS)
def test_forms_need_the_csrf_field(shared_login, shared_db, path: str) -> None:
    user = shared_login("agent1" if path.endswith("/disputes") else "lead")
    before = _human_rows(shared_db)
    response = user.client.post(
        path, data={"tier": "red", "version": "0", "comment": "x", "decision": "rejected"}
    )
    assert response.status_code == 403
    assert "CSRF" in response.text
    assert _human_rows(shared_db) == before


def test_responses_carry_security_headers(shared_login) -> None:
    response = shared_login("lead").get("/tickets/R-1")
    assert (
        "script-src" not in response.headers["content-security-policy"]
    )  # default-src 'none': no script at all
    assert "default-src 'none'" in response.headers["content-security-policy"]
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["cache-control"] == "no-store"
