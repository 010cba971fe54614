"""Coaching sessions in the review app: who may record one for whom, who sees which, and bad input."""

from __future__ import annotations

import pytest

from .support import INJECTION, query

SESSION = {
    "agent_id": "a-1",
    "date": "2026-11-08",
    "focus_rules": ["closing_thanks"],
    "note": "Practised closings",
}


def _sessions(db) -> list[tuple]:
    return query(
        db, "SELECT agent_id, session_date::VARCHAR, focus_rules, note, coach FROM coaching_sessions"
    )


@pytest.fixture(scope="module")
def recorded(shared_login) -> dict[str, str]:
    """On the module's store: one session of a-1 (T1, by coach1) and one of a-3 (T2, by the lead)."""
    t1 = shared_login("coach1").post("/api/coaching", json=SESSION)
    t2 = shared_login("lead").post("/api/coaching", json={**SESSION, "agent_id": "a-3"})
    assert t1.status_code == t2.status_code == 201, (t1.text, t2.text)
    return {"a-1": t1.json()["session_id"], "a-3": t2.json()["session_id"]}


def test_a_coach_records_a_session_of_their_agent(login, web_db) -> None:
    response = login("coach1").post("/api/coaching", json=SESSION)
    assert response.status_code == 201
    body = response.json()
    assert (body["agent_id"], body["session_date"], body["focus_rules"], body["coach"]) == (
        "a-1", "2026-11-08", ["closing_thanks"], "coach1",
    )  # fmt: skip
    assert _sessions(web_db) == [("a-1", "2026-11-08", ["closing_thanks"], "Practised closings", "coach1")]
    assert body["practice"] is False


def test_practice_is_assigned_by_the_api_and_by_the_form_box(login, web_db) -> None:
    coach = login("coach1")
    assert coach.post("/api/coaching", json={**SESSION, "practice": True}).json()["practice"] is True
    form = {"csrf_token": coach.csrf, "agent_id": "a-2", "date": "2026-11-10", "focus_rules": ["closing_thanks"],
            "note": "", "practice": "on"}  # fmt: skip
    assert coach.client.post("/coaching", data=form, follow_redirects=False).status_code == 303
    stored = query(web_db, "SELECT agent_id, practice FROM coaching_sessions ORDER BY agent_id")
    assert stored == [("a-1", True), ("a-2", True)]


@pytest.mark.parametrize(
    ("user", "body", "status"),
    [
        ("agent1", SESSION, 403),  # agents do not record coaching
        ("coach1", {**SESSION, "agent_id": "a-3"}, 403),  # a-3 is in T2
        ("coach9", SESSION, 403),  # a team without a-1
        ("coach1", {**SESSION, "agent_id": "nobody"}, 403),  # unknown reads like out of scope
        ("lead", {**SESSION, "agent_id": "nobody"}, 422),
        ("lead", {**SESSION, "focus_rules": ["no_such_rule"]}, 422),
        ("lead", {**SESSION, "focus_rules": []}, 422),
        ("lead", {**SESSION, "focus_rules": "closing_thanks"}, 422),
        ("lead", {**SESSION, "date": "2026-02-30"}, 422),
        ("lead", {**SESSION, "date": "08/11/2026"}, 422),
        ("lead", {**SESSION, "date": "2999-01-01"}, 422),  # a session that has not happened
        ("lead", {**SESSION, "note": "x" * 4001}, 422),
        ("lead", {**SESSION, "note": "bad \x00 byte"}, 422),
        ("lead", {**SESSION, "practise": True}, 422),  # an unknown field is refused, not ignored
        ("lead", {**SESSION, "practice": "yes"}, 422),  # practice is a boolean
        ("lead", {k: v for k, v in SESSION.items() if k != "date"}, 422),
    ],
)
def test_refused_sessions_change_nothing(login, web_db, user, body, status) -> None:
    response = login(user).post("/api/coaching", json=body)
    assert response.status_code == status, response.text
    assert response.json()["code"] in ("Q613", "Q615") and "Traceback" not in response.text
    assert _sessions(web_db) == []


def test_the_error_names_the_field(login) -> None:
    lead = login("lead")
    rule = lead.post("/api/coaching", json={**SESSION, "focus_rules": ["closing_thank"]}).json()
    assert rule["detail"].startswith("Invalid focus_rules: unknown rule id 'closing_thank'")
    assert "closing_thanks" in rule["detail"]  # the nearby ids
    agent = lead.post("/api/coaching", json={**SESSION, "agent_id": "nobody"}).json()
    assert agent["detail"].startswith("Invalid agent_id")


