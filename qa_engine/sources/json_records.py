"""Turn JSON records (lines of a JSON Lines file, items of a JSON array) into RawBatches.

Shared by every JSON reader: each record is decoded, parsed and shape-checked (validation.structure); a record
that fails is quarantined right here with its raw text, one that passes becomes rows of the batch.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

import polars as pl

from qa_engine.validation.quarantine import QuarantineRecord
from qa_engine.validation.raw import (
    BLOCK_ROWS,
    BLOCK_TEXT_BYTES,
    RAW_RECORDS,
    RAW_TURNS,
    TICKET_FIELDS,
    RawBatch,
)
from qa_engine.validation.structure import JsonTicket, Problem, decode_record, flatten_ticket, parse_object

# A flood of junk lines is flushed in blocks too, so that memory stays bounded without any ticket.
MAX_PENDING_QUARANTINE = 10_000


class JsonBatchBuilder:
    """Collects checked records column by column until a block is full."""

    def __init__(self, source: str) -> None:
        self.source = source
        self._reset()

    def _reset(self) -> None:
        self.columns: dict[str, list[Any]] = {name: [] for name in RAW_TURNS}
        self.records: dict[str, list[Any]] = {name: [] for name in RAW_RECORDS}
        self.quarantine: list[QuarantineRecord] = []
        self.text_bytes = 0

    @property
    def full(self) -> bool:
        """Whether the block is as large as one validation pass should take."""
        return (
            len(self.columns["_rec"]) >= BLOCK_ROWS
            or self.text_bytes >= BLOCK_TEXT_BYTES
            or len(self.quarantine) >= MAX_PENDING_QUARANTINE
        )

    @property
    def candidates(self) -> int:
        return len(self.records["_rec"])

    @property
    def pending(self) -> bool:
        return bool(self.candidates or self.quarantine)

    def _reject(self, location: str, text: str, problems: list[Problem], ticket_id: Any = None) -> None:
        ticket_id = (ticket_id.strip() or None) if isinstance(ticket_id, str) else None
        self.quarantine.extend(
            QuarantineRecord(self.source, location, problem.reason, problem.detail, text, ticket_id)
            for problem in problems
        )

    def add(self, location: str, data: bytes | str) -> None:
        """Check one record, given as its raw bytes (a line) or its text (an array item)."""
        text = decode_record(data) if isinstance(data, bytes) else data
        if isinstance(text, Problem):
            self._reject(location, data.decode("utf-8", errors="backslashreplace"), [text])
            return
        obj = parse_object(text)
        if isinstance(obj, Problem):
            self._reject(location, text, [obj])
            return
        ticket = flatten_ticket(obj)
        if not isinstance(ticket, JsonTicket):
            self._reject(location, text, ticket, obj.get("ticket_id"))
            return
        self._append(location, text, ticket)

    def _append(self, location: str, text: str, ticket: JsonTicket) -> None:
        rec = self.candidates
        self.text_bytes += len(text)
        for name, value in (("_rec", rec), ("location", location), ("record", text)):
            self.records[name].append(value)
        count = len(ticket.turns)
        columns = self.columns
        columns["_rec"].extend([rec] * count)
        columns["_problem"].extend([None] * count)
        columns["_problem_detail"].extend([None] * count)
        columns["ticket_id"].extend([ticket.ticket_id] * count)
        for name in TICKET_FIELDS:
            columns[name].extend([ticket.fields[name]] * count)
        turn_index, speaker, turn_text, ts, agent_id = zip(*ticket.turns, strict=True)
        columns["_where"].extend(f"turns[{index}]" for index in turn_index)
        columns["turn_index"].extend(turn_index)
        columns["speaker"].extend(speaker)
        columns["text"].extend(turn_text)
        columns["ts"].extend(ts)
        columns["agent_id"].extend(agent_id)

    def flush(self) -> RawBatch:
        """The batch so far; the builder starts empty again."""
        batch = RawBatch(
            source=self.source,
            turns=pl.DataFrame(self.columns, schema=RAW_TURNS),
            records=pl.DataFrame(self.records, schema=RAW_RECORDS),
            quarantine=self.quarantine,
        )
        self._reset()
        return batch


def json_batches(source: str, records: Iterable[tuple[str, bytes | str]]) -> Iterator[RawBatch]:
    """Blocks of whole candidate tickets from (location, raw bytes or text) records."""
    builder = JsonBatchBuilder(source)
    for location, data in records:
        builder.add(location, data)
        if builder.full:
            yield builder.flush()
    if builder.pending:
        yield builder.flush()
