"""`qa reasons fit` reproduces the committed classifier (the fit stays reproducible, and so does its version hash):
fitting again from the committed taxonomy, signal file and encoder gives the same weights and the same version."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from qa_engine.reasons.classifier import META, ReasonModel

pytestmark = pytest.mark.slow


def test_fit_reproduces_the_committed_weights_and_version(qa, tmp_path: Path) -> None:
    committed = ReasonModel.load()
    code, out, err = qa("reasons", "fit", "--out", str(tmp_path))
    assert code == 0, err
    fitted = ReasonModel.load(tmp_path)
    assert committed.version in out  # the command says which version it wrote
    assert fitted.version == committed.version, "run `qa reasons fit` and commit models/reasons/"
    np.testing.assert_array_equal(fitted.coef, committed.coef)
    np.testing.assert_array_equal(fitted.intercept, committed.intercept)
    np.testing.assert_array_equal(fitted.escalation_coef, committed.escalation_coef)
    assert fitted.keyword_weight == committed.keyword_weight
    assert json.loads((tmp_path / META).read_text())["cv"] == committed.meta["cv"]
