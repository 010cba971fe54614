"""Affect stage: sentiment and emotion per turn (models from `models/registry.yaml`).

Names load on first use: `qa --help` mounts `qa_engine.affect.commands` and should not pay for numpy and polars.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__all__ = ["AffectArrays", "AffectScorer", "affect_columns"]

if TYPE_CHECKING:
    from qa_engine.affect.scorer import AffectArrays, AffectScorer, affect_columns


def __getattr__(name: str) -> Any:
    if name not in __all__:
        raise AttributeError(f"module 'qa_engine.affect' has no attribute {name!r}")
    return getattr(importlib.import_module("qa_engine.affect.scorer"), name)
