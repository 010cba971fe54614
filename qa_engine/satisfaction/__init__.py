"""Predicted dissatisfaction per ticket: how likely the customer came out of the conversation dissatisfied.

stage = SatisfactionStage.load(affect_scorer)          # the fitted model (models/satisfaction/)
frame = stage.run(tickets, turns, vectors)             # ticket_id + SATISFACTION_COLUMNS

Names load on first use: `qa --help` must not pull in torch or scikit-learn.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from qa_engine.lazy import lazy_getattr

_EXPORTS: dict[str, str] = {
    "SATISFACTION_COLUMNS": "stage", "SatisfactionStage": "stage", "SatisfactionModel": "model",
}  # fmt: skip
__all__ = ["SATISFACTION_COLUMNS", "SatisfactionModel", "SatisfactionStage"]

if TYPE_CHECKING:
    from qa_engine.satisfaction.model import SatisfactionModel
    from qa_engine.satisfaction.stage import SATISFACTION_COLUMNS, SatisfactionStage


__getattr__ = lazy_getattr(__name__, _EXPORTS)
