"""`sort=risk`: each tier's likeliest dissatisfied customers first, over keyset pages."""

from __future__ import annotations

from pathlib import Path

from .support import execute
from .test_queue import RANK, TICKETS, all_pages


def _set_risks(db: Path) -> dict[str, float | None]:
    """Risks with ties and nulls: every third ticket null, the rest on a coarse grid so that ties happen."""
    risks = {
        t["ticket_id"]: (None if i % 3 == 0 else round((i * 7 % 10) / 10, 1)) for i, t in enumerate(TICKETS)
    }
    for tid, risk in risks.items():
        execute(db, "UPDATE tickets SET dissatisfaction_risk = ? WHERE ticket_id = ?", [risk, tid])
    return risks


def test_sort_by_risk_orders_each_tier_and_pages_cover_it_once(web_db: Path, login) -> None:
    risks = _set_risks(web_db)

    def key(t: dict):
        risk = risks[t["ticket_id"]]
        ts = t["created_at"].timestamp() if t["created_at"] else float("-inf")
        return (RANK[t["tier"]], -(risk if risk is not None else -1), -ts, t["ticket_id"])

    lead = login("lead")
    items, _ = all_pages(lead, "sort=risk", limit=4)
    assert [i["ticket_id"] for i in items] == [t["ticket_id"] for t in sorted(TICKETS, key=key)]
    assert all(i["dissatisfaction_risk"] == risks[i["ticket_id"]] for i in items)
    default, _ = all_pages(lead, "", limit=4)
    assert [i["ticket_id"] for i in default] != [i["ticket_id"] for i in items]  # the order did change


def test_a_cursor_of_one_order_is_refused_in_the_other(web_db: Path, login) -> None:
    _set_risks(web_db)
    lead = login("lead")
    cursor = lead.get("/api/tickets?limit=2&sort=risk").json()["next_cursor"]
    assert lead.get(f"/api/tickets?limit=2&cursor={cursor}").status_code == 422
    plain = lead.get("/api/tickets?limit=2").json()["next_cursor"]
    assert lead.get(f"/api/tickets?limit=2&sort=risk&cursor={plain}").status_code == 422
    assert lead.get("/api/tickets?sort=loudest").status_code == 422
