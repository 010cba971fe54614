"""Key issues in the review app: the queue filters by contact reason and escalation risk, rows carry them, and the
ticket page shows the reason and each escalation signal highlighted in its turn; the customer's running balance."""

from __future__ import annotations

import pytest

from qa_engine.review.keyissues import CONTACT_REASONS, risk_level, taxonomy_sub_reasons

from .support import ANGRY_CUSTOMER, INJECTION, R1_LAST, build_rows, query
from .test_queue import all_pages, expected_order

TICKETS = build_rows()[0]


def _ids(rows) -> list[str]:
    return expected_order(list(rows))


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ("contact_reason=logistics", _ids(t for t in TICKETS if t["contact_reason"] == "logistics")),
        ("contact_reason=complaint", ["X-1"]),
        ("contact_reason=account", []),
        (
            "contact_reason=payment&contact_sub_reason=payment.double_charge",
            _ids(t for t in TICKETS if t["contact_sub_reason"] == "payment.double_charge"),
        ),
        ("contact_sub_reason=logistics.lost", ["R-1"]),
        (
            "min_escalation_risk=0.5",
            _ids(t for t in TICKETS if t["escalation_risk"] is not None and t["escalation_risk"] >= 0.5),
        ),
        ("min_escalation_risk=0.85", _ids(t for t in TICKETS if (t["escalation_risk"] or 0) >= 0.85)),
        (
            "min_escalation_risk=0.86",
            _ids(t for t in TICKETS if (t["escalation_risk"] or 0) >= 0.86),
        ),  # no R-1
        ("min_escalation_risk=1", []),
        (
            "contact_reason=order&min_escalation_risk=0.3&team=T1",
            _ids(
                t
                for t in TICKETS
                if t["contact_reason"] == "order" and (t["escalation_risk"] or 0) >= 0.3 and t["team"] == "T1"
            ),
        ),
    ],
)
def test_the_queue_filters_by_key_issue(shared_login, params: str, expected: list[str]) -> None:
    items, bodies = all_pages(shared_login("lead"), params, limit=6)
    assert [i["ticket_id"] for i in items] == expected
    assert sum(bodies[0]["counts"].values()) == len(expected)


def test_key_issue_filters_stay_within_scope(shared_login) -> None:
    items, _ = all_pages(shared_login("agent1"), "min_escalation_risk=0.5")
    mine = [t for t in TICKETS if t["agent_id"] == "a-1" and (t["escalation_risk"] or 0) >= 0.5]
    assert [i["ticket_id"] for i in items] == _ids(mine) and mine


def test_queue_items_keep_their_fields_and_add_the_key_issue(shared_login) -> None:
    items, _ = all_pages(shared_login("lead"), "contact_sub_reason=logistics.lost")
    [item] = items
    old = {"ticket_id", "agent_id", "team", "channel", "language", "tier", "qa_score", "created_at"}
    assert old | {"tier_reasons", "human_tier", "version"} <= set(item)
    assert item["contact_reason"] == "logistics" and item["contact_sub_reason"] == "logistics.lost"
    assert item["contact_reason_score"] == pytest.approx(0.82)
    assert item["escalation_risk"] == pytest.approx(0.85) and item["escalation_level"] == "high"
    assert item["escalation_signals"] == ["chargeback", "bad_review"]
    plain = next(i for i in all_pages(shared_login("lead"))[0] if i["ticket_id"] == "G-1")
    assert plain["contact_reason"] is None and plain["escalation_level"] is None  # scored before key issues


def test_risk_levels() -> None:
    assert [risk_level(r) for r in (None, 0.0, 0.249, 0.25, 0.499, 0.5, 1.0)] == [
        None, "low", "low", "elevated", "elevated", "high", "high",
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ("contact_reason=shipping", "contact_reason"),
        ("contact_reason=Logistics", "contact_reason"),
        ("contact_reason=logistics'%20OR%20'1'='1", "contact_reason"),
        ("contact_sub_reason=lost", "contact_sub_reason"),
        ("contact_sub_reason=logistics.teleported", "contact_sub_reason"),
        ("contact_sub_reason=shipping.lost", "contact_sub_reason"),
        ("contact_reason=payment&contact_sub_reason=logistics.lost", "contact_sub_reason"),
        ("contact_sub_reason=logistics.lost'%20--", "contact_sub_reason"),
        ("min_escalation_risk=-0.1", "min_escalation_risk"),
        ("min_escalation_risk=1.01", "min_escalation_risk"),
        ("min_escalation_risk=nan", "min_escalation_risk"),
        ("min_escalation_risk=inf", "min_escalation_risk"),
        ("min_escalation_risk=high", "min_escalation_risk"),
        ("min_escalation_risk=0.5%20OR%201=1", "min_escalation_risk"),
    ],
)
def test_bad_key_issue_filters_get_422_and_change_nothing(shared_login, shared_db, params, field) -> None:
    before = query(shared_db, "SELECT count(*), sum(escalation_risk) FROM tickets")
    response = shared_login("lead").get(f"/api/tickets?{params}")
    assert response.status_code == 422, response.text
    assert response.json()["code"] == "Q615" and f"Invalid {field}" in response.json()["detail"]
    page = shared_login("lead").get(f"/?{params}")
    assert page.status_code == 422 and f"Invalid {field}" in page.text
    assert query(shared_db, "SELECT count(*), sum(escalation_risk) FROM tickets") == before


