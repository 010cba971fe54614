"""Per-language sentiment offsets (`sentiment_bias_by_language` in an embedded model's config.json) apply to their
language only, and a mixed-language batch gets each text's own offsets."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch

from qa_engine import paths
from qa_engine.affect import AffectScorer, embedded
from qa_engine.affect.labels import SENTIMENTS
from qa_engine.affect.registry import load_registry
from qa_engine.errors import QAError

pytestmark = pytest.mark.slow

TEXT = "C'est la pire commande de ma vie, je suis furieux."


def _scorer(folder: Path, registry: Path) -> AffectScorer:
    registry.write_text(
        f"models:\n  embedded:\n    kind: embedded\n    path: {folder}\n    quantize: none\n    precision: fp32\n"
        "tasks:\n  sentiment:\n    default: embedded\n    languages: {}\n"
        "  emotion:\n    default: embedded\n    languages: {}\n",
        encoding="utf-8",
    )
    return AffectScorer(load_registry(registry))


def test_a_language_offset_moves_that_language_only(tmp_path: Path) -> None:
    committed = paths.models_dir() / "embedded" / "affect-e5s6-v1"
    plain = _scorer(committed, tmp_path / "plain.yaml").score_texts([TEXT, TEXT], ["fr", "en"])
    assert SENTIMENTS[int(plain.sentiment[0].argmax())] == "negative"

    folder = tmp_path / "model"
    shutil.copytree(committed, folder)
    config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
    config["sentiment_bias_by_language"] = {"fr": [0.0, 0.0, 20.0]}  # push French towards positive
    (folder / "config.json").write_text(json.dumps(config), encoding="utf-8")
    shifted = _scorer(folder, tmp_path / "shifted.yaml").score_texts([TEXT, TEXT], ["fr", "en"])

    assert SENTIMENTS[int(shifted.sentiment[0].argmax())] == "positive"
    np.testing.assert_allclose(shifted.sentiment[1], plain.sentiment[1], atol=1e-5)  # en: global offsets
    np.testing.assert_allclose(
        shifted.emotion, plain.emotion, atol=1e-5
    )  # emotion is not calibrated per language


def _with_refit_head(committed: Path, folder: Path, languages: list[str], push: float) -> None:
    """A copy of the committed model with a second sentiment head that reads everything as positive by `push`."""
    from safetensors.torch import load_file, save_file

    shutil.copytree(committed, folder)
    (folder / embedded.REFIT_FILE).unlink(missing_ok=True)
    state = load_file(str(folder / "weights.safetensors"))
    head = {
        "sentiment_refit.weight": state["sentiment.weight"].clone(),
        "sentiment_refit.bias": state["sentiment.bias"].clone() + torch.tensor([0.0, 0.0, push]).half(),
    }
    save_file(head, str(folder / embedded.REFIT_FILE))
    config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
    config["sentiment_head_languages"] = languages
    (folder / "config.json").write_text(json.dumps(config), encoding="utf-8")


def test_the_refit_head_serves_its_languages_only(tmp_path: Path) -> None:
    """`sentiment_head_languages` routes those languages to the second head; every other language keeps the first
    head's output exactly (the rule that keeps English and Chinese where they were)."""
    committed = paths.models_dir() / "embedded" / "affect-e5s6-v1"
    plain = _scorer(committed, tmp_path / "plain.yaml").score_texts([TEXT, TEXT], ["fr", "en"])
    _with_refit_head(committed, tmp_path / "model", ["fr"], push=20.0)
    routed = _scorer(tmp_path / "model", tmp_path / "routed.yaml").score_texts([TEXT, TEXT], ["fr", "en"])

    assert SENTIMENTS[int(routed.sentiment[0].argmax())] == "positive"
    np.testing.assert_allclose(routed.sentiment[1], plain.sentiment[1], atol=1e-6)
    np.testing.assert_allclose(routed.emotion, plain.emotion, atol=1e-6)


def test_a_refit_head_without_its_languages_is_refused(tmp_path: Path) -> None:
    """Weights and config.json must agree: a second head nobody reads (or languages without a head) is a broken
    model folder, not one to serve half of."""
    committed = paths.models_dir() / "embedded" / "affect-e5s6-v1"
    _with_refit_head(committed, tmp_path / "model", [], push=0.0)
    with pytest.raises(QAError) as err:
        embedded.load(tmp_path / "model")
    assert err.value.code == "Q205"
