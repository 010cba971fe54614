"""`read_inputs`: every input file, read, checked and batched into the canonical tables plus the quarantine."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from qa_engine.errors import QAError
from qa_engine.sources.canonical import canonical_tables
from qa_engine.sources.inputs import expand_inputs
from qa_engine.sources.registry import reader_for
from qa_engine.validation.prepare import DEFAULT_TIME_ZONE, check_time_zone
from qa_engine.validation.quarantine import QuarantineRecord
from qa_engine.validation.validate import FirstSeen, validate_batch


@dataclass
class SourceBatch:
    """Whole tickets read from one input file: `tickets` (schema.TICKETS_IN) and their `turns` (schema.TURNS_IN),
    validated and typed, and the records of this stretch of the file that were quarantined."""

    tickets: pl.DataFrame
    turns: pl.DataFrame
    quarantine: list[QuarantineRecord]


def _split(
    tickets: pl.DataFrame, turns: pl.DataFrame, quarantine: list[QuarantineRecord], batch_tickets: int
) -> Iterator[SourceBatch]:
    """Cut a validated block into batches of at most `batch_tickets` whole tickets; the block's quarantine rides
    with its first batch. `turns` lie in the order of `tickets`, each ticket's turns together."""
    turn_counts = tickets.select("ticket_id").join(
        turns.group_by("ticket_id").len(), on="ticket_id", how="left", maintain_order="left"
    )["len"]
    offsets = [0, *turn_counts.cum_sum().to_list()]
    for start in range(0, max(tickets.height, 1), batch_tickets):
        end = min(start + batch_tickets, tickets.height)
        yield SourceBatch(
            tickets=tickets.slice(start, end - start),
            turns=turns.slice(offsets[start], offsets[end] - offsets[start]),
            quarantine=quarantine if start == 0 else [],
        )


def read_inputs(
    inputs: Sequence[str | Path],
    batch_tickets: int = 2000,
    max_text_chars: int = 1_000_000,
    time_zone: str = DEFAULT_TIME_ZONE,
) -> Iterator[SourceBatch]:
    """Read JSON Lines, JSON, CSV and Parquet files (globs allowed) as batches of at most `batch_tickets` tickets.

    Files are streamed (never loaded whole) and a ticket is never split across batches. A bad record is
    quarantined and the run goes on; a file that cannot be read at all stops it with a one-line QAError: Q003 (a
    pattern matches nothing), Q001 (missing), Q004 (unknown format), Q002 (cannot be read), Q005 (a CSV or Parquet
    file lacks a required column). Missing files and unknown formats are reported before anything is read. A
    ticket id read twice in the run keeps its first accepted copy; later ones are quarantined. Timestamps without
    a zone are read in `time_zone` (an IANA name; Q008 when unknown).
    """
    for option, value in (("batch_tickets", batch_tickets), ("max_text_chars", max_text_chars)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise QAError("Q006", option=option, value=value, detail="use a whole number of at least 1")
    check_time_zone(time_zone)
    files = [(reader_for(path, label), path, label) for path, label in expand_inputs(inputs)]
    seen = FirstSeen()
    for reader, path, label in files:
        try:
            for raw in reader(path, label):
                validated = validate_batch(raw, seen, max_text_chars, time_zone)
                tickets, turns = canonical_tables(validated)
                yield from _split(tickets, turns, validated.quarantine, batch_tickets)
        except OSError as error:
            raise QAError("Q002", path=label, detail=error.strerror or str(error)) from error
