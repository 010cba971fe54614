"""Reviews are bound to what was reviewed (`qa_engine.review.binding`): a ticket id re-imported with another agent
does not carry the first agent's reviews over, and a re-score never deletes one."""

from __future__ import annotations

from pathlib import Path

import duckdb
import polars as pl
import pytest

from qa_engine import schema
from qa_engine.auth.users import User
from qa_engine.errors import QAError
from qa_engine.review.calibration import MACHINE_VS_HUMAN, calibration
from qa_engine.review.db import ReviewDB
from qa_engine.review.models import DisputeIn, ReviewIn
from qa_engine.review.reviews import add_dispute, add_review
from qa_engine.review.scope import scope_for
from qa_engine.review.tickets import load_ticket
from qa_engine.store import Store

from .support import build_rows, query

LEAD = User("lead", "qa_lead")
AGENT1 = User("agent1", "agent", agent_id="a-1", team="T1")
AGENT3 = User("agent3", "agent", agent_id="a-3", team="T2")


def reimport(db: Path, ticket_id: str, agent_id: str, team: str, content_hash: str) -> None:
    """The helpdesk hands the id out again: the scored rows are replaced by another agent's conversation."""
    tickets, turns, rules = build_rows()
    ticket = {
        **next(t for t in tickets if t["ticket_id"] == ticket_id),
        "agent_id": agent_id, "team": team, "content_hash": content_hash,
    }  # fmt: skip
    Store(db).write_results(
        pl.DataFrame([ticket], infer_schema_length=None).with_columns(
            pl.col("created_at", "started_at", "scored_at").cast(pl.Datetime("us", "UTC")),
            pl.col("tier_reasons", "contact_reasons_other", "escalation_signals").cast(pl.List(pl.String)),
            pl.col("contact_reason_score", "escalation_risk").cast(pl.Float64),
        ),
        pl.DataFrame(
            [{**t, "agent_id": agent_id} for t in turns if t["ticket_id"] == ticket_id],
            schema={**schema.TURNS_IN, **schema.TURNS_AFFECT},
        ),
        pl.DataFrame([r for r in rules if r["ticket_id"] == ticket_id], schema=schema.RULE_RESULTS),
    )


def human_rows(db: Path) -> list[tuple]:
    return query(db, "SELECT * FROM reviews ORDER BY version") + query(db, "SELECT * FROM disputes")


def test_a_review_records_the_agent_and_content_it_was_made_on(web_db: Path) -> None:
    db = ReviewDB(web_db)
    review = add_review(db, LEAD, scope_for(LEAD), "R-1", ReviewIn(tier="yellow", comment="ok", version=0))
    assert (review["agent_id"], review["content_hash"]) == ("a-1", "R-1")
    stored = query(web_db, "SELECT agent_id, content_hash FROM reviews WHERE ticket_id = 'R-1'")
    assert stored == [("a-1", "R-1")]


def test_a_reimported_id_with_another_agent_does_not_carry_the_reviews_over(web_db: Path) -> None:
    db = ReviewDB(web_db)
    add_review(db, LEAD, scope_for(LEAD), "R-1", ReviewIn(tier="yellow", comment="first agent", version=0))
    add_dispute(db, AGENT1, scope_for(AGENT1), "R-1", DisputeIn(comment="not fair"))
    assert calibration(db, scope_for(LEAD))[MACHINE_VS_HUMAN]["tickets"] == 1
    before = human_rows(web_db)

    reimport(web_db, "R-1", "a-3", "T2", "R-1 again")

    assert human_rows(web_db) == before  # a re-score never deletes a human decision
    ticket = load_ticket(db, scope_for(AGENT3), "R-1")
    assert ticket is not None and ticket["agent_id"] == "a-3"
    assert (ticket["reviews"], ticket["disputes"], ticket["human"]) == ([], [], None)
    assert (ticket["version"], ticket["other_agent_reviews"]) == (1, 1)  # the numbering goes on
    with pytest.raises(QAError, match="Q617"):  # nothing of theirs to dispute
        add_dispute(db, AGENT3, scope_for(AGENT3), "R-1", DisputeIn(comment="who reviewed this?"))
    assert load_ticket(db, scope_for(AGENT1), "R-1") is None  # no longer the first agent's ticket
    assert (
        calibration(db, scope_for(LEAD))[MACHINE_VS_HUMAN]["tickets"] == 0
    )  # not the new conversation's verdict

    # a review of the new conversation is the new agent's, and theirs to dispute
    add_review(db, LEAD, scope_for(LEAD), "R-1", ReviewIn(tier="green", comment="second agent", version=1))
    ticket = load_ticket(db, scope_for(AGENT3), "R-1")
    assert [r["comment"] for r in ticket["reviews"]] == ["second agent"]
    assert ticket["human"]["tier"] == "green" and ticket["version"] == 2
    assert add_dispute(db, AGENT3, scope_for(AGENT3), "R-1", DisputeIn(comment="fair"))["review_version"] == 2


