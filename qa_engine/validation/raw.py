"""What a source hands to validation: turns as read, every value still text, one row per turn.

Every reader (JSON Lines, JSON arrays, CSV, Parquet) produces this one layout, so the checks, their messages and
the canonical tables are written once. `_rec` numbers the candidate tickets of a batch (a JSON line, or all the rows
of one ticket id in a flat file): a check that fails on any row rejects its whole `_rec`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl

from qa_engine.validation.quarantine import QuarantineRecord

# How much one validation pass takes: Great Expectations costs a fixed fraction of a second per pass, so readers
# hand over blocks of whole tickets this large (or their last, smaller block); read_inputs cuts the results into
# the caller's batches.
BLOCK_ROWS = 50_000
BLOCK_TEXT_BYTES = 64 << 20

# Ticket-level fields: one value per ticket (repeated on each row of a flat file, where they must agree).
TICKET_FIELDS: tuple[str, ...] = (
    "channel", "language", "ticket_agent_id", "team", "customer_id", "created_at", "csat", "metadata",
    "escalated",
)  # fmt: skip
TURN_FIELDS: tuple[str, ...] = ("ticket_id", "turn_index", "speaker", "text", "ts", "agent_id")

RAW_TURNS: dict[str, pl.DataType] = {
    "_rec": pl.Int64(),  # candidate ticket, in reading order
    "_where": pl.String(),  # where the turn sits in its record: "turns[2]" (JSON) or "row 7" (flat)
    "_problem": pl.String(),  # a reason code the reader already found on this row (flat files), else null
    "_problem_detail": pl.String(),
    **{name: pl.String() for name in TURN_FIELDS},
    **{name: pl.String() for name in TICKET_FIELDS},
}

RAW_RECORDS: dict[str, pl.DataType] = {
    "_rec": pl.Int64(),
    "location": pl.String(),  # "line 17", "rows 5-9"
    "record": pl.String(),  # the raw text (JSON sources); null for flat files, whose rows are rendered on demand
}


@dataclass
class RawBatch:
    """A block of whole candidate tickets from one input file, plus what the reader rejected outright.

    `flat_columns` is set for flat files: the contract columns the file has, in its order, so a rejected
    ticket's rows can be shown as they were.
    """

    source: str
    turns: pl.DataFrame
    records: pl.DataFrame
    quarantine: list[QuarantineRecord] = field(default_factory=list)
    flat_columns: tuple[str, ...] = ()

    @property
    def is_flat(self) -> bool:
        return bool(self.flat_columns)
