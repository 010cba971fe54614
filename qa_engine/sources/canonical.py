"""Accepted tickets as the canonical tables (schema.TICKETS_IN, schema.TURNS_IN), with the ticket defaults and a
content hash.

Defaults (CONTRACT.md section 1): channel `chat`; agent_id the ticket's own, else the agent (turns[].agent_id)
with the most agent turns (ties: the one who wrote first), else the first agent_id on any row (a flat export
carries the assignee on every row, also of a ticket nobody answered: it must not fall out of the agent's KPIs),
else null. A turn's text sent as HTML is kept as its plain text (`sources.html_text`). The content hash is the
sha256 of the ticket's canonical JSON (sorted keys, no whitespace, UTF-8, timestamps as UTC ISO 8601 with microseconds), made
of the normalised fields and turns and nothing about where it was read: the same ticket hashes the same in every
run and in every file format, so an unchanged ticket need not be scored again. Payment data is masked in the hashed
document, as in everything kept: the hash of the raw text would let anyone who has the store and knows the rest of
the ticket find a card number again by trying the numbers its mask leaves (a bare sha256 is fast to try).
"""

from __future__ import annotations

import hashlib
import json

import polars as pl

from qa_engine.nlp.redact import IDENTITY_COLUMNS, masked_columns
from qa_engine.schema import DEFAULT_CHANNEL, TICKETS_IN, TURNS_IN
from qa_engine.sources.html_text import plain_text_column
from qa_engine.validation.validate import ValidatedBatch

ISO_UTC = "%Y-%m-%dT%H:%M:%S%.6fZ"
HASHED_TICKET_FIELDS: tuple[str, ...] = (
    "ticket_id", "channel", "language", "agent_id", "team", "customer_id", "created_at", "csat", "metadata",
)  # fmt: skip
HASHED_TURN_FIELDS: tuple[str, ...] = ("turn_index", "speaker", "text", "ts", "agent_id")
# Hashed only when given, so that a ticket without them keeps the hash it had before they existed (and is not
# scored again for nothing after an upgrade).
HASHED_WHEN_GIVEN: tuple[str, ...] = ("escalated",)


def _owning_agents(rows: pl.DataFrame) -> pl.DataFrame:
    """Per ticket (_rec), the agent with the most agent turns; ties go to the one who wrote first."""
    return (
        rows.filter((pl.col("speaker") == "agent") & pl.col("agent_id").is_not_null())
        .group_by("_rec", "agent_id")
        .agg(turns=pl.len(), first=pl.col("_row").min())
        .sort("_rec", "turns", "first", descending=[False, True, False])
        .group_by("_rec", maintain_order=True)
        .agg(owner=pl.col("agent_id").first())
    )


def content_hashes(tickets: pl.DataFrame, turns: pl.DataFrame) -> pl.Series:
    """sha256 hex of each ticket's canonical JSON, in the order of `tickets` (TICKETS_IN and TURNS_IN columns)."""
    nested = (
        masked_columns(turns, ("text", "agent_id"))
        .with_columns(pl.col("ts").dt.to_string(ISO_UTC))
        .group_by("ticket_id", maintain_order=True)
        .agg(turns=pl.struct(HASHED_TURN_FIELDS))
    )
    given = [name for name in HASHED_WHEN_GIVEN if name in tickets.columns]
    documents = masked_columns(
        tickets.select(*HASHED_TICKET_FIELDS, *given), ("metadata", *IDENTITY_COLUMNS)
    ).with_columns(pl.col("created_at").dt.to_string(ISO_UTC))
    documents = documents.join(nested, on="ticket_id", how="left", maintain_order="left")
    hashes = [
        hashlib.sha256(
            json.dumps(
                _without_absent(document, given), ensure_ascii=False, sort_keys=True, separators=(",", ":")
            ).encode("utf-8")
        ).hexdigest()
        for document in documents.iter_rows(named=True)
    ]
    return pl.Series("content_hash", hashes, dtype=pl.String)


def _without_absent(document: dict, optional: list[str]) -> dict:
    return {k: v for k, v in document.items() if k not in optional or v is not None}


def canonical_tables(batch: ValidatedBatch) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(tickets, turns) of a validated batch, typed and ordered as schema.TICKETS_IN and schema.TURNS_IN."""
    rows = batch.turns
    turns = rows.select(pl.col(name).cast(dtype) for name, dtype in TURNS_IN.items()).with_columns(
        text=plain_text_column(pl.col("text"))  # an HTML body is read, stored and shown as its text
    )
    first = {
        name: pl.col(name).drop_nulls().first()
        for name in (
            "ticket_id",
            "channel",
            "language",
            "ticket_agent_id",
            "team",
            "customer_id",
            "created_at",
        )
    }
    tickets = (
        rows.group_by("_rec", maintain_order=True)
        .agg(
            **first,
            csat=pl.col("csat").drop_nulls().first(),
            escalated=pl.col("escalated").drop_nulls().first(),
            metadata=pl.col("metadata").drop_nulls().first(),
            any_agent=pl.col("agent_id").drop_nulls().first(),
        )
        .join(_owning_agents(rows), on="_rec", how="left")
        .join(batch.records, on="_rec", how="left")
        .with_columns(
            channel=pl.col("channel").fill_null(DEFAULT_CHANNEL),
            agent_id=pl.coalesce("ticket_agent_id", "owner", "any_agent"),
            source=pl.lit(batch.source, pl.String),
        )
        .with_columns(content_hash=pl.lit(None, pl.String))
        .select(pl.col(name).cast(dtype) for name, dtype in TICKETS_IN.items())
    )
    return tickets.with_columns(content_hashes(tickets, turns)), turns
