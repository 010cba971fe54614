"""Repeat contacts: the same customer writing again about the same order within a few days.

A customer who has to come back about one order is the strongest sign that a contact is heading for a complaint,
so the escalation risk counts it as a signal (`repeat_contact`). The order is `metadata.order_id`, or an order
number the customer wrote next to a word for "order" (number formats vary too much to find them anywhere else
without mistaking phone numbers and post codes for them). Earlier contacts come from the store (earlier runs) and
from the same batch; only contacts that started before the ticket count, so re-scoring an old ticket never makes it
a repeat of a later one.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from datetime import timedelta

import polars as pl

from qa_engine.nlp.normalize import fold
from qa_engine.store import Store

# "order 112-7730561-2048813", "Bestellung 10105862274431", "commande n° 88213", "注文番号 364120-...", "订单号：12345"
ORDER_NUMBER = re.compile(
    r"(?<![a-z])(?:order|bestellung|bestellnummer|auftrag|pedido|commande|订单号?|注文番号|注文|オーダー)"
    r"[\s:：#(（]*(?:(?:number|nr|no|número|numéro|n[°º]|id|番号|号)\.?[\s:：#]*)?"
    r"([a-z0-9][a-z0-9-]{3,}[0-9])",
    re.IGNORECASE,
)
MIN_DIGITS = 5  # fewer digits is more likely a quantity or a year than an order number
CONTACT_COLUMNS: dict[str, pl.DataType] = {
    "ticket_id": pl.String(),
    "customer_id": pl.String(),
    "started_at": pl.Datetime("us", "UTC"),
    "order_refs": pl.List(pl.String()),
}


def normalise_ref(ref: str) -> str:
    """'112-7730561-2048813' and '11277305612048813' are the same order."""
    return re.sub(r"[^0-9A-Z]", "", fold(ref).upper())


def order_refs(metadata: str | None, texts: Iterable[str]) -> list[str]:
    """The ticket's order references: metadata.order_id, then order numbers written in `texts`, normalised."""
    refs: list[str] = []
    if metadata:
        try:
            value = json.loads(metadata).get("order_id")
        except (ValueError, AttributeError):
            value = None
        if value not in (None, ""):
            refs.append(normalise_ref(str(value)))
    for text in texts:
        for match in ORDER_NUMBER.finditer(fold(text or "")):
            if sum(ch.isdigit() for ch in match.group(1)) >= MIN_DIGITS:
                refs.append(normalise_ref(match.group(1)))
    return list(dict.fromkeys(r for r in refs if r))


def find_order_span(text: str, refs: Iterable[str]) -> tuple[int, int] | None:
    """Where in `text` one of `refs` is written (for evidence), or None."""
    wanted = set(refs)
    for match in ORDER_NUMBER.finditer(fold(text or "")):
        if normalise_ref(match.group(1)) in wanted:
            return match.start(1), match.end(1)
    return None


def stored_contacts(store: Store | None, current: pl.DataFrame, window_days: int) -> pl.DataFrame:
    """Stored tickets of the batch's customers that started within the window before the batch's tickets.

    Stores scored before order references were kept have no `order_refs`: their `metadata.order_id` stands in.
    """
    empty = pl.DataFrame(schema=CONTACT_COLUMNS)
    known = current.drop_nulls(["customer_id", "started_at"])
    if store is None or not store.path.exists() or not known.height:
        return empty
    since = known["started_at"].min() - timedelta(days=window_days)
    until = known["started_at"].max()
    rows = store.query(
        "SELECT ticket_id, customer_id, started_at, order_refs, metadata FROM tickets "
        "WHERE list_contains(?::VARCHAR[], customer_id) AND started_at >= ? AND started_at < ?",
        [known["customer_id"].unique().to_list(), since, until],
    )
    if not rows.height:
        return empty
    fallback = [order_refs(meta, ()) for meta in rows["metadata"]]
    return rows.with_columns(
        pl.col("started_at").cast(pl.Datetime("us", "UTC")),
        pl.coalesce(pl.col("order_refs"), pl.Series(fallback, dtype=pl.List(pl.String))).alias("order_refs"),
    ).select(list(CONTACT_COLUMNS))


def find_repeats(current: pl.DataFrame, earlier: pl.DataFrame, window_days: int) -> pl.DataFrame:
    """For each ticket in `current` (CONTACT_COLUMNS) the latest earlier contact by the same customer about one of
    its orders, at most `window_days` before it: ticket_id, previous_ticket_id, previous_started_at, order_ref.
    `earlier` may contain `current` itself (the same batch counts)."""
    this = current.select(
        "ticket_id", "customer_id", "started_at", pl.col("order_refs").alias("order_ref")
    ).explode("order_ref")
    before = earlier.select(
        pl.col("ticket_id").alias("previous_ticket_id"),
        "customer_id",
        pl.col("started_at").alias("previous_started_at"),
        pl.col("order_refs").alias("order_ref"),
    ).explode("order_ref")
    window = pl.duration(days=window_days)
    return (
        this.drop_nulls()
        .join(before.drop_nulls(), on=["customer_id", "order_ref"])
        .filter(
            (pl.col("previous_ticket_id") != pl.col("ticket_id"))
            & (pl.col("previous_started_at") < pl.col("started_at"))
            & (pl.col("previous_started_at") >= pl.col("started_at") - window)
        )
        .sort("previous_started_at", descending=True)
        .unique("ticket_id", keep="first", maintain_order=True)
        .select("ticket_id", "previous_ticket_id", "previous_started_at", "order_ref")
    )
