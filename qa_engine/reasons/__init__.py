"""Key issues per ticket: the contact reason (what the customer came about) and the escalation risk (whether the
contact is heading for a chargeback, a public complaint or legal action), each with its evidence.

stage = ReasonsStage.load(affect_scorer, pack_path)        # taxonomy, signal file, fitted classifier
frame = stage.run(tickets, turns, vectors, docs, store)    # ticket_id + REASON_COLUMNS

Names load on first use: `qa reasons --help` imports `qa_engine.cli.reasons` and must not pull in spaCy or torch.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from qa_engine.lazy import lazy_getattr

_EXPORTS: dict[str, str] = {
    "ReasonModel": "classifier", "Signals": "signals", "load_signals": "signals",
    "REASON_COLUMNS": "stage", "ReasonsStage": "stage",
    "REASONS": "taxonomy", "Taxonomy": "taxonomy", "load_taxonomy": "taxonomy",
}  # fmt: skip
__all__ = [
    "REASONS", "REASON_COLUMNS", "ReasonModel", "ReasonsStage", "Signals", "Taxonomy", "load_signals", "load_taxonomy",
]  # fmt: skip

if TYPE_CHECKING:
    from qa_engine.reasons.classifier import ReasonModel
    from qa_engine.reasons.signals import Signals, load_signals
    from qa_engine.reasons.stage import REASON_COLUMNS, ReasonsStage
    from qa_engine.reasons.taxonomy import REASONS, Taxonomy, load_taxonomy


__getattr__ = lazy_getattr(__name__, _EXPORTS)
