"""Any Hugging Face sequence-classification model (hub id or local folder) as an affect backend.

Loaded with transformers' `AutoTokenizer` / `AutoModelForSequenceClassification`; its labels are mapped onto ours
with the registry's `label_map` (or by name, when its labels already are ours or common synonyms). A model that is
not on disk and cannot be downloaded fails with one line that says where to put it.
"""

from __future__ import annotations

import os

import numpy as np
import torch

from qa_engine.affect.backends.base import (
    Backend,
    Predictions,
    precision_suffix,
    serving_precision,
    torch_threads,
)
from qa_engine.affect.labels import EMOTIONS, SENTIMENTS
from qa_engine.affect.registry import ModelSpec
from qa_engine.errors import QAError

# Label names seen on public models, mapped to ours when the registry gives no label_map.
SYNONYMS: dict[str, str] = {
    "neg": "negative", "pos": "positive", "neu": "neutral", "negative": "negative", "positive": "positive",
    "neutral": "neutral", "happiness": "joy", "happy": "joy", "love": "joy", "joy": "joy", "anger": "anger",
    "angry": "anger", "disgust": "disgust", "fear": "fear", "sadness": "sadness", "sad": "sadness",
    "surprise": "surprise", "none": "neutral", "others": "neutral",
}  # fmt: skip


class HuggingFaceBackend(Backend):
    def __init__(self, spec: ModelSpec) -> None:
        from transformers import AutoModelForSequenceClassification, AutoTokenizer

        torch.set_num_threads(torch_threads())
        source = spec.id or spec.path or ""
        offline = os.environ.get("HF_HUB_OFFLINE") == "1" or os.environ.get("TRANSFORMERS_OFFLINE") == "1"
        kwargs = {"revision": spec.revision, "local_files_only": offline}
        try:
            self.tokenizer = AutoTokenizer.from_pretrained(source, **kwargs)
            self.model = AutoModelForSequenceClassification.from_pretrained(source, **kwargs).eval()
        except (OSError, ValueError) as exc:
            detail = str(exc).strip().splitlines()[0][:200]
            raise QAError("Q202", model=source, task="affect", language="*", detail=detail) from exc
        self.precision = serving_precision(spec.precision)
        if self.precision == "bf16":
            self.model.to(torch.bfloat16)
        self.name = source + precision_suffix(self.precision)
        self.max_tokens = min(spec.max_length, getattr(self.tokenizer, "model_max_length", 512) or 512)
        labels = [self.model.config.id2label[i] for i in range(self.model.config.num_labels)]
        mapping = {k.lower(): v for k, v in (spec.label_map or {}).items()}
        self._targets = []  # our label for each of the model's outputs
        for label in labels:
            ours = mapping.get(label.lower()) or (None if spec.label_map else SYNONYMS.get(label.lower()))
            if ours is None:
                raise QAError(
                    "Q203", model=source, task="affect", label=label, known=", ".join(EMOTIONS + SENTIMENTS)
                )
            self._targets.append(ours)
        targets = set(self._targets)
        self.tasks = frozenset(
            ({"sentiment"} if targets & {"negative", "positive"} else set())
            | ({"emotion"} if targets & (set(EMOTIONS) - {"neutral"}) else set())
        )
        self._multi_label = self.model.config.problem_type == "multi_label_classification"

    def count_tokens(self, texts: list[str]) -> list[int]:
        return [len(ids) for ids in self.tokenizer(texts, truncation=False)["input_ids"]]

    def _project(self, probs: np.ndarray, labels: tuple[str, ...]) -> np.ndarray:
        out = np.zeros((probs.shape[0], len(labels)), dtype=np.float32)
        for j, target in enumerate(self._targets):
            if target in labels:
                out[:, labels.index(target)] += probs[:, j]
        total = out.sum(1, keepdims=True)
        return np.where(total > 0, out / np.maximum(total, 1e-9), 1.0 / len(labels))

    @torch.inference_mode()
    def predict(self, texts: list[str], tasks: frozenset[str], language: str | None = None) -> Predictions:
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        probs = np.zeros((len(texts), len(self._targets)), dtype=np.float32)
        for start in range(0, len(order), 32):
            rows = order[start : start + 32]
            enc = self.tokenizer(
                [texts[i] for i in rows], truncation=True, max_length=self.max_tokens, padding=True,
                return_tensors="pt",
            )  # fmt: skip
            logits = self.model(**enc).logits.float()
            p = torch.sigmoid(logits) if self._multi_label else torch.softmax(logits, -1)
            probs[rows] = p.numpy()
        return Predictions(
            sentiment=self._project(probs, SENTIMENTS) if "sentiment" in tasks else None,
            emotion=self._project(probs, EMOTIONS) if "emotion" in tasks else None,
        )
