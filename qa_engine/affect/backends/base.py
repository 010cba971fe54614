"""What every affect backend provides: token counting and probabilities for our label sets."""

from __future__ import annotations

import os
from abc import ABC, abstractmethod
from dataclasses import dataclass

import numpy as np


@dataclass
class Predictions:
    """Per-text probabilities in `labels.SENTIMENTS` / `labels.EMOTIONS` order (None: the task was not asked for)."""

    sentiment: np.ndarray | None
    emotion: np.ndarray | None
    pooled: np.ndarray | None = None  # the encoder's mean-pooled vector, when the backend has one


class Backend(ABC):
    """A loaded model. `tasks` says which of sentiment/emotion it can serve."""

    name: str
    tasks: frozenset[str]
    max_tokens: int

    @abstractmethod
    def count_tokens(self, texts: list[str]) -> list[int]:
        """Tokens per text, special tokens included, without truncation."""

    @property
    def per_language(self) -> bool:
        """Whether `predict` reads its `language` (per-language calibration): only then does the scorer split a
        batch by language, so a model without it batches mixed-language work as before."""
        return False

    def language_key(self, language: str | None) -> str | None:
        """The language `predict` must be told for texts of `language`, or None where its output would be the same
        as for any language without a setting of its own (the scorer then scores a text once for all of them)."""
        return language if self.per_language else None

    @abstractmethod
    def predict(self, texts: list[str], tasks: frozenset[str], language: str | None = None) -> Predictions:
        """Probabilities for each text (already cleaned and at most `max_tokens` long), all in `language` (a
        backend may calibrate per language; None: not known)."""

    def predict_pairs(
        self, texts: list[str], tasks: frozenset[str], pairs: list[tuple[int, str | None]]
    ) -> Predictions:
        """Probabilities for each (text index, language key) pair: the same text may be asked for in several
        languages. This default runs `predict` once per language; a backend whose languages differ only after
        the encoder overrides it with one pass over `texts` (so the encoder batches never depend on languages)."""
        by_key: dict[str | None, list[int]] = {}
        for p, (_, key) in enumerate(pairs):
            by_key.setdefault(key, []).append(p)
        out: dict[str, np.ndarray] = {}
        for key, positions in by_key.items():
            pred = self.predict([texts[pairs[p][0]] for p in positions], tasks, key)
            for name in ("sentiment", "emotion", "pooled"):
                values = getattr(pred, name)
                if values is None:
                    continue
                if name not in out:
                    out[name] = np.zeros((len(pairs), values.shape[1]), dtype=np.float32)
                out[name][positions] = values
        return Predictions(out.get("sentiment"), out.get("emotion"), out.get("pooled"))


def torch_threads() -> int:
    """Threads for torch: $QA_TORCH_THREADS, else the machine's cores (at most 8: more rarely helps small models)."""
    return int(os.environ.get("QA_TORCH_THREADS") or min(8, os.cpu_count() or 1))


def native_bf16() -> bool:
    """Whether this CPU computes in bf16 natively (AVX512-BF16 or AMX); elsewhere bf16 is emulated and slower."""
    import torch

    return bool(torch.cpu._is_avx512_bf16_supported() or torch.cpu._is_amx_tile_supported())


def serving_precision(requested: str) -> str:
    """The precision a model runs in: `auto` is bf16 where the CPU has it natively, else fp32; an explicit
    `bf16` is honoured everywhere (slower where emulated, but what was asked)."""
    if requested == "auto":
        return "bf16" if native_bf16() else "fp32"
    return requested


def precision_suffix(precision: str) -> str:
    """The model-name suffix that records the precision (results and caches of fp32 and bf16 stay apart)."""
    return "" if precision == "fp32" else f"+{precision}"
