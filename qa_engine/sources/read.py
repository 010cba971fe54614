"""Reading and validating, two public steps: `read_raw` yields each file's raw blocks, a `Validator` turns a block into
batches of the canonical tables plus the quarantine; `read_inputs` is the two in a row."""

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
from qa_engine.validation.raw import RawBatch
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


def read_raw(inputs: Sequence[str | Path]) -> Iterator[RawBatch]:
    """The read step: every input file's raw blocks of candidate tickets, unchecked (`validate` checks them).

    JSON Lines, JSON, CSV and Parquet files (globs allowed) are streamed, never loaded whole. A file that cannot be
    read at all stops the run with a one-line QAError: Q003 (a pattern matches nothing), Q001 (missing), Q004
    (unknown format), Q002 (cannot be read), Q005 (a CSV or Parquet file lacks a required column). Missing files
    and unknown formats are reported before anything is read."""
    files = [(reader_for(path, label), path, label) for path, label in expand_inputs(inputs)]
    for reader, path, label in files:
        try:
            yield from reader(path, label)
        except OSError as error:
            raise QAError("Q002", path=label, detail=error.strerror or str(error)) from error


class Validator:
    """The validate step: a raw block in, its accepted tickets as batches of at most `batch_tickets` whole tickets
    (the block's quarantine with the first). One Validator per run: a ticket id read twice in the run keeps its
    first accepted copy, later ones are quarantined. Timestamps without a zone are read in `time_zone` (an IANA
    name; Q008 when unknown)."""

    def __init__(
        self, batch_tickets: int = 2000, max_text_chars: int = 1_000_000, time_zone: str = DEFAULT_TIME_ZONE
    ) -> None:
        for option, value in (("batch_tickets", batch_tickets), ("max_text_chars", max_text_chars)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise QAError("Q006", option=option, value=value, detail="use a whole number of at least 1")
        check_time_zone(time_zone)
        self.batch_tickets = batch_tickets
        self.max_text_chars = max_text_chars
        self.time_zone = time_zone
        self.seen = FirstSeen()

    def __call__(self, raw: RawBatch) -> list[SourceBatch]:
        validated = validate_batch(raw, self.seen, self.max_text_chars, self.time_zone)
        tickets, turns = canonical_tables(validated)
        return list(_split(tickets, turns, validated.quarantine, self.batch_tickets))


def read_inputs(
    inputs: Sequence[str | Path],
    batch_tickets: int = 2000,
    max_text_chars: int = 1_000_000,
    time_zone: str = DEFAULT_TIME_ZONE,
) -> Iterator[SourceBatch]:
    """`read_raw` then `Validator`: the input files as validated batches of at most `batch_tickets` whole tickets, a
    bad record quarantined and the run going on (the errors are those of both steps)."""
    validate = Validator(batch_tickets, max_text_chars, time_zone)
    for raw in read_raw(inputs):
        yield from validate(raw)
