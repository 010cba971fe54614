"""Payment data typed by people into the app is not kept either: review, dispute and resolution comments, coaching
notes, a card typed into the search box or the login name. The store holds the mask, never the digits."""

from __future__ import annotations

from fastapi.testclient import TestClient

from .support import query

CARD = "4111 1111 1111 1111"
TABLES = ("reviews", "disputes", "coaching_sessions", "coaching_notes", "audit_log", "login_failures")


def _kept(web_db) -> str:
    return "\n".join(str(query(web_db, f"SELECT * FROM {table}")) for table in TABLES)


def test_what_people_type_keeps_no_card_or_password(app, login, web_db) -> None:
    lead, agent, coach = login("lead"), login("agent1"), login("coach1")
    review = {"tier": "red", "version": 0, "comment": f"Customer sent {CARD} cvv 123 in the chat"}
    assert lead.post("/api/tickets/R-1/reviews", json=review).status_code == 201
    filed = agent.post(
        "/api/tickets/R-1/disputes", json={"comment": f"I never saw 5500-0000-0000-0004, {CARD}"}
    )
    assert filed.status_code == 201
    url = f"/api/tickets/R-1/disputes/{filed.json()['dispute_id']}/resolution"
    resolution = {"decision": "rejected", "comment": "Passwort: Kx82!pq was in turn 2"}
    assert lead.post(url, json=resolution).status_code == 200
    note = {
        "agent_id": "a-1",
        "date": "2026-11-08",
        "focus_rules": ["closing_thanks"],
        "note": f"card {CARD}",
    }
    assert coach.post("/api/coaching", json=note).status_code == 201
    with TestClient(app, raise_server_exceptions=False) as anonymous:
        assert anonymous.get(f"/api/tickets?q={CARD}").status_code == 401
        assert (
            anonymous.post("/api/login", json={"username": "4111111111111111", "password": "x"}).status_code
            == 401
        )

    kept = _kept(web_db)
    for secret in ("1111 1111", "4111111111", "0000-0000", "cvv 123", "Kx82"):
        assert secret not in kept, secret
    assert kept.count("[CARD]") >= 5 and "[PASSWORD]" in kept and "[CVV]" in kept
    # the masked comment is what everyone reads back
    assert (
        agent.get("/api/tickets/R-1").json()["reviews"][0]["comment"]
        == "Customer sent [CARD] cvv [CVV] in the chat"
    )
