"""The fitted classifier's files: round trip, version, clear errors, keyword evidence, and that the committed one
was fitted on the current taxonomy and the default encoder."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from qa_engine.affect import AffectScorer
from qa_engine.errors import QAError
from qa_engine.reasons.classifier import ReasonModel, encoder_fingerprint
from qa_engine.reasons.signals import load_signals
from qa_engine.reasons.stage import ReasonsStage
from qa_engine.reasons.taxonomy import load_taxonomy

LABELS = ("logistics.lost", "logistics.delayed", "returns.refund_status", "other.chitchat")
REASONS = ("logistics", "returns", "other")


def small_model(hidden: int = 8) -> ReasonModel:
    rng = np.random.default_rng(7)
    return ReasonModel(
        labels=LABELS, reasons=REASONS, coef=rng.normal(size=(len(LABELS), hidden)).astype(np.float32),
        intercept=rng.normal(size=len(LABELS)).astype(np.float32), keyword_weight=1.5,
        escalation_coef=rng.normal(size=hidden).astype(np.float32), escalation_intercept=-0.5,
        meta={"encoder": "embedded:abc:int8", "taxonomy_sha": "t", "C": 8.0},
    )  # fmt: skip


def test_save_and_load_round_trip(tmp_path: Path) -> None:
    model = small_model()
    model.save(tmp_path)
    loaded = ReasonModel.load(tmp_path)
    assert loaded.labels == LABELS and loaded.reasons == REASONS and loaded.version == model.version
    vectors = np.random.default_rng(1).normal(size=(5, 8)).astype(np.float32)
    keywords = np.zeros((5, len(REASONS)), dtype=np.float32)
    a, b = model.predict(vectors, keywords), loaded.predict(vectors, keywords)
    np.testing.assert_allclose(a.reasons, b.reasons, rtol=1e-6)
    np.testing.assert_allclose(a.escalation, b.escalation, rtol=1e-6)
    assert json.loads((tmp_path / "classifier.json").read_text())["version"] == model.version
    assert replace(model, keyword_weight=2.0).version != model.version
    # the taxonomy's keywords move predictions without moving a weight: another taxonomy, another version
    assert replace(model, meta={**model.meta, "taxonomy_sha": "u"}).version != model.version


def test_predictions_are_distributions_and_keywords_add_evidence() -> None:
    model = small_model()
    vectors = np.random.default_rng(2).normal(size=(4, 8)).astype(np.float32)
    plain = model.predict(vectors, np.zeros((4, 3), dtype=np.float32))
    cue = np.zeros((4, 3), dtype=np.float32)
    cue[:, REASONS.index("returns")] = 1.0
    helped = model.predict(vectors, cue)
    np.testing.assert_allclose(plain.reasons.sum(1), 1.0, rtol=1e-6)
    np.testing.assert_allclose(plain.sub_reasons.sum(1), 1.0, rtol=1e-6)
    # a reason's probability is the sum of its sub-reasons' without keywords
    np.testing.assert_allclose(plain.reasons[:, 0], plain.sub_reasons[:, :2].sum(1), rtol=1e-5)
    assert (helped.reasons[:, 1] > plain.reasons[:, 1]).all()
    assert ((plain.escalation > 0) & (plain.escalation < 1)).all()
    # the vector's length does not matter, only its direction
    np.testing.assert_allclose(model.predict(vectors * 7.0, cue).reasons, helped.reasons, rtol=1e-5)
    assert model.predict(np.zeros((0, 8)), np.zeros((0, 3))).reasons.shape == (0, 3)


def test_missing_or_broken_files_are_one_line_errors(tmp_path: Path) -> None:
    with pytest.raises(QAError) as caught:
        ReasonModel.load(tmp_path / "absent")
    assert caught.value.code == "Q704" and "qa reasons fit" in str(caught.value)
    small_model().save(tmp_path)
    meta = json.loads((tmp_path / "classifier.json").read_text())
    (tmp_path / "classifier.json").write_text(json.dumps({**meta, "labels": meta["labels"][:2]}))
    with pytest.raises(QAError, match="shapes"):
        ReasonModel.load(tmp_path)
    (tmp_path / "classifier.json").write_text(json.dumps({**meta, "format": 99}))
    with pytest.raises(QAError, match="format 99"):
        ReasonModel.load(tmp_path)


def test_a_model_fitted_on_other_sub_reasons_is_refused() -> None:
    with pytest.raises(QAError) as caught:
        ReasonsStage(load_taxonomy(), load_signals(), small_model())
    assert caught.value.code == "Q704"


def test_committed_classifier_matches_the_taxonomy_and_the_default_encoder() -> None:
    """If this fails, run `qa reasons fit` (the taxonomy or the affect model changed since the last fit)."""
    model = ReasonModel.load()
    taxonomy = load_taxonomy()
    assert model.labels == taxonomy.labels
    assert model.meta["taxonomy_sha"] == taxonomy.sha
    assert model.meta["encoder"] == encoder_fingerprint(AffectScorer.from_registry().vector_spec())
    assert model.meta["cv"]["reason_macro_f1"] >= 0.85
