"""Validate one raw batch: normalise it, run the Great Expectations suite, add the problems the reader found and the
ticket ids already read, and split whole tickets into accepted and quarantined.

A ticket with any failing turn is quarantined whole, as one QuarantineRecord per reason it broke (the detail names
every turn and field that broke it, the first few in full); its good sibling tickets are still returned. One
exception: a turn without text (an image or attachment sent alone, an empty utterance in an export) says nothing to
score, so when that is all that is wrong with a ticket and another of its turns has text, only those turns go to the
quarantine and the rest of the ticket is scored, as a helpdesk pull does with a comment that has no author.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import polars as pl

from qa_engine.validation.prepare import AGREEING, DEFAULT_TIME_ZONE, prepare
from qa_engine.validation.quarantine import QuarantineRecord, join_details
from qa_engine.validation.raw import RawBatch
from qa_engine.validation.suite import run_suite

# Prepared columns the message templates of the suite may name (never the text itself: it can be megabytes).
MESSAGE_COLUMNS: tuple[str, ...] = (
    "raw_turn_index", "turn_index", "turn_index_count", "speaker", "text_len", "raw_ts", "ts_prev",
    "raw_created_at", "channel", "language", "raw_csat",
    "raw_escalated",
)  # fmt: skip


SCORED_WITHOUT = "; the ticket's other turns are scored"


class FirstSeen:
    """The ticket ids accepted so far in a run, and where each was read: a later copy is a duplicate.

    A ticket id whose first record was quarantined is not registered, so a corrected copy later in the run is
    accepted.
    """

    def __init__(self) -> None:
        self._where: dict[str, str] = {}

    def where(self, ticket_id: str) -> str | None:
        return self._where.get(ticket_id)

    def add(self, ticket_id: str, where: str) -> None:
        self._where[ticket_id] = where

    def __len__(self) -> int:
        return len(self._where)


@dataclass
class ValidatedBatch:
    """The accepted tickets of a batch (prepared rows and their records) and everything quarantined."""

    source: str
    turns: pl.DataFrame  # prepared rows (see prepare.prepare) of accepted tickets, in ticket and turn order
    records: pl.DataFrame  # _rec, location of accepted tickets
    quarantine: list[QuarantineRecord]


def _position(record: QuarantineRecord) -> int:
    """The first line or row number of a record's location: quarantine records keep the file's order."""
    return int(re.search(r"\d+", record.location).group())


def _where(row: dict[str, Any], level: str, flat: bool) -> str:
    if flat:
        return f"{row['_where']}: "
    return "" if level == "ticket" else f"{row['_where']}."


def _disagreeing(prepared: pl.DataFrame, rec: int) -> str:
    """Which ticket-level columns disagree within one ticket, with their values."""
    rows = prepared.filter(pl.col("_rec") == rec)
    parts = []
    for name in AGREEING:
        values = rows[name].drop_nulls().unique(maintain_order=True).to_list()
        if len(values) > 1:
            shown = ", ".join(repr(str(value)) for value in values)
            parts.append(f"{name.removeprefix('raw_').replace('ticket_agent_id', 'agent_id')} has {shown}")
    return "; ".join(parts)


def _messages(
    prepared: pl.DataFrame, failures: pl.DataFrame, flat: bool, max_text_chars: int
) -> pl.DataFrame:
    """One line per failure: the expectation's template filled from its row, or the reader's own detail."""
    context = prepared.select("_row", "_rec", "_where", "_problem_detail", *MESSAGE_COLUMNS).with_columns(
        pl.col("ts_prev").dt.to_string("%Y-%m-%dT%H:%M:%S%.fZ")
    )
    rows = failures.join(context, on="_row").sort("_rec", "_row")
    disagreeing: dict[int, str] = {}
    lines = []
    for row in rows.iter_rows(named=True):
        where = _where(row, row["level"], flat)
        if row["detail"] is None:  # found by the reader: its detail is literal text, not a template
            lines.append(where + row["_problem_detail"])
            continue
        if row["reason"] == "ticket_fields_disagree" and row["_rec"] not in disagreeing:
            disagreeing[row["_rec"]] = _disagreeing(prepared, row["_rec"])
        lines.append(
            row["detail"].format(
                **row, where=where, max_text_chars=max_text_chars, disagreeing=disagreeing.get(row["_rec"])
            )
        )
    return rows.select("_rec", "_row", "reason", "level").with_columns(
        message=pl.Series(lines, dtype=pl.String)
    )


def _textless_turns(prepared: pl.DataFrame, messages: pl.DataFrame) -> pl.DataFrame:
    """The turns (`_rec`, `_row`) to set aside alone: every failure of their ticket is a turn without text, and
    another of its turns has text. A ticket whose turns are all without text has nothing to score: it stays failed."""
    per_ticket = messages.group_by("_rec").agg(
        only_text=(pl.col("level") == "text").all(), textless=pl.col("_row").unique()
    )
    rows = prepared.group_by("_rec").agg(rows=pl.len())
    kept = per_ticket.join(rows, on="_rec").filter(
        pl.col("only_text") & (pl.col("textless").list.len() < pl.col("rows"))
    )
    return kept.select("_rec", "textless").explode("textless").rename({"textless": "_row"})


def _flat_records(raw: RawBatch, recs: list[int]) -> dict[int, str]:
    """A flat file's rejected tickets as their rows, a JSON array of objects with the file's columns."""
    rows = raw.turns.filter(pl.col("_rec").is_in(recs)).select(
        "_rec", pl.struct(list(raw.flat_columns)).struct.json_encode().alias("row")
    )
    grouped = rows.group_by("_rec", maintain_order=True).agg(pl.col("row").str.join(","))
    return {rec: f"[{text}]" for rec, text in grouped.iter_rows()}


def validate_batch(
    raw: RawBatch, seen: FirstSeen, max_text_chars: int, time_zone: str = DEFAULT_TIME_ZONE
) -> ValidatedBatch:
    """Check every candidate ticket of a raw batch; whole tickets are accepted or quarantined. Zone-less
    timestamps are read in `time_zone` (`prepare.parse_timestamp`)."""
    prepared = prepare(raw.turns, time_zone)
    marked = prepared.filter(pl.col("_problem").is_not_null())
    reader_problems = marked.select(
        "_row", reason="_problem", detail=pl.lit(None, pl.String), level=pl.lit("turn")
    )
    # A row the reader could not read properly (ragged, undecodable) fails for that alone: checking its shifted or
    # mangled values would only add noise.
    checked = run_suite(prepared, max_text_chars).filter(~pl.col("_row").is_in(marked["_row"].implode()))
    failures = pl.concat([reader_problems, checked])
    messages = _messages(prepared, failures, raw.is_flat, max_text_chars)

    tickets = prepared.group_by("_rec").agg(pl.col("ticket_id").drop_nulls().first())
    records = raw.records.join(tickets, on="_rec", how="left").sort("_rec")
    textless = _textless_turns(prepared, messages)
    partly_textless = set(textless["_rec"].to_list())
    failed = set(messages["_rec"].to_list()) - partly_textless
    duplicates: list[dict[str, Any]] = []
    accepted: list[int] = []
    for rec, location, ticket_id in records.select("_rec", "location", "ticket_id").iter_rows():
        first = seen.where(ticket_id) if ticket_id is not None else None
        if first is not None:
            detail = f"ticket_id {ticket_id!r} was already read from {first}"
            duplicates.append({"_rec": rec, "_row": -1, "reason": "duplicate_ticket_id", "message": detail})
        elif rec not in failed:
            accepted.append(rec)
            if ticket_id is not None:
                seen.add(ticket_id, f"{raw.source} {location}")
    if duplicates:
        duplicated = pl.DataFrame(duplicates).with_columns(level=pl.lit("ticket"))
        messages = pl.concat([messages, duplicated.select(messages.columns)], how="vertical_relaxed")

    by_reason = (
        messages.group_by("_rec", "reason", maintain_order=True)
        .agg(pl.col("message").unique(maintain_order=True), first_row=pl.col("_row").min())
        .sort("_rec", "first_row")
        .join(records, on="_rec", how="left")
    )
    texts = raw.records.select("_rec", "record").drop_nulls()
    record_text = dict(texts.iter_rows())
    if raw.is_flat:
        record_text.update(_flat_records(raw, by_reason["_rec"].unique().to_list()))
    partial = set(accepted) & partly_textless
    quarantine = list(raw.quarantine)
    for row in by_reason.iter_rows(named=True):
        quarantine.append(
            QuarantineRecord(
                source=raw.source,
                location=row["location"],
                reason=row["reason"],
                detail=join_details(row["message"]) + (SCORED_WITHOUT if row["_rec"] in partial else ""),
                record=record_text[row["_rec"]],
                ticket_id=row["ticket_id"],
            )
        )
    quarantine.sort(key=_position)
    return ValidatedBatch(
        source=raw.source,
        turns=prepared.filter(
            pl.col("_rec").is_in(accepted) & ~pl.col("_row").is_in(textless["_row"].implode())
        ),
        records=records.filter(pl.col("_rec").is_in(accepted)).select("_rec", "location"),
        quarantine=quarantine,
    )
