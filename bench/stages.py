"""What the benchmarks need beyond the pipeline itself: reading timed apart from validation, and an engine without
the models for streaming measures that the models would make too long on two cores.

`timed_batches` is `qa_engine.sources.read_inputs` with a clock around each step (the same readers, validation and
batching, in the same order), so the benchmark can print read and validate as two stages.
`ModelFreeEngine` runs every stage but the model passes: each turn gets the uniform ("neutral, no confidence")
affect that the pipeline gives a turn without text, and the reasons stage is left out (null contact reason and
escalation risk), so the rules, tiering, store and export work on the real shapes and sizes.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
import polars as pl

from qa_engine.affect.cache import CACHE_SCHEMA, CachedAffect
from qa_engine.affect.labels import EMOTIONS, SENTIMENTS
from qa_engine.affect.scorer import AffectArrays, affect_columns
from qa_engine.pipeline import Engine
from qa_engine.sources.canonical import canonical_tables
from qa_engine.sources.inputs import expand_inputs
from qa_engine.sources.read import SourceBatch, _split
from qa_engine.sources.registry import reader_for
from qa_engine.store import Store
from qa_engine.validation.validate import FirstSeen, validate_batch


def timed_batches(
    inputs: Sequence[str | Path],
    batch_tickets: int,
    timings: dict[str, float],
    max_text_chars: int = 1_000_000,
) -> Iterator[SourceBatch]:
    """`read_inputs`, adding the seconds spent reading to timings["read"] and validating to timings["validate"]."""
    files = [(reader_for(path, label), path, label) for path, label in expand_inputs(inputs)]
    seen = FirstSeen()
    for reader, path, label in files:
        raws = reader(path, label)
        while True:
            clock = time.perf_counter()
            raw = next(raws, None)
            timings["read"] = timings.get("read", 0.0) + time.perf_counter() - clock
            if raw is None:
                break
            clock = time.perf_counter()
            validated = validate_batch(raw, seen, max_text_chars)
            tickets, turns = canonical_tables(validated)
            timings["validate"] = timings.get("validate", 0.0) + time.perf_counter() - clock
            yield from _split(tickets, turns, validated.quarantine, batch_tickets)


class ModelFreeEngine(Engine):
    """An Engine whose affect and reasons stages run no model (see the module docstring)."""

    def affect_stage(
        self, tickets: pl.DataFrame, turns: pl.DataFrame, store: Store | None = None
    ) -> CachedAffect:
        n = turns.height
        uniform = AffectArrays(
            np.full((n, len(SENTIMENTS)), 1.0 / len(SENTIMENTS), dtype=np.float32),
            np.full((n, len(EMOTIONS)), 1.0 / len(EMOTIONS), dtype=np.float32),
            [None] * n,
        )
        no_rows = pl.DataFrame(schema=CACHE_SCHEMA)
        return CachedAffect(
            turns.with_columns(affect_columns(uniform)), np.zeros((n, 0), np.float32), no_rows
        )

    def reasons_stage(self, tickets, turns, vectors, docs, store) -> pl.DataFrame:
        from qa_engine.reasons import REASON_COLUMNS

        return tickets.with_columns(pl.lit(None, dtype).alias(name) for name, dtype in REASON_COLUMNS.items())
