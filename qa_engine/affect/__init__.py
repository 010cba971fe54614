"""Affect stage: sentiment and emotion per turn (models from `models/registry.yaml`).

Names load on first use: `qa models --help` imports `qa_engine.cli.models` and should not pay for numpy and polars.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from qa_engine.lazy import lazy_getattr

__all__ = ["AffectArrays", "AffectScorer", "affect_columns"]
_EXPORTS = dict.fromkeys(__all__, "scorer")

if TYPE_CHECKING:
    from qa_engine.affect.scorer import AffectArrays, AffectScorer, affect_columns


__getattr__ = lazy_getattr(__name__, _EXPORTS)
