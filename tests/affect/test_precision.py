"""Serving precision: bf16 only where the CPU has it natively (or when asked), recorded in the model's name."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from qa_engine.affect import AffectScorer
from qa_engine.affect.backends import get_backend
from qa_engine.affect.backends.base import native_bf16, serving_precision
from qa_engine.affect.registry import load_registry

SENTENCES = [
    "Where is my parcel? I ordered it two weeks ago.",
    "This is the third time I write, I am really angry now!",
    "Thank you so much, that solved it.",
    "我的包裹什么时候到？",
    "Ich bin sehr enttäuscht von diesem Service.",
    "ご対応ありがとうございました。",
    "¿Pueden devolverme el dinero, por favor?",
    "Je suis inquiète, la commande n'est jamais arrivée.",
]


def test_auto_is_bf16_exactly_where_the_cpu_computes_bf16_natively() -> None:
    assert serving_precision("auto") == ("bf16" if native_bf16() else "fp32")
    assert serving_precision("fp32") == "fp32"
    assert serving_precision("bf16") == "bf16"


def test_the_registry_entry_rejects_an_unknown_precision(tmp_path: Path) -> None:
    from qa_engine.errors import QAError

    file = tmp_path / "registry.yaml"
    file.write_text(
        "models:\n  m: {kind: embedded, path: x, precision: fp8}\n"
        "tasks:\n  sentiment: {default: m}\n  emotion: {default: m}\n",
        encoding="utf-8",
    )
    with pytest.raises(QAError, match="precision"):
        load_registry(file)


@pytest.mark.slow
def test_bf16_agrees_with_fp32_and_says_so_in_its_name() -> None:
    """The served bf16 path gives the fp32 labels on clear sentences in six languages, scores within a few
    hundredths, and a model name of its own (so stored results and the affect cache keep the two apart)."""
    spec = load_registry().resolve("sentiment", None)
    fp32 = get_backend(spec.model_copy(update={"precision": "fp32"}))
    bf16 = get_backend(spec.model_copy(update={"precision": "bf16"}))
    tasks = frozenset({"sentiment", "emotion"})
    a, b = fp32.predict(SENTENCES, tasks), bf16.predict(SENTENCES, tasks)
    assert (a.sentiment.argmax(1) == b.sentiment.argmax(1)).all()
    assert np.abs(a.sentiment - b.sentiment).max() < 0.05
    assert np.abs(a.emotion - b.emotion).max() < 0.05
    cosine = (
        (a.pooled * b.pooled).sum(1) / np.linalg.norm(a.pooled, axis=1) / np.linalg.norm(b.pooled, axis=1)
    )
    assert cosine.min() > 0.99
    assert bf16.name == fp32.name + "+bf16" and "+" not in fp32.name


@pytest.mark.slow
def test_the_run_records_the_precision_it_served() -> None:
    versions = AffectScorer.from_registry().versions(["en"])
    expected = "+bf16" if native_bf16() else ""
    assert versions["sentiment"] == f"affect.e5s6.v1{expected}"


@pytest.mark.slow
def test_int8_ignores_bf16() -> None:
    """Dynamic int8 kernels take fp32 activations: a spec that asks for both serves int8 in fp32."""
    spec = (
        load_registry()
        .resolve("sentiment", None)
        .model_copy(update={"quantize": "int8", "precision": "bf16"})
    )
    backend = get_backend(spec)
    assert backend.precision == "fp32" and backend.name.endswith("+int8")
    assert backend.predict(SENTENCES[:2], frozenset({"sentiment"})).sentiment.shape == (2, 3)
