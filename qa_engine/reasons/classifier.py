"""The fitted contact-reason and escalation classifiers: linear heads on the affect encoder's pooled vectors.

What `qa reasons fit` writes to `models/reasons/`: `classifier.safetensors` (the weights) and `classifier.json`
(labels, the keyword weight, which encoder and taxonomy they were fitted on, cross-validated figures). Both heads
read the mean-pooled vector the affect stage already computed for each turn, so classifying costs two small matrix
products, not a second encoder pass.

Per customer turn:
- sub-reason probabilities: a multinomial logistic regression over the taxonomy's `<reason>.<sub>` labels;
- reason probabilities: each reason's summed sub-reason probability, re-weighted by keyword evidence
  (log p + keyword_weight for every reason with a cue in the turn, renormalised);
- escalation probability: a binary logistic regression (escalating vs ordinary request).
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

MODEL_DIR = "reasons"  # under models/
WEIGHTS = "classifier.safetensors"
META = "classifier.json"
FORMAT = 1


@dataclass(frozen=True)
class TurnPredictions:
    """Per-turn probabilities, rows aligned with the vectors given."""

    reasons: np.ndarray  # (n, len(model.reasons))
    sub_reasons: np.ndarray  # (n, len(model.labels))
    escalation: np.ndarray  # (n,)


@dataclass
class ReasonModel:
    labels: tuple[str, ...]  # "<reason>.<sub>", the taxonomy's order
    reasons: tuple[str, ...]  # the taxonomy's reasons, in order
    coef: np.ndarray  # (labels, hidden)
    intercept: np.ndarray  # (labels,)
    keyword_weight: float
    escalation_coef: np.ndarray  # (hidden,)
    escalation_intercept: float
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def version(self) -> str:
        """Changes whenever the weights or what they were fitted on change (stored with every scored ticket)."""
        digest = hashlib.sha256()
        for array in (self.coef, self.intercept, self.escalation_coef):
            digest.update(np.ascontiguousarray(array, dtype=np.float32).tobytes())
        # the taxonomy's hash too: its keywords move predictions without moving a weight
        taxonomy = self.meta.get("taxonomy_sha")
        digest.update(
            json.dumps([self.keyword_weight, self.escalation_intercept, self.labels, taxonomy]).encode()
        )
        return f"reasons.v{FORMAT}:{digest.hexdigest()[:12]}"

    def predict(self, vectors: np.ndarray, keywords: np.ndarray) -> TurnPredictions:
        """Probabilities for pooled `vectors` (n, hidden) with `keywords` (n, reasons) cue indicators."""
        if not len(vectors):
            return TurnPredictions(
                np.zeros((0, len(self.reasons))), np.zeros((0, len(self.labels))), np.zeros(0)
            )
        x = normalise(vectors)
        sub = _softmax(x @ self.coef.T + self.intercept)
        mass = sub @ label_owner(self.labels, self.reasons)
        reasons = _softmax(np.log(mass + 1e-9) + self.keyword_weight * keywords)
        escalation = 1.0 / (1.0 + np.exp(-(x @ self.escalation_coef + self.escalation_intercept)))
        return TurnPredictions(reasons, sub, escalation)

    # files ------------------------------------------------------------------------------------------------------
    def save(self, folder: Path) -> None:
        from safetensors.numpy import save_file

        folder.mkdir(parents=True, exist_ok=True)
        save_file(
            {
                "coef": self.coef.astype(np.float32), "intercept": self.intercept.astype(np.float32),
                "escalation_coef": self.escalation_coef.astype(np.float32),
                "escalation_intercept": np.array([self.escalation_intercept], dtype=np.float32),
            },
            str(folder / WEIGHTS),
        )  # fmt: skip
        meta = {
            **self.meta, "format": FORMAT, "labels": list(self.labels), "reasons": list(self.reasons),
            "keyword_weight": self.keyword_weight, "version": self.version,
        }  # fmt: skip
        (folder / META).write_text(json.dumps(meta, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")

    @classmethod
    def load(cls, folder: Path | None = None) -> ReasonModel:
        """Read the fitted classifier; a missing or inconsistent one is Q704 (refit with `qa reasons fit`)."""
        from safetensors.numpy import load_file

        folder = folder or default_model_dir()
        try:
            meta = json.loads((folder / META).read_text(encoding="utf-8"))
            tensors = load_file(str(folder / WEIGHTS))
        except (OSError, ValueError) as exc:
            raise QAError("Q704", path=folder, detail=str(exc).splitlines()[0]) from None
        if meta.get("format") != FORMAT:
            raise QAError(
                "Q704", path=folder, detail=f"format {meta.get('format')}, this version reads {FORMAT}"
            )
        model = cls(
            labels=tuple(meta["labels"]), reasons=tuple(meta["reasons"]), coef=tensors["coef"],
            intercept=tensors["intercept"], keyword_weight=float(meta["keyword_weight"]),
            escalation_coef=tensors["escalation_coef"],
            escalation_intercept=float(tensors["escalation_intercept"][0]), meta=meta,
        )  # fmt: skip
        if model.coef.shape[0] != len(model.labels) or model.escalation_coef.shape != model.coef.shape[1:]:
            raise QAError("Q704", path=folder, detail="weight shapes do not match the labels")
        return model


def label_owner(labels: tuple[str, ...], reasons: tuple[str, ...]) -> np.ndarray:
    """(labels, reasons) 0/1: which reason each `<reason>.<sub>` label belongs to."""
    owner = np.zeros((len(labels), len(reasons)), dtype=np.float32)
    for row, label in enumerate(labels):
        owner[row, reasons.index(label.split(".", 1)[0])] = 1.0
    return owner


def default_model_dir() -> Path:
    return paths.models_dir() / MODEL_DIR


def normalise(vectors: np.ndarray) -> np.ndarray:
    """Unit length: the classifiers read a vector's direction, not its norm."""
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.maximum(norms, 1e-12)


def _softmax(logits: np.ndarray) -> np.ndarray:
    shifted = np.exp(logits - logits.max(axis=1, keepdims=True))
    return shifted / shifted.sum(axis=1, keepdims=True)


def encoder_fingerprint(spec: Any) -> str:
    """Which encoder made the vectors (an embedded ModelSpec): the weights' hash, not just the name, because
    a retrained model keeps its name but moves the pooled space (and the classifier must be refitted)."""
    weights = Path(spec.path or "") / "weights.safetensors"
    digest = hashlib.sha256(weights.read_bytes()).hexdigest()[:12] if weights.is_file() else "missing"
    return f"{spec.kind}:{digest}:{spec.quantize}"
