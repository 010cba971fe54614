"""The KPI page and `GET /api/kpi`: the contract's figures over the reader's scope, targets, trend, SLA per channel."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from qa_engine.kpi import kpi_table

from .support import build_rows, query

TICKETS = build_rows()[0]
CHAT_SLA_S = 120


def _started(ticket: dict) -> date | None:
    return ticket["created_at"].date() if ticket["created_at"] else None


def test_a_qa_leads_rows_are_the_figures_qa_kpi_prints(shared_login, shared_db) -> None:
    for by in ("agent", "team", "channel", "language", "reason"):
        body = shared_login("lead").get(f"/api/kpi?by={by}").json()
        rows = [{k: v for k, v in row.items() if k != "status"} for row in body["rows"]]
        assert rows == kpi_table(shared_db, by).rows(), by  # the same facts and aggregates: equal, not close


def test_an_agent_sees_only_their_own_figures(shared_login) -> None:
    mine = [t for t in TICKETS if t["agent_id"] == "a-1"]
    body = shared_login("agent1").get("/api/kpi?by=channel").json()
    assert [r["channel"] for r in body["rows"]] == ["chat"]  # a-1 only answers chat; others have email, phone
    assert body["overall"]["tickets"] == len(mine)
    # measurable: the timed plain tickets B-<i> of a-1 (i % 3 == 0), answered after 30 s x i
    measured = [i for i in range(60) if i % 3 == 0]
    assert body["overall"]["sla_attainment"] == pytest.approx(
        sum(30 * i <= CHAT_SLA_S for i in measured) / len(measured)
    )
    assert body["overall"]["status"]["sla_attainment"] == "missed"  # target >= 0.95
    by_agent = shared_login("agent1").get("/api/kpi?by=agent").json()["rows"]
    assert [r["agent_id"] for r in by_agent] == ["a-1"]


def test_a_coach_sees_their_team(shared_login) -> None:
    body = shared_login("coach1").get("/api/kpi?by=team").json()
    assert [r["team"] for r in body["rows"]] == ["T1"]
    assert body["rows"][0]["tickets"] == sum(t["team"] == "T1" for t in TICKETS)
    agents = shared_login("coach1").get("/api/kpi?by=agent").json()["rows"]
    assert {r["agent_id"] for r in agents} == {t["agent_id"] for t in TICKETS if t["team"] == "T1"}
    one = shared_login("coach1").get("/api/kpi?by=agent&agent_id=a-1").json()["rows"]
    assert [(r["agent_id"], r["tickets"]) for r in one] == [
        ("a-1", sum(t["team"] == "T1" and t["agent_id"] == "a-1" for t in TICKETS))
    ]
    assert shared_login("coach9").get("/api/kpi").json()["rows"] == []  # a team with no tickets


@pytest.mark.parametrize(
    ("user", "params"),
    [
        ("agent1", "agent_id=a-2"),
        ("agent1", "by=channel&agent_id=a-3"),
        ("coach1", "agent_id=a-3"),  # a-3 works in T2
        ("coach1", "team=T2"),
        ("coach9", "agent_id=a-1"),
        ("coach1", "agent_id=nobody"),  # unknown and out of scope read the same
    ],
)
def test_figures_outside_the_scope_are_refused_and_logged(shared_login, shared_db, user, params) -> None:
    for url in (f"/api/kpi?{params}", f"/kpi?{params}"):
        response = shared_login(user).get(url)
        assert response.status_code == 403, url
    assert response.text.count("a-2") <= 1  # the page names the request, not the figures
    logged = query(
        shared_db, "SELECT username, status, code FROM audit_log WHERE path LIKE '%kpi%' || ?", [params]
    )
    assert (user, 403, "Q613") in logged


def test_a_qa_lead_may_narrow_to_anyone(shared_login) -> None:
    lead = shared_login("lead")
    assert lead.get("/api/kpi?agent_id=nobody").json()["overall"]["tickets"] == 0
    t2 = lead.get("/api/kpi?by=agent&team=T2").json()["rows"]
    assert {r["agent_id"] for r in t2} == {t["agent_id"] for t in TICKETS if t["team"] == "T2"}


def test_the_period_and_the_week_over_week_trend(shared_login) -> None:
    end = date(2026, 11, 15)
    body = shared_login("lead").get(f"/api/kpi?by=team&from=2026-11-05&to={end}").json()
    in_period = [t for t in TICKETS if _started(t) and date(2026, 11, 5) <= _started(t) <= end]
    assert body["overall"]["tickets"] == len(in_period) and (body["from"], body["to"]) == (
        "2026-11-05",
        str(end),
    )
    trend = body["trend"]
    this_week = sum(1 for t in TICKETS if _started(t) and end - timedelta(days=6) <= _started(t) <= end)
    last_week = sum(
        1
        for t in TICKETS
        if _started(t) and end - timedelta(days=13) <= _started(t) <= end - timedelta(days=7)
    )
    assert (trend["this_week"]["from"], trend["this_week"]["to"]) == ("2026-11-09", "2026-11-15")
    assert (trend["this_week"]["tickets"], trend["last_week"]["tickets"]) == (this_week, last_week)
    assert trend["change"]["tickets"] == this_week - last_week
    for kpi, change in trend["change"].items():
        if change is None or kpi == "tickets":
            continue
        assert change == pytest.approx(trend["this_week"][kpi] - trend["last_week"][kpi])
        assert trend["direction"][kpi] in ("better", "worse", "same")
    rate = trend["change"]["escalation_rate"]  # at most 5%: lower is better
    assert trend["direction"]["escalation_rate"] == (
        "same" if rate == 0 else "better" if rate < 0 else "worse"
    )


def test_the_sla_per_channel(shared_login) -> None:
    rows = {r["channel"]: r for r in shared_login("lead").get("/api/kpi").json()["sla_by_channel"]}
    assert set(rows) == {t["channel"] for t in TICKETS}
    assert rows["chat"]["sla_seconds"] == CHAT_SLA_S and rows["email"]["sla_seconds"] == 86400
    assert rows["phone"]["sla_seconds"] is None and rows["phone"]["measured"] == 0
    assert rows["phone"]["sla_attainment"] is None and rows["phone"]["status"] is None
    assert rows["email"]["sla_attainment"] == 1.0 and rows["email"]["status"] == "met"  # 30 s x i << 24 h
    chat = [i for i in range(60) if i % 3 == 0]
    assert rows["chat"]["measured"] == len(chat)
    assert rows["chat"]["sla_attainment"] == pytest.approx(
        sum(30 * i <= CHAT_SLA_S for i in chat) / len(chat)
    )


def test_by_contact_reason_is_by_reason(shared_login) -> None:
    lead = shared_login("lead")
    rows = lead.get("/api/kpi?by=contact_reason").json()["rows"]
    assert rows == lead.get("/api/kpi?by=reason").json()["rows"]
    assert {r["contact_reason"] for r in rows} == {t["contact_reason"] for t in TICKETS}


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ("by=week", "by"),
        ("by=agent'%3B%20DROP%20TABLE%20tickets%3B--", "by"),
        ("from=2026-02-30", "from"),
        ("from=2026-1-5", "from"),
        ("to=tomorrow", "to"),
        ("from=2026-11-20&to=2026-11-01", "from"),
        ("agent_id=a%00b", "agent_id"),
        ("team=" + "T" * 201, "team"),
    ],
)
def test_bad_parameters_get_422_and_change_nothing(shared_login, shared_db, params, field) -> None:
    before = query(shared_db, "SELECT count(*) FROM tickets")
    response = shared_login("lead").get(f"/api/kpi?{params}")
    assert response.status_code == 422 and f"Invalid {field}" in response.json()["detail"]
    assert shared_login("lead").get(f"/kpi?{params}").status_code == 422
    assert query(shared_db, "SELECT count(*) FROM tickets") == before


def test_injection_in_a_narrowing_value_is_data(shared_login) -> None:
    body = shared_login("lead").get("/api/kpi?agent_id=a-1'%20OR%20'1'='1").json()
    assert body["overall"]["tickets"] == 0 and body["rows"] == []


def test_without_a_session(anon) -> None:
    assert anon.get("/api/kpi").status_code == 401
    response = anon.get("/kpi", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/login")


def test_the_page_shows_each_kpi_against_its_target(shared_login) -> None:
    html = shared_login("agent1").page("/kpi?by=channel")
    assert '<div class="kpi-card missed" data-kpi="sla_attainment">' in html
    assert "target ≥ 95%" in html and "week over week" in html
    assert "First-response SLA per channel" in html and ">no SLA</td>" not in html  # a-1 has no phone tickets
    assert "a-2" not in html and "T2" not in html
    lead = shared_login("lead").get("/kpi").text
    assert ">no SLA</td>" in lead and 'class="num missed"' in lead and 'class="num met"' in lead
