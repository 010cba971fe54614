"""A customer's running emotional balance on the ticket page, within what the reader may see.

The balance runs over all of the customer's tickets (`qa_engine.kpi.customer_balance`), because churn risk is about
the customer, not about one agent's share of them. Tickets outside the reader's scope still count, but are shown
without their id: an agent learns that the customer was unhappy elsewhere, not which tickets exist.
"""

from __future__ import annotations

from qa_engine.review.db import ReviewDB
from qa_engine.review.queue import iso
from qa_engine.review.scope import Scope


def customer_view(db: ReviewDB, scope: Scope, customer_id: str | None) -> dict | None:
    """`{customer_id, balance, churn_risk, threshold, tickets: [{ticket_id or None, started_at, balance,
    running_balance}]}`, or None for a ticket without a customer id."""
    if not customer_id:
        return None
    from qa_engine.kpi import customer_balance  # polars and the KPI code load on first use, not at app start

    with db.reading() as store:
        account = customer_balance(store, customer_id)
        visible = set(
            store.query(
                f"SELECT t.ticket_id FROM tickets t WHERE t.customer_id = ? AND ({scope.sql})",
                [customer_id, *scope.params],
            )["ticket_id"].to_list()
        )
    return {
        "customer_id": customer_id,
        "balance": account.balance,
        "churn_risk": account.churn_risk,
        "threshold": account.threshold,
        "tickets": [
            {
                "ticket_id": t.ticket_id if t.ticket_id in visible else None,
                "started_at": iso(t.started_at),
                "balance": t.balance,
                "running_balance": t.running_balance,
            }
            for t in account.tickets
        ],
    }
