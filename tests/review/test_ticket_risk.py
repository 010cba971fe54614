"""The ticket page and API draw the predicted dissatisfaction: the risk, the turns that raised it most
(marked in the conversation and linked from the risk), apart from the tier reasons; a null risk says why."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from qa_engine.satisfaction.stage import NOTHING_TO_JUDGE
from qa_engine.store import Store

from .support import EMAIL
from .test_browser import LiveServer, chromium, log_in, page  # noqa: F401  (fixtures)

NOTE = "raises the dissatisfaction risk by 0.21"


def _set_risk(db: Path, ticket_id: str, risk: float | None, evidence: list | None) -> None:
    with Store(db).connect() as con:
        con.execute(
            "UPDATE tickets SET dissatisfaction_risk = ?, dissatisfaction_evidence = ? WHERE ticket_id = ?",
            [risk, None if evidence is None else json.dumps(evidence), ticket_id],
        )


def _item(turn: int | None, text: str, note: str) -> dict:
    return {"turn_index": turn, "start": None if turn is None else 0, "end": None if turn is None else len(text),
            "text": text, "note": note}  # fmt: skip


def test_the_risk_and_the_turns_that_raised_it(web_db: Path, login) -> None:
    said = f"Still nothing. Write to me at {EMAIL}, I am done with you."
    _set_risk(
        web_db, "R-1", 0.83, [_item(2, said, NOTE), _item(0, "My parcel never arrived.", "raises it by 0.05")]
    )
    signed = login("lead")
    ticket = signed.get("/api/tickets/R-1").json()
    assert ticket["dissatisfaction_risk"] == pytest.approx(0.83)
    assert ticket["dissatisfaction_null_reason"] is None
    assert [e["turn_index"] for e in ticket["dissatisfaction_evidence"]] == [2, 0]
    assert EMAIL not in json.dumps(ticket) and "[EMAIL]" in ticket["dissatisfaction_evidence"][0]["text"]
    marks = {t["turn_index"]: t["raises_dissatisfaction"] for t in ticket["turns"]}
    assert marks == {0: {"rank": 2, "note": "raises it by 0.05"}, 1: None, 2: {"rank": 1, "note": NOTE}}
    # the tier reasons are their own: the risk is not one of them here
    assert not any("dissatisf" in r for r in ticket["tier_reasons"])

    html = signed.get("/tickets/R-1").text
    section = html[html.index('id="dissatisfaction"') : html.index('aria-label="tier reasons"')]
    assert ">0.83<" in section and '<a href="#turn-2">turn 2</a>' in section and NOTE in section
    assert section.index("turn 2") < section.index("turn 0")  # strongest first
    assert 'class="turn customer raises-risk" id="turn-2"' in html
    assert 'class="turn agent" id="turn-1"' in html
    assert EMAIL not in html


def test_a_null_risk_says_why(web_db: Path, login) -> None:
    _set_risk(web_db, "R-1", None, [_item(None, "", NOTHING_TO_JUDGE)])
    _set_risk(web_db, "Y-1", None, None)  # scored before the satisfaction stage
    signed = login("lead")
    ticket = signed.get("/api/tickets/R-1").json()
    assert ticket["dissatisfaction_risk"] is None
    assert ticket["dissatisfaction_null_reason"] == NOTHING_TO_JUDGE
    assert all(t["raises_dissatisfaction"] is None for t in ticket["turns"])
    assert NOTHING_TO_JUDGE in signed.get("/tickets/R-1").text
    older = signed.get("/api/tickets/Y-1").json()
    assert (
        older["dissatisfaction_null_reason"].startswith("not predicted")
        and "qa rescore" in older["dissatisfaction_null_reason"]
    )
    assert "No dissatisfaction risk" in signed.get("/tickets/Y-1").text


@pytest.mark.browser
@pytest.mark.slow
def test_the_real_model_s_evidence_links_to_its_turn(page: Page, scored_db: Path) -> None:  # noqa: F811
    """Over the examples scored with the real models: the page shows the stored risk, and following the strongest
    evidence link lands on that turn, marked in the conversation."""
    row = (
        Store(scored_db)
        .query(
            "SELECT ticket_id, dissatisfaction_risk, dissatisfaction_evidence FROM tickets "
            "WHERE dissatisfaction_risk IS NOT NULL AND dissatisfaction_evidence LIKE '%\"turn_index\": _%' "
            "ORDER BY dissatisfaction_risk DESC LIMIT 1"
        )
        .row(0, named=True)
    )
    strongest = json.loads(row["dissatisfaction_evidence"])[0]["turn_index"]
    with LiveServer(scored_db) as server:
        log_in(page, server.url, "lead")
        page.goto(server.url + f"/tickets/{row['ticket_id']}")
        outcome = page.locator("#dissatisfaction")
        expect(outcome.locator(".risk-value")).to_have_text(f"{row['dissatisfaction_risk']:.2f}")
        outcome.locator("ol.risk-evidence a").first.click()
        expect(page).to_have_url(f"{server.url}/tickets/{row['ticket_id']}#turn-{strongest}")
        turn = page.locator(f"#turn-{strongest}")
        expect(turn).to_have_class("turn customer raises-risk")
        expect(turn.locator(".risk-chip")).to_have_text("raises risk #1")
