"""`Batch`: one batch of tickets on its way from input to store, and everything the stages found so far.

A batch is a value: each stage (`qa_engine.stages`) takes one and returns a new one with its findings added
(`Batch.but`), so what a stage read and what it produced is visible in its signature and nothing flows back through
arguments. The runner (`qa_engine.runner`) reads the batch the last stage returned: the rows to store, the new
affect-cache rows and the counts.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import polars as pl

if TYPE_CHECKING:
    import numpy as np

    from qa_engine.validation.quarantine import QuarantineRecord


@dataclass(frozen=True)
class Batch:
    """Whole tickets (`tickets`, one row each; `turns`, their turns in ticket order) and the stages' findings.

    Fields that a stage has not reached yet are None. After the `privacy` stage, `tickets`, `turns` and `results`
    are the rows the store and the export keep (tier, provenance, payment data masked)."""

    tickets: pl.DataFrame
    turns: pl.DataFrame
    quarantine: tuple[QuarantineRecord, ...] = ()  # the records of this stretch of input that were set aside
    unchanged: tuple[
        str, ...
    ] = ()  # ticket ids of this input stretch stored before unchanged: not scored again
    docs: Sequence[Any] | None = None  # spaCy Docs, one per row of `turns` (nlp)
    vectors: np.ndarray | None = None  # each turn's pooled encoder vector, row for row (affect)
    results: pl.DataFrame | None = None  # rule results, one row per ticket and rule (rules)
    tiers: pl.DataFrame | None = None  # ticket_id and the tier columns (tiers)
    affect_cache_rows: pl.DataFrame | None = (
        None  # texts the models scored now, for the affect cache (affect)
    )
    counts: Mapping[str, int] = field(default_factory=dict)  # affect_texts, affect_cache_hits, affect_scored

    def but(self, **changes: Any) -> Batch:
        """This batch with some fields replaced (the stages' one way to add what they found)."""
        return dataclasses.replace(self, **changes)

    @property
    def scored(self) -> bool:
        """Whether the stages ran on this batch (a batch of unchanged tickets only has nothing to store)."""
        return self.results is not None
