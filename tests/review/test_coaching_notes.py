"""A coaching session's notes in the review app: a second note for the same session is kept beside the first."""

from __future__ import annotations

from .support import query

SESSION = {
    "agent_id": "a-1",
    "date": "2026-11-08",
    "focus_rules": ["closing_thanks"],
    "note": "Practised closings",
}


def test_the_api_keeps_every_note_of_a_session(login, web_db) -> None:
    coach = login("coach1")
    first = coach.post("/api/coaching", json=SESSION)
    second = coach.post("/api/coaching", json={**SESSION, "note": "Closings done, now greetings"})
    assert first.status_code == second.status_code == 201
    assert first.json()["session_id"] == second.json()["session_id"]
    assert [n["note"] for n in second.json()["notes"]] == [
        "Practised closings",
        "Closings done, now greetings",
    ]
    assert query(web_db, "SELECT count(*) FROM coaching_notes") == [(2,)]
    (listed,) = [
        s for s in coach.get("/api/coaching").json()["items"] if s["session_id"] == first.json()["session_id"]
    ]
    assert listed["note"] == "Closings done, now greetings"
    assert [(n["note"], n["coach"]) for n in listed["notes"]] == [
        ("Practised closings", "coach1"),
        ("Closings done, now greetings", "coach1"),
    ]


def test_the_page_shows_the_latest_note_and_keeps_the_earlier_ones(login) -> None:
    coach = login("coach1")
    coach.post("/api/coaching", json=SESSION)
    coach.post("/api/coaching", json={**SESSION, "note": "Closings done, now greetings"})
    page = coach.get("/coaching").text
    assert "Closings done, now greetings" in page
    assert "Earlier notes (1)" in page and "Practised closings" in page
