"""Reviews, disputes and their resolution: versions, refusals that change nothing, escaping, and re-scores that
never touch a human decision."""

from __future__ import annotations

import json
import threading

import polars as pl
import pytest

from qa_engine import schema
from qa_engine.auth.admin import set_disabled
from qa_engine.auth.users import User
from qa_engine.errors import QAError
from qa_engine.review.audit import Actor
from qa_engine.review.db import ReviewDB
from qa_engine.review.models import MAX_COMMENT, ReviewIn
from qa_engine.review.reviews import add_review
from qa_engine.review.scope import scope_for
from qa_engine.store import Store

from .support import INJECTION, build_rows, execute, query


def human_rows(path) -> list[tuple]:
    return query(path, "SELECT * FROM reviews ORDER BY version") + query(path, "SELECT * FROM disputes")


def test_a_review_is_stored_with_both_verdicts_and_bumps_the_version(login, web_db) -> None:
    lead = login("lead")
    body = {
        "tier": "yellow",
        "rule_overrides": {"greeting_own_name": "pass"},
        "comment": "Tone was ok",
        "version": 0,
    }
    response = lead.post("/api/tickets/R-1/reviews", json=body)
    assert response.status_code == 201
    review = response.json()
    assert (review["version"], review["tier"], review["machine_tier"], review["reviewer"]) == (
        1,
        "yellow",
        "red",
        "lead",
    )
    assert review["rule_outcomes"] == {
        "closing_thanks": "na",
        "greeting_own_name": "pass",
        "no_blaming_customer": "fail",
    }
    assert review["machine_outcomes"]["greeting_own_name"] == "fail"
    ticket = lead.get("/api/tickets/R-1").json()
    assert ticket["version"] == 1 and ticket["tier"] == "red" and ticket["human"]["tier"] == "yellow"
    assert ticket["reviews"][0]["comment"] == "Tone was ok"
    queue = lead.get("/api/tickets?tier=red").json()["items"]
    assert next(i for i in queue if i["ticket_id"] == "R-1")["human_tier"] == "yellow"


def test_a_stale_version_is_409_and_changes_nothing(login, web_db) -> None:
    lead, lead2 = login("lead"), login("lead2")
    assert lead.post("/api/tickets/R-1/reviews", json={"tier": "yellow", "version": 0}).status_code == 201
    before = human_rows(web_db)
    stale = lead2.post("/api/tickets/R-1/reviews", json={"tier": "green", "version": 0, "comment": "mine"})
    assert stale.status_code == 409
    assert stale.json()["code"] == "Q616" and "version 1" in stale.json()["detail"]
    assert human_rows(web_db) == before
    ahead = lead2.post("/api/tickets/R-1/reviews", json={"tier": "green", "version": 5})
    assert ahead.status_code == 409
    fresh = lead2.post("/api/tickets/R-1/reviews", json={"tier": "green", "version": 1, "comment": "mine"})
    assert fresh.status_code == 201 and fresh.json()["version"] == 2


