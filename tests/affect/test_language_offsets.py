"""Per-language sentiment offsets (`sentiment_bias_by_language` in an embedded model's config.json) apply to their
language only, and a mixed-language batch gets each text's own offsets."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from qa_engine import paths
from qa_engine.affect import AffectScorer
from qa_engine.affect.labels import SENTIMENTS
from qa_engine.affect.registry import load_registry

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
