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

    @abstractmethod
    def predict(self, texts: list[str], tasks: frozenset[str]) -> Predictions:
        """Probabilities for each text (already cleaned and at most `max_tokens` long)."""


def torch_threads() -> int:
    """Threads for torch: $QA_TORCH_THREADS, else the machine's cores (at most 8: more rarely helps small models)."""
    return int(os.environ.get("QA_TORCH_THREADS") or min(8, os.cpu_count() or 1))