def test_recording_needs_the_csrf_token_and_a_session(login, anon, web_db) -> None:
    assert login("coach1").post("/api/coaching", json=SESSION, csrf=False).status_code == 403
    assert anon.post("/api/coaching", json=SESSION).status_code == 401
    assert _sessions(web_db) == []


def test_each_reader_sees_the_sessions_in_their_scope(shared_login, recorded) -> None:
    def agents(user: str, params: str = "") -> list[str]:
        response = shared_login(user).get(f"/api/coaching{params}")
        assert response.status_code == 200
        return sorted(s["agent_id"] for s in response.json()["items"])

    assert agents("lead") == ["a-1", "a-3"]
    assert agents("coach1") == ["a-1"]
    assert agents("agent1") == ["a-1"] and agents("agent2") == []
    assert agents("coach9") == []
    assert agents("lead", "?agent_id=a-3") == ["a-3"]


def test_another_teams_session_is_not_shown(shared_login, shared_db, recorded) -> None:
    other = recorded["a-3"]
    for user in ("coach1", "agent1"):
        response = shared_login(user).get(f"/api/coaching/{other}")
        assert response.status_code == 404 and response.json()["code"] == "Q624"
    assert shared_login("lead").get(f"/api/coaching/{other}").json()["agent_id"] == "a-3"
    assert shared_login("coach1").get(f"/api/coaching/{recorded['a-1']}").status_code == 200
    for user, params in (("coach1", "agent_id=a-3"), ("agent1", "agent_id=a-2")):
        assert shared_login(user).get(f"/api/coaching?{params}").status_code == 403
    assert ("coach1", 403) in query(
        shared_db, "SELECT username, status FROM audit_log WHERE path LIKE '/api/coaching%'"
    )
    assert other not in shared_login("coach1").get("/coaching").text


def test_each_session_carries_its_before_and_after(shared_login, recorded) -> None:
    [session] = shared_login("coach1").get("/api/coaching").json()["items"]
    [effect] = session["effects"]
    assert effect["rule_id"] == "closing_thanks"
    assert (effect["before_from"], effect["before_to"]) == ("2026-10-25", "2026-11-07")
    assert (effect["after_from"], effect["after_to"]) == ("2026-11-09", "2026-11-22")
    assert effect["verdict"] in ("improved", "declined", "no clear change", "too few tickets")
    assert effect["before_judged"] + effect["after_judged"] > 0


def test_the_form_records_and_lists_the_session(login, web_db) -> None:
    coach = login("coach1")
    page = coach.get("/coaching")
    assert page.status_code == 200 and 'id="coaching-form"' in page.text
    assert 'value="a-3"' not in page.text and 'value="closing_thanks"' in page.text
    form = {"csrf_token": coach.csrf, "agent_id": "a-2", "date": "2026-11-10",
            "focus_rules": ["closing_thanks", "greeting_own_name"], "note": INJECTION}  # fmt: skip
    response = coach.client.post("/coaching", data=form, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/coaching?agent_id=a-2&recorded=1"
    [(agent, day, rules, note, by)] = _sessions(web_db)
    assert (agent, day, sorted(rules), note, by) == (
        "a-2", "2026-11-10", ["closing_thanks", "greeting_own_name"], INJECTION, "coach1",
    )  # fmt: skip
    listed = coach.get(response.headers["location"]).text
    assert "Session recorded." in listed and INJECTION not in listed and "&lt;script&gt;" in listed


def test_a_bad_form_keeps_what_the_coach_typed(login, web_db) -> None:
    coach = login("coach1")
    form = {"csrf_token": coach.csrf, "agent_id": "a-2", "date": "2026-11-10", "focus_rules": ["nope"],
            "note": "my careful note"}  # fmt: skip
    response = coach.client.post("/coaching", data=form)
    assert response.status_code == 422
    assert "Invalid focus_rules" in response.text and "my careful note" in response.text
    no_token = coach.client.post("/coaching", data={**form, "csrf_token": "wrong"})
    assert no_token.status_code == 403
    agent = login("agent1")
    assert agent.client.post("/coaching", data={**form, "csrf_token": agent.csrf}).status_code == 403
    assert 'id="coaching-form"' not in agent.get("/coaching").text
    assert _sessions(web_db) == []
