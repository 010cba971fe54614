"""Affect stage: sentiment and emotion per turn (models from `models/registry.yaml`)."""

from qa_engine.affect.scorer import AffectArrays, AffectScorer, affect_columns

__all__ = ["AffectArrays", "AffectScorer", "affect_columns"]
