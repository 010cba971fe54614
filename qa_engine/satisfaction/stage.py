"""The satisfaction stage: each ticket's `dissatisfaction_risk` and the turns that raised it.

It runs after the reasons stage (it reads the escalation risk, resolution wording and repeat contacts) and before
the tier stage (the tier policy reads the risk). Per ticket:

- `dissatisfaction_risk` (0-1): the satisfaction model's probability that the customer is dissatisfied with the
  service, from the whole conversation (`features.py`, `model.py`); null when there is nothing of the customer's to
  judge (an agent-only ticket, or only empty or phatic customer turns);
- `dissatisfaction_evidence`: a JSON list of {turn_index, start, end, text, note}: the turns whose absence lowers the
  risk most, strongest first, each noting by how much; for a null risk, one item without a turn that says why.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import polars as pl

from qa_engine.errors import QAError
from qa_engine.reasons.classifier import encoder_fingerprint
from qa_engine.satisfaction.features import conversations
from qa_engine.satisfaction.model import SatisfactionModel

if TYPE_CHECKING:
    from qa_engine.affect.scorer import AffectScorer

log = logging.getLogger(__name__)

SATISFACTION_COLUMNS: dict[str, pl.DataType] = {
    "dissatisfaction_risk": pl.Float64(),
    "dissatisfaction_evidence": pl.String(),  # JSON list of {turn_index, start, end, text, note}
}
NOTHING_TO_JUDGE = "no customer text to judge (agent-only ticket, or only empty or phatic customer turns)"
EXCERPT_CHARS = 200


class SatisfactionStage:
    """The loaded model; `model` is None when it cannot serve this encoder (every risk is then null, with why)."""

    def __init__(self, model: SatisfactionModel | None, unavailable: str = "") -> None:
        self.model = model
        self.unavailable = unavailable

    @property
    def version(self) -> str:
        return self.model.version if self.model else "satisfaction:none"

    @classmethod
    def load(cls, scorer: AffectScorer, model_dir: Path | None = None) -> SatisfactionStage:
        """The fitted model, if it was fitted on the encoder in use; otherwise a stage that says so per ticket
        (a model read on another encoder's vectors would give confident nonsense)."""
        try:
            model = SatisfactionModel.load(model_dir)
        except QAError as exc:
            log.warning("%s", exc)
            return cls(None, "no satisfaction model: run `qa models train satisfaction`")
        fingerprint = encoder_fingerprint(scorer.vector_spec())
        if model.meta.get("encoder") != fingerprint:
            log.warning(
                "the satisfaction model was fitted on encoder %s, the pipeline uses %s: risks are null until "
                "`qa models train satisfaction` refits it",
                model.meta.get("encoder"), fingerprint,
            )  # fmt: skip
            return cls(
                None,
                "the satisfaction model was fitted on another encoder: run `qa models train satisfaction`",
            )
        return cls(model)

    def run(self, tickets: pl.DataFrame, turns: pl.DataFrame, vectors: np.ndarray) -> pl.DataFrame:
        """ticket_id and `SATISFACTION_COLUMNS` for every row of `tickets` (`turns` with the affect columns and
        `vectors` row for row; `tickets` with the reasons stage's columns)."""
        texts = {
            (tid, idx): text or ""
            for tid, idx, text in turns.select("ticket_id", "turn_index", "text").iter_rows()
        }
        unavailable = self.unavailable
        if self.model is not None and vectors.shape[1] != self.model.hidden:
            # e.g. affect models that give no pooled vectors: nothing this model can read
            unavailable = (
                f"the affect models give {vectors.shape[1]}-d turn vectors, the satisfaction model reads "
                f"{self.model.hidden}-d ones: run `qa models train satisfaction`"
            )
        out: list[dict[str, Any]] = []
        for conversation in conversations(tickets, turns, vectors):
            if unavailable or self.model is None or not conversation.judgeable:
                why = unavailable or NOTHING_TO_JUDGE
                item = {"turn_index": None, "start": None, "end": None, "text": "", "note": why}
                out.append({"ticket_id": conversation.ticket_id, "dissatisfaction_risk": None,
                            "dissatisfaction_evidence": json.dumps([item])})  # fmt: skip
                continue
            risk, raised = self.model.predict(conversation)
            evidence = []
            for found in raised:
                text = texts.get((conversation.ticket_id, found.turn_index), "")
                note = f"raises the dissatisfaction risk by {found.raise_:.2f}"
                evidence.append({"turn_index": found.turn_index, "start": 0, "end": len(text),
                                 "text": text[:EXCERPT_CHARS], "note": note})  # fmt: skip
            out.append(
                {"ticket_id": conversation.ticket_id, "dissatisfaction_risk": round(float(risk), 4),
                 "dissatisfaction_evidence": json.dumps(evidence, ensure_ascii=False)}
            )  # fmt: skip
        return pl.DataFrame(out, schema={"ticket_id": pl.String(), **SATISFACTION_COLUMNS})
