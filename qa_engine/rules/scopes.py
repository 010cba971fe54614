"""Rule scopes by market and contact reason (CONTRACT.md section 3): a rule judges only the tickets of its
`markets` (the ticket's `metadata.market`) and `contact_reasons` (the reasons stage's `contact_reason`, or its
`contact_sub_reason` for an entry that names one, e.g. `logistics.tracking`).

The rules stage runs before the reasons stage (and, on helper processes, before the ticket's reasons are known),
so rules are judged on every ticket and the scopes are applied to the results once the reasons are in: a result
outside its rule's scope becomes `na` with the reason, before the QA score and the tier read it. A ticket with no
market (or no contact reason) is outside every rule scoped by markets (or reasons).
"""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from qa_engine.calendars import ticket_markets
from qa_engine.reasons.taxonomy import is_about
from qa_engine.rules.loader import Rule
from qa_engine.rules.models import ALL


def apply_scopes(rules: Sequence[Rule], tickets: pl.DataFrame, results: pl.DataFrame) -> pl.DataFrame:
    """`results` (schema.RULE_RESULTS) with every result outside its rule's market or contact-reason scope set to
    na, its evidence dropped and its detail saying why. Unscoped packs come back unchanged."""
    scoped = [r for r in rules if r.spec.markets != ALL or r.spec.contact_reasons != ALL]
    if not scoped or results.is_empty():
        return results
    facts = pl.DataFrame(
        {
            "ticket_id": tickets["ticket_id"],
            "_market": ticket_markets(tickets),
            "_reason": _strings(tickets, "contact_reason"),
            "_sub": _strings(tickets, "contact_sub_reason"),
        }
    ).unique("ticket_id", keep="first")
    why = pl.lit(None, dtype=pl.String)
    for rule in reversed(
        scoped
    ):  # the first rule's condition ends up outermost; one rule per row matches anyway
        is_rule = pl.col("rule_id") == rule.id
        markets, reasons_in = rule.spec.markets, rule.spec.contact_reasons
        if reasons_in != ALL:
            outside = ~is_about(reasons_in, "_reason", "_sub")
            named = pl.coalesce("_sub", "_reason") if any("." in r for r in reasons_in) else pl.col("_reason")
            text = pl.format("the rule does not cover contact reason '{}'", named.fill_null("none"))
            why = pl.when(is_rule & outside).then(text).otherwise(why)
        if markets != ALL:
            outside = ~pl.col("_market").is_in(markets).fill_null(False)
            text = (
                pl.when(pl.col("_market").is_null())
                .then(pl.lit("the ticket names no market (metadata.market)"))
                .otherwise(pl.format("the rule does not cover market '{}'", pl.col("_market")))
            )
            why = pl.when(is_rule & outside).then(text).otherwise(why)
    joined = results.join(facts, on="ticket_id", how="left", maintain_order="left").with_columns(_why=why)
    out = pl.col("_why").is_not_null()
    return joined.with_columns(
        outcome=pl.when(out).then(pl.lit("na")).otherwise(pl.col("outcome")),
        evidence=pl.when(out).then(None).otherwise(pl.col("evidence")),
        detail=pl.when(out).then(pl.col("_why")).otherwise(pl.col("detail")),
    ).select(results.columns)


def _strings(tickets: pl.DataFrame, column: str) -> pl.Series:
    """`column` as strings, or nulls for a frame without it (tickets the reasons stage has not read)."""
    if column in tickets.columns:
        return tickets[column].cast(pl.String)
    return pl.Series([None] * tickets.height, dtype=pl.String)
