"""`qa reasons fit` reproduces the committed classifier (the fit stays reproducible, and so does its version hash):
fitting again from the committed taxonomy, signal file and encoder gives the same weights and the same version.

The test refits with the committed settings (`--keep-settings`: a quarter of the search's regressions, 2 of the 4
minutes this test took): the vectors, folds, cross-validated figures of the chosen settings, weights and version are
all checked; that the whole search still chooses those settings is `bench/reasons_fit.py` (on demand, 4 minutes).

Byte for byte where the encoder gives the very vectors the committed fit saw (`vectors_sha` in classifier.json),
whatever the core count: the fit runs its regressions on one BLAS thread.
The encoder's float kernels differ in the last bits between CPU families, and a weakly regularised regression moves
a little with them (measured: a refit on an AMD EPYC machine of a classifier fitted on another machine gave weights
up to 0.21 apart, largest weight 9.8, correlation 0.9998, the escalation weights 7e-6 apart, cross-validated
macro-F1 0.912 against 0.913; on another AMD EPYC machine the escalation weights 0.0012 apart, largest 2.9); there
the refit must be as good by cross-validation and, where it chose the same C, land that close."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from qa_engine.reasons.classifier import META, ReasonModel

pytestmark = pytest.mark.slow


def test_fit_reproduces_the_committed_weights_and_version(qa, tmp_path: Path) -> None:
    committed = ReasonModel.load()
    code, out, err = qa("reasons", "fit", "--keep-settings", "--out", str(tmp_path))
    assert code == 0, err
    fitted = ReasonModel.load(tmp_path)
    assert fitted.version in out  # the command says which version it wrote
    assert fitted.meta["taxonomy_sha"] == committed.meta["taxonomy_sha"], (
        "run `qa reasons fit`, commit models/reasons/"
    )
    cv = json.loads((tmp_path / META).read_text())["cv"]
    if fitted.meta["vectors_sha"] == committed.meta["vectors_sha"]:
        assert fitted.version == committed.version
        assert (fitted.meta["C"], fitted.keyword_weight) == (committed.meta["C"], committed.keyword_weight)
        np.testing.assert_array_equal(fitted.coef, committed.coef)
        np.testing.assert_array_equal(fitted.intercept, committed.intercept)
        np.testing.assert_array_equal(fitted.escalation_coef, committed.escalation_coef)
        assert (fitted.ngrams is None) == (committed.ngrams is None)
        if committed.ngrams is not None:
            assert fitted.ngrams.vocabulary == committed.ngrams.vocabulary
            assert fitted.ngrams.weight == committed.ngrams.weight
            np.testing.assert_array_equal(fitted.ngrams.idf, committed.ngrams.idf)
            np.testing.assert_array_equal(fitted.ngrams.coef, committed.ngrams.coef)
        assert cv == committed.meta["cv"]
        return
    # another CPU family: as good a fit, and the same model up to the solver's tolerance where the search chose the
    # same C (neighbouring grid points can swap where their cross-validated figures are that close)
    assert abs(cv["reason_macro_f1"] - committed.meta["cv"]["reason_macro_f1"]) < 0.01
    # the escalation head is strongly regularised: its weights move by the vectors' last bits only (0.0012 at most
    # measured, on weights up to 2.9)
    np.testing.assert_allclose(fitted.escalation_coef, committed.escalation_coef, atol=5e-3)
    # the n-gram head reads the texts, not the encoder: its vocabulary and idf are the same on any CPU
    if fitted.ngrams is not None and committed.ngrams is not None:
        assert fitted.ngrams.vocabulary == committed.ngrams.vocabulary
        np.testing.assert_allclose(fitted.ngrams.idf, committed.ngrams.idf, rtol=1e-6)
    if fitted.meta["C"] == committed.meta["C"]:
        scale = np.abs(committed.coef).max()
        assert np.abs(fitted.coef - committed.coef).max() < 0.05 * scale
        assert np.corrcoef(fitted.coef.ravel(), committed.coef.ravel())[0, 1] > 0.999
