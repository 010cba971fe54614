"""Key issues per ticket: the contact reason (what the customer came about) and the escalation risk (whether the
contact is heading for a chargeback, a public complaint or legal action), each with its evidence.

stage = ReasonsStage.load(affect_scorer, pack_path)        # taxonomy, signal file, fitted classifier
frame = stage.run(tickets, turns, vectors, docs, store)    # ticket_id + REASON_COLUMNS
"""

from qa_engine.reasons.classifier import ReasonModel
from qa_engine.reasons.signals import Signals, load_signals
from qa_engine.reasons.stage import REASON_COLUMNS, ReasonsStage
from qa_engine.reasons.taxonomy import REASONS, Taxonomy, load_taxonomy

__all__ = [
    "REASONS", "REASON_COLUMNS", "ReasonModel", "ReasonsStage", "Signals", "Taxonomy", "load_signals", "load_taxonomy",
]  # fmt: skip
