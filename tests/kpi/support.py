"""Small hand-made stores for the KPI tests, written through the real `Store.write_results`.

A ticket is a dict from `ticket(...)`: its turns are (speaker, seconds after the ticket's clock or None for a
missing ts, sentiment or None); ticket fields not given stay null, as a sparse helpdesk export would leave them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import polars as pl

from qa_engine.store import Store

BASE = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)  # a Monday

TICKET_SCHEMA: dict[str, pl.DataType] = {
    "ticket_id": pl.String(), "agent_id": pl.String(), "team": pl.String(), "customer_id": pl.String(),
    "channel": pl.String(), "language": pl.String(), "created_at": pl.Datetime("us", "UTC"), "csat": pl.Int64(),
    "qa_score": pl.Float64(),
}  # fmt: skip
OPTIONAL_SCHEMA: dict[str, pl.DataType] = {
    "escalation_risk": pl.Float64(), "contact_reason": pl.String(), "escalated": pl.Boolean(),
    "language_covered": pl.Boolean(), "metadata": pl.String(),
}  # fmt: skip
TURN_SCHEMA: dict[str, pl.DataType] = {
    "ticket_id": pl.String(), "turn_index": pl.Int64(), "speaker": pl.String(), "ts": pl.Datetime("us", "UTC"),
    "sentiment": pl.String(), "text": pl.String(),
}  # fmt: skip
RULE_SCHEMA: dict[str, pl.DataType] = {
    "ticket_id": pl.String(),
    "rule_id": pl.String(),
    "outcome": pl.String(),
}

Turn = tuple[str, float | None, str | None]


def at(days: float = 0, seconds: float = 0) -> datetime:
    return BASE + timedelta(days=days, seconds=seconds)


def ticket(
    ticket_id: str,
    turns: Sequence[Turn] = (("customer", 0, "neutral"), ("agent", 60, "neutral")),
    *,
    clock: datetime = BASE,
    **fields: Any,
) -> dict[str, Any]:
    """A ticket row plus its turns; `clock` is the time turn offsets count from (created_at only when given)."""
    row = {
        "ticket_id": ticket_id,
        "agent_id": "a-1",
        "team": "T1",
        "channel": "chat",
        "language": "en",
    } | fields
    row["turns"] = [
        {
            "ticket_id": ticket_id, "turn_index": index, "speaker": speaker,
            "ts": None if offset is None else clock + timedelta(seconds=offset), "sentiment": sentiment,
            "text": f"{speaker} turn {index}",
        }
        for index, (speaker, offset, sentiment) in enumerate(turns)
    ]  # fmt: skip
    return row


def write_store(
    path: Path, tickets: Iterable[dict[str, Any]], rule_results: Iterable[tuple[str, str, str]] = ()
) -> Path:
    """A store holding these tickets (and rule outcomes (ticket_id, rule_id, outcome)); returns its path."""
    tickets = list(tickets)
    optional = {name: dtype for name, dtype in OPTIONAL_SCHEMA.items() if any(name in t for t in tickets)}
    schema = TICKET_SCHEMA | optional
    ticket_rows = pl.DataFrame([{k: t.get(k) for k in schema} for t in tickets], schema=schema)
    turn_rows = pl.DataFrame([turn for t in tickets for turn in t["turns"]], schema=TURN_SCHEMA)
    results = pl.DataFrame(list(rule_results), schema=RULE_SCHEMA, orient="row")
    store = Store(path)
    store.init()
    if optional:
        # the contact-reason stage adds these columns; a store written before it has none
        with store.connect() as con:
            for name in optional:
                sql_type = "DOUBLE" if OPTIONAL_SCHEMA[name] == pl.Float64() else "VARCHAR"
                con.execute(f"ALTER TABLE tickets ADD COLUMN IF NOT EXISTS {name} {sql_type}")
    store.write_results(ticket_rows, turn_rows, results)
    return path
