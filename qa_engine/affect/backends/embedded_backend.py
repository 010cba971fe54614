"""The embedded default: one pass of the fine-tuned e5 encoder gives sentiment, emotion and a pooled vector."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import torch

from qa_engine.affect import embedded
from qa_engine.affect.backends.base import (
    Backend,
    Predictions,
    precision_suffix,
    serving_precision,
    torch_threads,
)
from qa_engine.affect.registry import ModelSpec


def quantize_int8(model: torch.nn.Module) -> torch.nn.Module:
    """Dynamic int8 quantisation of the Linear layers (weights int8, activations quantised on the fly)."""
    from torch.ao.quantization import quantize_dynamic

    with warnings.catch_warnings():
        warnings.simplefilter(
            "ignore"
        )  # torch announces the API's move to torchao; it works in this pinned torch
        return quantize_dynamic(model, {torch.nn.Linear}, dtype=torch.qint8)


class EmbeddedBackend(Backend):
    tasks = frozenset({"sentiment", "emotion"})

    def __init__(self, spec: ModelSpec) -> None:
        torch.set_num_threads(torch_threads())
        folder = Path(spec.path or "")
        model, self.config = embedded.load(folder)
        if spec.quantize == "int8":
            self.model, self.precision = quantize_int8(model), "fp32"  # int8 kernels take fp32 activations
        else:
            self.precision = serving_precision(spec.precision)
            if self.precision == "bf16":
                embedded.encoder_to_bf16(model)
            self.model = model
        self.name = f"{self.config.name}{'+int8' if spec.quantize == 'int8' else ''}{precision_suffix(self.precision)}"
        self.max_tokens = self.config.max_length
        self.tokenizer = embedded.tokenizer(self.max_tokens)
        self._sent_bias = torch.tensor(self.config.sentiment_bias)
        self._sent_bias_by_language = {
            lang: torch.tensor(bias) for lang, bias in self.config.sentiment_bias_by_language.items()
        }
        self._emo_bias = torch.tensor(self.config.emotion_bias)
        self._refit_languages = frozenset(self.config.sentiment_head_languages)
        if spec.quantize == "int8" and self._refit_languages:
            # the second head was fitted on fp32 encoder vectors and collapses on int8 ones (XLM-T fr 0.69 -> 0.31,
            # even with the head itself in fp32): int8 serves stage one's head and offsets in every language
            for lang in self._refit_languages:
                self._sent_bias_by_language.pop(lang, None)
            self._refit_languages = frozenset()

    @property
    def per_language(self) -> bool:
        return bool(self._sent_bias_by_language or self._refit_languages)

    def language_key(self, language: str | None) -> str | None:
        """Only languages with their own offsets or head are told apart: the rest share one pass per text."""
        return (
            language if language in self._sent_bias_by_language or language in self._refit_languages else None
        )

    def count_tokens(self, texts: list[str]) -> list[int]:
        return self.tokenizer.count_tokens(texts)

    def predict(self, texts: list[str], tasks: frozenset[str], language: str | None = None) -> Predictions:
        return self.predict_pairs(texts, tasks, [(i, language) for i in range(len(texts))])

    def predict_pairs(
        self, texts: list[str], tasks: frozenset[str], pairs: list[tuple[int, str | None]]
    ) -> Predictions:
        """One encoder pass over `texts` whatever their languages (in bf16 the pooled vectors depend on how texts
        are batched, and the contact-reason model reads them); the language only picks the sentiment head
        (config.json `sentiment_head_languages`) and offsets afterwards."""
        with warnings.catch_warnings(), torch.inference_mode():
            warnings.simplefilter("ignore")
            pooled, sent, emo = embedded.forward_texts(self.model, self.tokenizer, texts)
            rows = torch.tensor([i for i, _ in pairs], dtype=torch.long)
            keys = [key for _, key in pairs]
            pooled, sent, emo = pooled[rows], sent[rows].clone(), emo[rows]
            refit = [p for p, key in enumerate(keys) if key in self._refit_languages]
            if refit:  # these languages read the refitted head
                sent[refit] = self.model.sentiment_refit(pooled[refit]).to(sent.dtype)
        sent_bias = torch.stack([self._sent_bias_by_language.get(key or "", self._sent_bias) for key in keys])
        return Predictions(
            sentiment=torch.softmax(sent + sent_bias, -1).numpy() if "sentiment" in tasks else None,
            emotion=torch.softmax(emo + self._emo_bias, -1).numpy() if "emotion" in tasks else None,
            pooled=pooled.numpy().astype(np.float32),
        )