def test_the_api_and_queue_show_the_new_agent_none_of_the_old_reviews(login, web_db: Path) -> None:
    lead = login("lead")
    assert lead.post("/api/tickets/R-1/reviews", json={"tier": "yellow", "version": 0}).status_code == 201
    reimport(web_db, "R-1", "a-3", "T2", "R-1 again")
    agent3 = login("agent3")
    shown = agent3.get("/api/tickets/R-1").json()
    assert shown["reviews"] == [] and shown["human"] is None
    assert agent3.post("/api/tickets/R-1/disputes", json={"comment": "mine?"}).status_code == 409
    item = next(i for i in agent3.get("/api/tickets").json()["items"] if i["ticket_id"] == "R-1")
    assert item["human_tier"] is None
    assert query(web_db, "SELECT count(*) FROM disputes") == [(0,)]
    page = (
        login("lead").get("/tickets/R-1").text
    )  # the page says the earlier review exists, without showing it
    assert 'id="other-agent-reviews"' in page and "1 earlier review(s)" in page


def test_the_page_marks_a_review_made_on_other_content(login, web_db: Path) -> None:
    lead = login("lead")
    assert lead.post("/api/tickets/R-1/reviews", json={"tier": "yellow", "version": 0}).status_code == 201
    assert "content changed since" not in lead.get("/tickets/R-1").text
    reimport(web_db, "R-1", "a-1", "T1", "R-1 edited")
    assert "content changed since" in lead.get("/tickets/R-1").text


def test_same_agent_reimport_keeps_the_review_and_says_the_content_changed(web_db: Path) -> None:
    db = ReviewDB(web_db)
    add_review(db, LEAD, scope_for(LEAD), "R-1", ReviewIn(tier="yellow", comment="seen", version=0))
    reimport(web_db, "R-1", "a-1", "T1", "R-1 edited")
    ticket = load_ticket(db, scope_for(AGENT1), "R-1")
    assert [r["content_changed"] for r in ticket["reviews"]] == [True]
    assert ticket["human"]["tier"] == "yellow"


def test_an_older_store_gains_the_columns_and_its_reviews_count_as_before(tmp_path: Path) -> None:
    path = tmp_path / "old.duckdb"
    con = duckdb.connect(str(path))
    con.execute(  # the reviews table as stores before this change have it
        "CREATE TABLE reviews (review_id VARCHAR PRIMARY KEY, ticket_id VARCHAR NOT NULL, version BIGINT NOT NULL, "
        "reviewer VARCHAR NOT NULL, tier VARCHAR NOT NULL, rule_overrides VARCHAR NOT NULL, "
        "rule_outcomes VARCHAR NOT NULL, machine_tier VARCHAR, machine_outcomes VARCHAR, comment VARCHAR NOT NULL, "
        "created_at TIMESTAMPTZ NOT NULL, UNIQUE (ticket_id, version))"
    )
    con.execute(
        "INSERT INTO reviews VALUES ('r1', 'T-1', 1, 'lead', 'red', '{}', '{}', 'red', '{}', 'old', now())"
    )
    con.close()
    Store(path).init()
    assert query(path, "SELECT review_id, agent_id, content_hash FROM reviews") == [("r1", None, None)]
