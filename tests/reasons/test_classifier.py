"""The fitted classifier's files: round trip, version, clear errors, keyword and n-gram evidence, that a classifier
written before the n-gram head still loads, and that the committed one was fitted on the current taxonomy and the
default encoder."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from qa_engine.affect import AffectScorer
from qa_engine.errors import QAError
from qa_engine.reasons.classifier import NGRAMS, ReasonModel, encoder_fingerprint
from qa_engine.reasons.ngrams import NgramHead, vectorizer, vocabulary_of
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


TEXTS = ["my parcel is lost", "parcel lost again", "the parcel is late", "late parcel", "refund please",
         "where is my refund", "hello there", "hello"]  # fmt: skip


def ngram_head(weight: float = 1.0) -> NgramHead:
    """An n-gram head that reads "refund" as returns.refund_status and "lost" as logistics.lost."""
    featuriser = vectorizer()
    featuriser.fit(TEXTS)
    vocabulary = vocabulary_of(featuriser)
    coef = np.zeros((len(LABELS), len(vocabulary)), dtype=np.float32)
    coef[LABELS.index("returns.refund_status"), vocabulary.index("efu")] = 50.0
    coef[LABELS.index("logistics.lost"), vocabulary.index("los")] = 50.0
    return NgramHead(
        vocabulary=vocabulary, idf=featuriser.idf_.astype(np.float32), coef=coef,
        intercept=np.zeros(len(LABELS), dtype=np.float32), weight=weight,
        languages=("en", "fr"),
    )  # fmt: skip


def test_save_and_load_round_trip(tmp_path: Path) -> None:
    for model in (small_model(), replace(small_model(), ngrams=ngram_head())):
        model.save(tmp_path)
        loaded = ReasonModel.load(tmp_path)
        assert loaded.labels == LABELS and loaded.reasons == REASONS and loaded.version == model.version
        assert (tmp_path / NGRAMS).is_file() == (model.ngrams is not None)
        vectors = np.random.default_rng(1).normal(size=(5, 8)).astype(np.float32)
        keywords = np.zeros((5, len(REASONS)), dtype=np.float32)
        texts = ["refund?", "lost it", "", "hello", "parcel"]
        languages = ["en", "fr-CA", None, "th", "en"]
        a = model.predict(vectors, keywords, texts, languages)
        b = loaded.predict(vectors, keywords, texts, languages)
        np.testing.assert_allclose(a.reasons, b.reasons, rtol=1e-5)
        np.testing.assert_allclose(a.escalation, b.escalation, rtol=1e-6)
        assert json.loads((tmp_path / "classifier.json").read_text())["version"] == model.version
        assert replace(model, keyword_weight=2.0).version != model.version
        # the taxonomy's keywords move predictions without moving a weight: another taxonomy, another version
        assert replace(model, meta={**model.meta, "taxonomy_sha": "u"}).version != model.version


def test_the_version_names_the_format_and_moves_with_the_ngram_head() -> None:
    plain, with_ngrams = small_model(), replace(small_model(), ngrams=ngram_head())
    # a classifier without the n-gram head keeps the version it had before the head existed
    assert plain.version.startswith("reasons.v1:") and with_ngrams.version.startswith("reasons.v2:")
    assert replace(small_model(), ngrams=ngram_head(weight=2.0)).version != with_ngrams.version
    moved = ngram_head()
    moved.coef[0, 0] += 0.5
    assert replace(small_model(), ngrams=moved).version != with_ngrams.version


def test_the_ngram_head_adds_the_evidence_of_the_words() -> None:
    vectors = np.random.default_rng(3).normal(size=(3, 8)).astype(np.float32)
    keywords = np.zeros((3, len(REASONS)), dtype=np.float32)
    texts, languages = ["I want my REFUND", "Parcel LOST!!", "bonjour"], ["en", "en-GB", "fr"]
    plain = small_model().predict(vectors, keywords, texts, languages)
    read = replace(small_model(), ngrams=ngram_head()).predict(vectors, keywords, texts, languages)
    np.testing.assert_allclose(read.sub_reasons.sum(1), 1.0, rtol=1e-6)
    assert read.sub_reasons[0, LABELS.index("returns.refund_status")] > 0.99
    assert read.sub_reasons[1, LABELS.index("logistics.lost")] > 0.99
    # a text without a weighted n-gram is read by the encoder head alone
    np.testing.assert_allclose(read.sub_reasons[2], plain.sub_reasons[2], rtol=1e-5)
    # weight 0: the encoder head alone
    off = replace(small_model(), ngrams=ngram_head(weight=0.0)).predict(vectors, keywords, texts, languages)
    np.testing.assert_allclose(off.reasons, plain.reasons, rtol=1e-5)
    # a language the head was not fitted on (or none detected): the encoder head alone, whatever its words
    elsewhere = ["pt", None, "th"]
    unknown = replace(small_model(), ngrams=ngram_head()).predict(vectors, keywords, texts, elsewhere)
    np.testing.assert_allclose(unknown.reasons, plain.reasons, rtol=1e-5)


def test_predictions_are_distributions_and_keywords_add_evidence() -> None:
    model = small_model()
    vectors = np.random.default_rng(2).normal(size=(4, 8)).astype(np.float32)
    texts = [""] * 4
    plain = model.predict(vectors, np.zeros((4, 3), dtype=np.float32), texts, ["en"] * 4)
    cue = np.zeros((4, 3), dtype=np.float32)
    cue[:, REASONS.index("returns")] = 1.0
    helped = model.predict(vectors, cue, texts, ["en"] * 4)
    np.testing.assert_allclose(plain.reasons.sum(1), 1.0, rtol=1e-6)
    np.testing.assert_allclose(plain.sub_reasons.sum(1), 1.0, rtol=1e-6)
    # a reason's probability is the sum of its sub-reasons' without keywords
    np.testing.assert_allclose(plain.reasons[:, 0], plain.sub_reasons[:, :2].sum(1), rtol=1e-5)
    assert (helped.reasons[:, 1] > plain.reasons[:, 1]).all()
    assert ((plain.escalation > 0) & (plain.escalation < 1)).all()
    # the vector's length does not matter, only its direction
    np.testing.assert_allclose(
        model.predict(vectors * 7.0, cue, texts, ["en"] * 4).reasons, helped.reasons, rtol=1e-5
    )
    assert model.predict(np.zeros((0, 8)), np.zeros((0, 3)), [], []).reasons.shape == (0, 3)


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
    replace(small_model(), ngrams=ngram_head()).save(tmp_path)
    (tmp_path / NGRAMS).unlink()
    with pytest.raises(QAError, match="n-gram head") as caught:
        ReasonModel.load(tmp_path)
    assert caught.value.code == "Q704"


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


def test_keeping_a_models_settings_searches_only_them() -> None:
    """`qa reasons fit --keep-settings`: the grid holds the committed model's settings alone."""
    from qa_engine.reasons.fit import Grid, Settings

    committed = ReasonModel.load()
    grid = Grid.only(Settings.of(committed))
    assert grid.c == (committed.meta["C"],) and grid.keyword_weight == (committed.keyword_weight,)
    assert grid.ngram_weight == ((committed.ngrams.weight,) if committed.ngrams else (0.0,))
    assert Settings.of(replace(committed, ngrams=None)).ngram_weight == 0.0
    assert len(Grid().c) * len(Grid().keyword_weight) > 1  # the default still searches
