"""A customer's emotional account across all their tickets: a running balance and a churn-risk flag.

Each ticket adds its emotional balance (+1 per positive and -3 per negative customer turn, as in the KPI), in the
order the tickets started. A customer whose balance ends below `churn_risk_below` of the targets file (default -6:
for example three negative turns and at most two positive ones) is a churn risk worth a flag on the ticket page.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import polars as pl

from qa_engine.errors import QAError
from qa_engine.kpi.facts import load_facts
from qa_engine.kpi.targets import KpiSettings, load_settings
from qa_engine.store import Store


@dataclass(frozen=True)
class TicketBalance:
    ticket_id: str
    started_at: datetime | None
    balance: float | None  # None: no customer turn with a sentiment (adds nothing)
    running_balance: float  # the customer's balance after this ticket


@dataclass(frozen=True)
class CustomerBalance:
    customer_id: str
    tickets: tuple[TicketBalance, ...]  # in the order they started (undated ones last)
    balance: float  # after the last ticket
    churn_risk: bool  # balance below `threshold`
    threshold: float


def customer_balance(
    db: str | Path | Store, customer_id: str, settings: KpiSettings | None = None
) -> CustomerBalance:
    """The running emotional balance over all of a customer's stored tickets; Q807 when the store has none."""
    store = db if isinstance(db, Store) else Store(db)
    settings = settings if settings is not None else load_settings()
    ids = store.query("SELECT ticket_id FROM tickets WHERE customer_id = ?", [customer_id])[
        "ticket_id"
    ].to_list()
    if not ids:
        raise QAError("Q807", customer_id=customer_id, db=store.path)
    facts, _ = load_facts(
        store,
        settings.sla_seconds,
        ticket_ids=ids,
        active_cap=settings.active_cap,
        business_hours=settings.business_hours,
    )
    ordered = facts.sort("started_at", "ticket_id", nulls_last=True).select(
        "ticket_id",
        "started_at",
        balance="emotional_balance",
        running_balance=pl.col("emotional_balance").fill_null(0.0).cum_sum(),
    )
    tickets = tuple(TicketBalance(**row) for row in ordered.iter_rows(named=True))
    total = tickets[-1].running_balance
    return CustomerBalance(
        customer_id=customer_id,
        tickets=tickets,
        balance=total,
        churn_risk=total < settings.churn_risk_below,
        threshold=settings.churn_risk_below,
    )
