"""The fitted contact-reason and escalation classifiers: linear heads on the affect encoder's pooled vectors and on
the turn's character n-grams.

What `qa reasons fit` writes to `models/reasons/`: `classifier.safetensors` (the weights), `classifier.json`
(labels, the keyword and n-gram weights, which encoder and taxonomy they were fitted on, cross-validated figures)
and `ngrams.json` (the n-gram head's vocabulary). The encoder heads read the mean-pooled vector the affect stage
already computed for each turn, so classifying costs a few matrix products, not a second encoder pass.

Per customer turn:
- sub-reason probabilities: two multinomial logistic regressions over the taxonomy's `<reason>.<sub>` labels, one on
  the pooled vector and one on character n-grams (`ngrams.py`), combined as `log p_encoder + ngram_weight x
  log p_ngrams`, renormalised;
- reason probabilities: each reason's summed sub-reason probability, re-weighted by keyword evidence
  (log p + keyword_weight for every reason with a cue in the turn, renormalised);
- escalation probability: a binary logistic regression (escalating vs ordinary request) on the pooled vector.

A format-1 classifier (written before the n-gram head) still loads and predicts from the encoder alone.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from qa_engine import paths
from qa_engine.errors import QAError
from qa_engine.reasons.ngrams import NgramHead

MODEL_DIR = "reasons"  # under models/
WEIGHTS = "classifier.safetensors"
META = "classifier.json"
NGRAMS = "ngrams.json"
FORMAT = 2
READS = (1, 2)  # format 1: no n-gram head


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
    ngrams: NgramHead | None = None

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
        if self.ngrams is not None:
            digest.update(self.ngrams.digest())
        return f"reasons.v{FORMAT if self.ngrams is not None else 1}:{digest.hexdigest()[:12]}"

    def predict(
        self,
        vectors: np.ndarray,
        keywords: np.ndarray,
        texts: Sequence[str],
        languages: Sequence[str | None],
    ) -> TurnPredictions:
        """Probabilities for the turns' pooled `vectors` (n, hidden), `keywords` (n, reasons) cue indicators,
        `texts` and `languages` (read by the n-gram head)."""
        if not len(vectors):
            return TurnPredictions(
                np.zeros((0, len(self.reasons))), np.zeros((0, len(self.labels))), np.zeros(0)
            )
        x = normalise(vectors)
        encoder = x @ self.coef.T + self.intercept
        if self.ngrams is not None:
            ngrams, weights = self.ngrams.logits(texts), self.ngrams.weights(languages)
        else:
            ngrams, weights = None, 0.0
        sub, reasons = combine(encoder, ngrams, weights, keywords, self.keyword_weight, self.owner)
        escalation = 1.0 / (1.0 + np.exp(-(x @ self.escalation_coef + self.escalation_intercept)))
        return TurnPredictions(reasons, sub, escalation)

    @functools.cached_property
    def owner(self) -> np.ndarray:
        """(labels, reasons) 0/1: which reason each sub-reason label belongs to."""
        return label_owner(self.labels, self.reasons)

    # files ------------------------------------------------------------------------------------------------------
    def save(self, folder: Path) -> None:
        from safetensors.numpy import save_file

        folder.mkdir(parents=True, exist_ok=True)
        tensors = {
            "coef": self.coef, "intercept": self.intercept, "escalation_coef": self.escalation_coef,
            "escalation_intercept": np.array([self.escalation_intercept]),
        }  # fmt: skip
        if self.ngrams is not None:
            tensors |= {"ngram_idf": self.ngrams.idf, "ngram_coef": self.ngrams.coef,
                        "ngram_intercept": self.ngrams.intercept}  # fmt: skip
            (folder / NGRAMS).write_text(
                json.dumps(list(self.ngrams.vocabulary), ensure_ascii=False) + "\n", encoding="utf-8"
            )
        else:
            (folder / NGRAMS).unlink(missing_ok=True)
        save_file(
            {k: np.ascontiguousarray(v, dtype=np.float32) for k, v in tensors.items()}, str(folder / WEIGHTS)
        )
        meta = {
            **self.meta, "format": FORMAT if self.ngrams is not None else 1, "labels": list(self.labels),
            "reasons": list(self.reasons), "keyword_weight": self.keyword_weight,
            "ngram_weight": self.ngrams.weight if self.ngrams is not None else None,
            "ngram_languages": list(self.ngrams.languages) if self.ngrams is not None else None,
            "version": self.version,
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
        if meta.get("format") not in READS:
            raise QAError(
                "Q704", path=folder, detail=f"format {meta.get('format')}, this version reads {READS}"
            )
        ngrams = None
        if meta["format"] >= 2:
            try:
                vocabulary = json.loads((folder / NGRAMS).read_text(encoding="utf-8"))
                ngrams = NgramHead(
                    vocabulary=tuple(vocabulary), idf=tensors["ngram_idf"], coef=tensors["ngram_coef"],
                    intercept=tensors["ngram_intercept"], weight=float(meta["ngram_weight"]),
                    languages=tuple(meta["ngram_languages"]),
                )  # fmt: skip
            except (OSError, ValueError, KeyError, TypeError) as exc:
                raise QAError("Q704", path=folder, detail=f"n-gram head: {exc}") from None
            if ngrams.coef.shape != (len(meta["labels"]), len(vocabulary)) or ngrams.idf.shape != (
                len(vocabulary),
            ):
                raise QAError("Q704", path=folder, detail="n-gram weight shapes do not match the vocabulary")
        model = cls(
            labels=tuple(meta["labels"]), reasons=tuple(meta["reasons"]), coef=tensors["coef"],
            intercept=tensors["intercept"], keyword_weight=float(meta["keyword_weight"]),
            escalation_coef=tensors["escalation_coef"],
            escalation_intercept=float(tensors["escalation_intercept"][0]), meta=meta, ngrams=ngrams,
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


def combine(
    encoder: np.ndarray,
    ngrams: np.ndarray | None,
    ngram_weight: float | np.ndarray,
    keywords: np.ndarray,
    keyword_weight: float,
    owner: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """(sub-reason, reason) probabilities from the two heads' sub-reason logits (n, labels), the n-gram head's
    weight (one, or one per turn) and the keyword cues (n, reasons): the fit's cross-validation scores exactly what
    `ReasonModel.predict` serves."""
    logits = _log_softmax(encoder)
    weights = np.broadcast_to(np.asarray(ngram_weight, dtype=np.float64), (len(encoder),))[:, None]
    if ngrams is not None and weights.any():
        logits = logits + weights * _log_softmax(ngrams)
    sub = _softmax(logits)
    return sub, _softmax(np.log(sub @ owner + 1e-9) + keyword_weight * keywords)


def _log_softmax(logits: np.ndarray) -> np.ndarray:
    shifted = logits - logits.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


def _softmax(logits: np.ndarray) -> np.ndarray:
    shifted = np.exp(logits - logits.max(axis=1, keepdims=True))
    return shifted / shifted.sum(axis=1, keepdims=True)


def encoder_fingerprint(spec: Any) -> str:
    """Which encoder made the vectors (an embedded ModelSpec): the weights' hash, not just the name, because
    a retrained model keeps its name but moves the pooled space (and the classifier must be refitted)."""
    weights = Path(spec.path or "") / "weights.safetensors"
    digest = hashlib.sha256(weights.read_bytes()).hexdigest()[:12] if weights.is_file() else "missing"
    return f"{spec.kind}:{digest}:{spec.quantize}"