def test_two_reviewers_saving_at_once_one_wins_one_is_told(login, web_db) -> None:
    leads = [login("lead"), login("lead2")]
    results: list[int] = []
    barrier = threading.Barrier(2)

    def save(client, tier: str) -> None:
        barrier.wait()
        results.append(client.post("/api/tickets/Y-1/reviews", json={"tier": tier, "version": 0}).status_code)

    threads = [
        threading.Thread(target=save, args=(c, t)) for c, t in zip(leads, ("red", "green"), strict=True)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [201, 409]
    assert query(web_db, "SELECT version FROM reviews WHERE ticket_id = 'Y-1'") == [(1,)]


@pytest.mark.parametrize(
    ("body", "where"),
    [
        ({"tier": "purple", "version": 0}, "tier"),
        ({"version": 0}, "tier"),
        ({"tier": "red"}, "version"),
        ({"tier": "red", "version": "0"}, "version"),
        ({"tier": "red", "version": -1}, "version"),
        ({"tier": "red", "version": True}, "version"),
        ({"tier": "red", "version": 0, "comment": "x" * (MAX_COMMENT + 1)}, "comment"),
        ({"tier": "red", "version": 0, "comment": "bell \x07"}, "comment"),
        ({"tier": "red", "version": 0, "comment": 42}, "comment"),
        ({"tier": "red", "version": 0, "rule_overrides": {"no_blaming_customer": "maybe"}}, "rule_overrides"),
        ({"tier": "red", "version": 0, "rule_overrides": {"no_such_rule": "pass"}}, "rule_overrides"),
        ({"tier": "red", "version": 0, "rule_overrides": ["pass"]}, "rule_overrides"),
        ({"tier": "red", "version": 0, "tierr": "green"}, "tierr"),
    ],
)
def test_malformed_reviews_get_422_and_change_nothing(login, web_db, body: dict, where: str) -> None:
    response = login("lead").post("/api/tickets/R-1/reviews", json=body)
    assert response.status_code == 422, response.text
    assert response.json()["code"] == "Q615" and where in response.json()["detail"]
    assert human_rows(web_db) == []


@pytest.mark.parametrize(
    "raw",
    [b"{not json", b"", b'"just a string"', b"\xff\xfe", b'{"tier": "red", "version": 0'],
)
def test_bodies_that_are_not_a_json_object_get_422(login, web_db, raw: bytes) -> None:
    lead = login("lead")
    response = lead.client.post(
        "/api/tickets/R-1/reviews",
        content=raw,
        headers={"X-CSRF-Token": lead.csrf, "content-type": "application/json"},
    )
    assert response.status_code == 422 and "Traceback" not in response.text
    assert human_rows(web_db) == []


def test_an_oversized_body_is_refused_unread(login, web_db) -> None:
    lead = login("lead")
    response = lead.post(
        "/api/tickets/R-1/reviews", json={"tier": "red", "version": 0, "comment": "x" * 100_000}
    )
    assert response.status_code == 413 and response.json()["code"] == "Q620"
    assert human_rows(web_db) == []


def test_comments_are_stored_as_written_and_rendered_escaped(login, web_db) -> None:
    lead = login("lead")
    comment = f"Agent wrote {INJECTION} & said 'sorry'\nsecond line"
    assert (
        lead.post(
            "/api/tickets/R-1/reviews", json={"tier": "red", "version": 0, "comment": comment}
        ).status_code
        == 201
    )
    assert query(web_db, "SELECT comment FROM reviews") == [(comment,)]
    assert lead.get("/api/tickets/R-1").json()["reviews"][0]["comment"] == comment
    html = lead.get("/tickets/R-1").text
    assert INJECTION not in html and "<img" not in html
    assert (
        "&lt;script&gt;alert(&#34;xss&#34;)&lt;/script&gt;" in html and "&amp; said &#39;sorry&#39;" in html
    )


def test_disputes_need_a_review_and_a_qa_lead_resolves_them(login, web_db) -> None:
    lead, agent = login("lead"), login("agent1")
    early = agent.post("/api/tickets/R-1/disputes", json={"comment": "nothing to dispute yet"})
    assert early.status_code == 409 and early.json()["code"] == "Q617"
    assert lead.post("/api/tickets/R-1/reviews", json={"tier": "red", "version": 0}).status_code == 201
    for bad in (
        {"comment": ""},
        {"comment": "   "},
        {},
        {"comment": "x" * (MAX_COMMENT + 1)},
        {"comment": "ok", "x": 1},
    ):
        assert agent.post("/api/tickets/R-1/disputes", json=bad).status_code == 422
    filed = agent.post("/api/tickets/R-1/disputes", json={"comment": f"I apologised right after {INJECTION}"})
    assert filed.status_code == 201
    dispute = filed.json()
    assert (dispute["status"], dispute["review_version"], dispute["username"]) == ("open", 1, "agent1")
    url = f"/api/tickets/R-1/disputes/{dispute['dispute_id']}/resolution"
    assert lead.post(url, json={"decision": "maybe"}).status_code == 422
    done = lead.post(url, json={"decision": "accepted", "comment": "fair point"})
    assert done.status_code == 200 and done.json()["status"] == "accepted"
    again = lead.post(url, json={"decision": "rejected"})
    assert again.status_code == 409 and again.json()["code"] == "Q619"
    ticket = agent.get("/api/tickets/R-1").json()
    assert ticket["disputes"][0]["status"] == "accepted" and ticket["disputes"][0]["resolved_by"] == "lead"
    html = agent.get("/tickets/R-1").text
    assert INJECTION not in html and "fair point" in html


def test_rescoring_never_changes_human_decisions(login, web_db) -> None:
    lead, agent = login("lead"), login("agent1")
    assert (
        lead.post(
            "/api/tickets/R-1/reviews", json={"tier": "yellow", "version": 0, "comment": "kept"}
        ).status_code
        == 201
    )
    assert agent.post("/api/tickets/R-1/disputes", json={"comment": "kept too"}).status_code == 201
    before = human_rows(web_db)
    # The nightly job re-scores R-1: its rows in tickets, turns and rule_results are replaced; the machine now says green.
    tickets, turns, rules = build_rows()
    ticket = {
        **next(t for t in tickets if t["ticket_id"] == "R-1"),
        "tier": "green",
        "tier_reasons": [],
        "tier_evidence": "[]",
    }
    Store(web_db).write_results(
        pl.DataFrame([ticket], infer_schema_length=None).with_columns(
            pl.col("created_at", "started_at", "scored_at").cast(pl.Datetime("us", "UTC")),
            pl.col("tier_reasons").cast(pl.List(pl.String)),
        ),
        pl.DataFrame(
            [t for t in turns if t["ticket_id"] == "R-1"], schema={**schema.TURNS_IN, **schema.TURNS_AFFECT}
        ),
        pl.DataFrame([r for r in rules if r["ticket_id"] == "R-1"], schema=schema.RULE_RESULTS),
    )
    assert human_rows(web_db) == before
    shown = lead.get("/api/tickets/R-1").json()
    assert (shown["tier"], shown["human"]["tier"], shown["version"]) == ("green", "yellow", 1)
    assert shown["reviews"][0]["machine_tier"] == "red"  # what the reviewer saw then
    html = lead.get("/tickets/R-1").text
    assert "kept" in html and "kept too" in html


# forms ------------------------------------------------------------------------------------------------------------
def test_the_review_form_saves_and_redirects(login, web_db) -> None:
    lead = login("lead")
    response = lead.client.post(
        "/tickets/R-1/reviews",
        data={"csrf_token": lead.csrf, "version": "0", "tier": "yellow", "comment": "via form",
              "rule:greeting_own_name": "pass", "rule:no_blaming_customer": ""},
        follow_redirects=False,
    )  # fmt: skip
    assert response.status_code == 303 and response.headers["location"] == "/tickets/R-1#reviews"
    [(tier, overrides, comment)] = query(web_db, "SELECT tier, rule_overrides, comment FROM reviews")
    assert (tier, json.loads(overrides), comment) == ("yellow", {"greeting_own_name": "pass"}, "via form")


def test_a_stale_review_form_is_409_and_keeps_what_was_typed(login, web_db) -> None:
    lead, lead2 = login("lead"), login("lead2")
    assert (
        lead.post(
            "/api/tickets/R-1/reviews", json={"tier": "red", "version": 0, "comment": "first"}
        ).status_code
        == 201
    )
    response = lead2.client.post(
        "/tickets/R-1/reviews",
        data={"csrf_token": lead2.csrf, "version": "0", "tier": "green", "comment": "my careful words"},
    )
    assert response.status_code == 409
    html = response.text
    assert "reviewed meanwhile" in html
    assert "my careful words</textarea>" in html  # nothing lost
    assert 'name="version" value="1"' in html  # saving again now is a knowing overwrite
    assert 'value="green" checked' in html
    assert len(query(web_db, "SELECT * FROM reviews")) == 1


@pytest.mark.parametrize(
    "data",
    [
        {"version": "0", "tier": "purple"},
        {"version": "zero", "tier": "red"},
        {"version": "0"},
        {"version": "0", "tier": "red", "comment": "x" * (MAX_COMMENT + 1)},
        {"version": "0", "tier": "red", "rule:no_such_rule": "pass"},
        {"version": "0", "tier": "red", "rule:no_blaming_customer": "maybe"},
    ],
)
def test_malformed_review_forms_get_422(login, web_db, data: dict) -> None:
    lead = login("lead")
    response = lead.client.post("/tickets/R-1/reviews", data={"csrf_token": lead.csrf, **data})
    assert response.status_code == 422 and "Invalid" in response.text and "Traceback" not in response.text
    assert human_rows(web_db) == []


def test_dispute_and_resolution_forms(login, web_db) -> None:
    lead, agent = login("lead"), login("agent1")
    assert lead.post("/api/tickets/R-1/reviews", json={"tier": "red", "version": 0}).status_code == 201
    filed = agent.client.post("/tickets/R-1/disputes", data={"csrf_token": agent.csrf, "comment": "please look again"},
                              follow_redirects=False)  # fmt: skip
    assert filed.status_code == 303
    [(dispute_id,)] = query(web_db, "SELECT dispute_id FROM disputes")
    assert "please look again" in lead.get("/tickets/R-1").text
    resolved = lead.client.post(
        f"/tickets/R-1/disputes/{dispute_id}/resolution",
        data={"csrf_token": lead.csrf, "decision": "rejected", "comment": "stands"},
        follow_redirects=False,
    )
    assert resolved.status_code == 303
    assert query(web_db, "SELECT status, resolution_comment FROM disputes") == [("rejected", "stands")]
    empty = agent.client.post("/tickets/R-1/disputes", data={"csrf_token": agent.csrf, "comment": " "})
    assert empty.status_code == 422


def test_a_ticket_whose_id_holds_slashes_opens_and_takes_reviews(login, web_db) -> None:
    # real exports number tickets "ORD/2026/0001"; the contract allows any non-empty id
    slashed = "ORD/2026/0001"
    for table in ("tickets", "turns", "rule_results"):
        columns = ", ".join(name for (name,) in query(web_db, f"SELECT column_name FROM information_schema.columns "
                                                              f"WHERE table_name = '{table}' ORDER BY ordinal_position"))  # fmt: skip
        chosen = columns.replace("ticket_id", "? AS ticket_id", 1)
        execute(web_db, f"INSERT INTO {table} ({columns}) SELECT {chosen} FROM {table} WHERE ticket_id = 'R-1'",
                [slashed])  # fmt: skip
    lead = login("lead")
    queue = lead.get("/").text
    assert 'href="/tickets/ORD/2026/0001"' in queue or 'href="/tickets/ORD%2F2026%2F0001"' in queue
    for path in ("/tickets/ORD/2026/0001", "/tickets/ORD%2F2026%2F0001"):
        page = lead.get(path)
        assert page.status_code == 200 and slashed in page.text
    assert lead.get("/api/tickets/ORD/2026/0001").json()["ticket_id"] == slashed
    saved = lead.post("/api/tickets/ORD/2026/0001/reviews", json={"tier": "yellow", "version": 0})
    assert saved.status_code == 201 and saved.json()["ticket_id"] == slashed
    assert query(web_db, "SELECT ticket_id, version FROM reviews") == [(slashed, 1)]
    assert lead.get("/api/tickets/R-1").json()["reviews"] == []  # the other ticket is untouched


def test_a_write_waiting_for_the_lock_is_refused_once_its_user_was_disabled_or_demoted(web_db) -> None:
    # the request passed its session check; a QA lead disabled its user (or changed the role) before its write
    # got the app's write lock: the write must not land after that
    db, lead = ReviewDB(web_db), User("lead", "qa_lead")
    execute(web_db, "UPDATE users SET role = 'coach', team = 'T1' WHERE username = 'lead'")
    with pytest.raises(QAError) as refused:
        add_review(db, lead, scope_for(lead), "R-1", ReviewIn(tier="red", version=0))
    assert refused.value.code == "Q610"
    execute(web_db, "UPDATE users SET role = 'qa_lead', team = NULL, disabled = true WHERE username = 'lead'")
    with pytest.raises(QAError):
        add_review(db, lead, scope_for(lead), "R-1", ReviewIn(tier="red", version=0))
    assert query(web_db, "SELECT count(*) FROM reviews") == [(0,)]
    # two leads disabling each other at once: the second finds its own lead gone and changes nothing
    with pytest.raises(QAError):
        set_disabled(db, "lead2", True, Actor("lead", "POST", "/api/users/lead2/disable"))
    assert query(web_db, "SELECT disabled FROM users WHERE username = 'lead2'") == [(False,)]
