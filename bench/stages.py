"""The scoring stages without the models, for streaming measures that the models would make too long on two cores.

`MODEL_FREE` is the runner's stage list (`qa_engine.stages.SCORING`) with its two model passes swapped: each turn
gets the uniform ("neutral, no confidence") affect that the pipeline gives a turn without text, and the reasons
stage leaves the contact reason and escalation risk null, so the rules, tiering, store and export work on the real
shapes and sizes.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from qa_engine.affect.cache import CACHE_SCHEMA
from qa_engine.affect.labels import EMOTIONS, SENTIMENTS
from qa_engine.affect.scorer import AffectArrays, affect_columns
from qa_engine.batch import Batch
from qa_engine.stages import SCORING, Context, with_stages


def uniform_affect(batch: Batch, context: Context) -> Batch:
    """Every turn neutral with no confidence, no vectors, nothing for the affect cache."""
    n = batch.turns.height
    uniform = AffectArrays(
        np.full((n, len(SENTIMENTS)), 1.0 / len(SENTIMENTS), dtype=np.float32),
        np.full((n, len(EMOTIONS)), 1.0 / len(EMOTIONS), dtype=np.float32),
        [None] * n,
    )
    return batch.but(
        turns=batch.turns.with_columns(affect_columns(uniform)),
        vectors=np.zeros((n, 0), np.float32),
        affect_cache_rows=pl.DataFrame(schema=CACHE_SCHEMA),
    )


def no_reasons(batch: Batch, context: Context) -> Batch:
    """Null contact reason and escalation risk for every ticket."""
    from qa_engine.reasons import REASON_COLUMNS

    columns = (pl.lit(None, dtype).alias(name) for name, dtype in REASON_COLUMNS.items())
    return batch.but(tickets=batch.tickets.with_columns(columns))


MODEL_FREE = with_stages(SCORING, affect=uniform_affect, reasons=no_reasons)
