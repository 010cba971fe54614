"""Fixture files for the source tests, and a helper that reads a run into whole tables."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from qa_engine.sources import read_inputs
from qa_engine.validation import QuarantineRecord

FIXTURES = Path(__file__).parents[1] / "fixtures" / "inputs"


@dataclass
class Run:
    tickets: pl.DataFrame
    turns: pl.DataFrame
    quarantine: list[QuarantineRecord]
    batches: int

    def reasons(self, ticket_id: str | None = None, location: str | None = None) -> set[str]:
        return {
            q.reason
            for q in self.quarantine
            if (ticket_id is None or q.ticket_id == ticket_id)
            and (location is None or q.location == location)
        }

    def at(self, location: str) -> list[QuarantineRecord]:
        return [q for q in self.quarantine if q.location == location]


def read_all(inputs: Sequence[str | Path], **options: int) -> Run:
    """Every batch of a run, concatenated."""
    batches = list(read_inputs(inputs, **options))
    return Run(
        tickets=pl.concat([b.tickets for b in batches]),
        turns=pl.concat([b.turns for b in batches]),
        quarantine=[q for b in batches for q in b.quarantine],
        batches=len(batches),
    )