def test_the_contact_reasons_are_the_contracts() -> None:
    from qa_engine.reasons import REASONS

    assert CONTACT_REASONS == REASONS
    subs = taxonomy_sub_reasons()
    assert "logistics.lost" in subs and "payment.double_charge" in subs
    assert {s.split(".")[0] for s in subs} <= set(CONTACT_REASONS)


def test_the_queue_page_has_the_filters_and_shows_reason_and_escalation(shared_login) -> None:
    html = shared_login("lead").page("/?contact_reason=logistics&min_escalation_risk=0.8")
    assert '<option value="logistics" selected>' in html
    assert 'name="min_escalation_risk"' in html and 'value="0.8"' in html
    assert '<option value="logistics.lost" >' in html  # the sub-reasons come from the taxonomy
    assert "R-1" in html and '<span class="esc high"' in html and 'class="reason-tag"' in html
    assert "B-001" not in html  # logistics, but risk 0.1


def test_the_ticket_shows_its_key_issue_with_each_signal_highlighted(shared_login) -> None:
    lead = shared_login("lead")
    ticket = lead.get("/api/tickets/R-1").json()
    assert (ticket["contact_reason"], ticket["contact_sub_reason"]) == ("logistics", "logistics.lost")
    assert ticket["contact_reasons_other"] == ["complaint"] and ticket["escalation_level"] == "high"
    assert [e["signal"] for e in ticket["escalation_evidence"]] == ["chargeback", "bad_review"]
    last = ticket["turns"][2]
    assert last["text"] == R1_LAST
    marked = {last["text"][h["start"] : h["end"]]: h for h in last["highlights"]}
    assert set(marked) == {"dispute the charge with my bank", "leave a bad review"}
    assert all(h["kind"] == "escalation" for h in marked.values())
    assert marked["leave a bad review"]["labels"] == ["escalation: Threatens a bad review"]
    first = ticket["turns"][0]
    [reason] = first["highlights"]
    assert (
        first["text"][reason["start"] : reason["end"]] == "parcel never arrived"
        and reason["kind"] == "reason"
    )
    html = lead.get("/tickets/R-1").text
    assert (
        '<mark class="escalation" title="escalation: Threatens a chargeback">dispute the charge with my bank'
        in html
    )
    assert "Key issue" in html and "logistics.lost" in html and "Also raised" in html


def test_signal_text_and_notes_are_escaped(shared_login) -> None:
    html = shared_login("lead").get("/tickets/X-1").text
    assert INJECTION not in html and "<img" not in html
    assert '<mark class="escalation"' in html and "&lt;script&gt;alert(&#34;xss&#34;)&lt;/script&gt;" in html


def test_the_running_balance_counts_every_ticket_and_flags_churn_risk(shared_login) -> None:
    ticket = shared_login("lead").get("/api/tickets/R-1").json()
    account = ticket["customer_balance"]
    # two negative customer turns (-6); Y-1: one (-3); in the order they started (Y-1 first)
    assert account["customer_id"] == ANGRY_CUSTOMER
    assert [(t["ticket_id"], t["balance"], t["running_balance"]) for t in account["tickets"]] == [
        ("Y-1", -3.0, -3.0), ("R-1", -6.0, -9.0),
    ]  # fmt: skip
    assert account["balance"] == -9.0 and account["churn_risk"] is True and account["threshold"] == -6.0
    html = shared_login("lead").get("/tickets/R-1").text
    assert 'id="churn-risk"' in html and "Churn risk" in html


def test_the_balance_hides_which_other_tickets_exist(shared_login) -> None:
    account = shared_login("agent1").get("/api/tickets/R-1").json()["customer_balance"]
    assert [t["ticket_id"] for t in account["tickets"]] == [None, "R-1"]  # Y-1 is agent a-2's
    assert account["balance"] == -9.0 and account["churn_risk"] is True
    html = shared_login("agent1").page("/tickets/R-1")
    assert "Y-1" not in html and "another ticket" in html


def test_a_customer_with_one_calm_ticket_is_no_churn_risk(shared_login) -> None:
    account = shared_login("lead").get("/api/tickets/B-002").json()["customer_balance"]
    assert account["balance"] == 0.0 and account["churn_risk"] is False
    assert 'id="churn-risk"' not in shared_login("lead").get("/tickets/B-002").text
