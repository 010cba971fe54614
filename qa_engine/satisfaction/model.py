"""The fitted satisfaction model: a logistic regression over conversation features (`features.py`).

What `qa models train satisfaction` writes to `models/satisfaction/`: `model.safetensors` (coefficients, intercept
and the standardisation of the features) and `model.json` (feature names, which encoder the vectors came from,
what it was trained on and its figures). Predicting is one matrix product over features the pipeline already has,
so the stage costs next to nothing beside the encoder pass.

The evidence is by occlusion: the risk is computed again without each telling turn, and the turns whose absence
lowers it most are the ones that raised it. That is exact for what the model does (no gradient approximation) and
costs one extra feature row per turn.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from qa_engine import paths
from qa_engine.errors import QAError
from qa_engine.satisfaction.features import HAND_FEATURES, VECTOR_BLOCKS, Conversation

MODEL_DIR = "satisfaction"  # under models/
WEIGHTS = "model.safetensors"
META = "model.json"
FORMAT = 1
MAX_EVIDENCE_TURNS = 3
MIN_EVIDENCE_RAISE = 0.02  # a turn whose absence lowers the risk by less than this is not evidence


@dataclass
class TurnEvidence:
    turn_index: int
    raise_: float  # risk with the turn minus risk without it


@dataclass
class SatisfactionModel:
    coef: np.ndarray  # (features,) on standardised features
    intercept: float
    mean: np.ndarray  # (features,)
    scale: np.ndarray  # (features,)
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def version(self) -> str:
        """Changes whenever the weights change (stored with every scored ticket: a new model re-scores)."""
        digest = hashlib.sha256()
        for array in (self.coef, self.mean, self.scale):
            digest.update(np.ascontiguousarray(array, dtype=np.float32).tobytes())
        digest.update(json.dumps(round(float(self.intercept), 6)).encode())
        return f"satisfaction.v{FORMAT}:{digest.hexdigest()[:12]}"

    @property
    def hidden(self) -> int:
        return (len(self.coef) - len(HAND_FEATURES)) // len(VECTOR_BLOCKS)

    def predict_rows(self, rows: np.ndarray) -> np.ndarray:
        """P(dissatisfied) for feature rows (n, features); NaN rows give NaN."""
        logits = ((rows - self.mean) / self.scale) @ self.coef + self.intercept
        return 1.0 / (1.0 + np.exp(-logits))

    def predict(self, conversation: Conversation) -> tuple[float | None, list[TurnEvidence]]:
        """The risk of one conversation and the turns that raised it most (None without a customer turn)."""
        row = conversation.row()
        if row is None:
            return None, []
        self._check_width(row)
        without = conversation.rows_without_each()
        risks = self.predict_rows(np.vstack([row[None, :], without]))
        risk = float(risks[0])
        # a conversation's only customer turn: without it there is nothing to judge, so compare with the prior
        prior = 1.0 / (1.0 + np.exp(-self.meta.get("prior_logit", 0.0)))
        raises = risk - np.where(np.isnan(risks[1:]), prior, risks[1:])
        order = np.argsort(-raises, kind="stable")
        evidence = [
            TurnEvidence(int(conversation.turn_index[i]), float(raises[i]))
            for i in order[:MAX_EVIDENCE_TURNS]
            if raises[i] >= MIN_EVIDENCE_RAISE
        ]
        return risk, evidence

    def _check_width(self, row: np.ndarray) -> None:
        if row.shape[0] != self.coef.shape[0]:
            raise QAError(
                "Q752", path=default_model_dir(),
                detail=f"it reads {self.coef.shape[0]} features, the encoder gives {row.shape[0]}",
            )  # fmt: skip

    # files ------------------------------------------------------------------------------------------------------
    def save(self, folder: Path) -> None:
        from safetensors.numpy import save_file

        folder.mkdir(parents=True, exist_ok=True)
        save_file(
            {
                "coef": self.coef.astype(np.float32), "mean": self.mean.astype(np.float32),
                "scale": self.scale.astype(np.float32),
                "intercept": np.array([self.intercept], dtype=np.float32),
            },
            str(folder / WEIGHTS),
        )  # fmt: skip
        meta = {
            **self.meta, "format": FORMAT, "hand_features": list(HAND_FEATURES),
            "vector_blocks": list(VECTOR_BLOCKS), "version": self.version,
        }  # fmt: skip
        (folder / META).write_text(json.dumps(meta, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")

    @classmethod
    def load(cls, folder: Path | None = None) -> SatisfactionModel:
        """Read the fitted model; a missing or inconsistent one is Q752."""
        from safetensors.numpy import load_file

        folder = folder or default_model_dir()
        try:
            meta = json.loads((folder / META).read_text(encoding="utf-8"))
            tensors = load_file(str(folder / WEIGHTS))
        except (OSError, ValueError) as exc:
            raise QAError("Q752", path=folder, detail=str(exc).splitlines()[0]) from None
        if meta.get("format") != FORMAT or tuple(meta.get("hand_features", ())) != HAND_FEATURES:
            raise QAError(
                "Q752", path=folder, detail="it was fitted on other features than this version reads"
            )
        model = cls(
            coef=tensors["coef"], intercept=float(tensors["intercept"][0]), mean=tensors["mean"],
            scale=tensors["scale"], meta=meta,
        )  # fmt: skip
        if not (model.coef.shape == model.mean.shape == model.scale.shape):
            raise QAError("Q752", path=folder, detail="weight shapes do not agree")
        return model


def default_model_dir() -> Path:
    return paths.models_dir() / MODEL_DIR
