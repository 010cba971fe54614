"""`qa models eval` reproduces the figures the model card reports (served fp32 path, dev splits)."""

from __future__ import annotations

import json

import pytest

from qa_engine import paths
from qa_engine.affect import AffectScorer
from qa_engine.affect.training.evaluate import evaluate

pytestmark = pytest.mark.slow

CARD_DIR = paths.models_dir() / "embedded" / "affect-e5s6-v1"


def test_eval_reproduces_the_committed_figures() -> None:
    committed = {r["name"]: r["value"] for r in json.loads((CARD_DIR / "metrics.json").read_text())["fp32"]}
    measured = {r.name: r.value for r in evaluate(AffectScorer.from_registry())}
    assert set(committed) <= set(measured)
    off = {name: (committed[name], round(measured[name], 4)) for name in committed
           if abs(committed[name] - measured[name]) > 0.003}  # fmt: skip
    assert not off, off


def test_card_states_every_figure_of_metrics_json() -> None:
    card = (CARD_DIR / "MODEL_CARD.md").read_text(encoding="utf-8")
    for fig in json.loads((CARD_DIR / "metrics.json").read_text())["fp32"]:
        assert f"| {fig['name']} |" in card and f"**{fig['value']:.3f}**" in card
