"""`qa models eval` reproduces the figures the model card reports (served fp32 path, dev splits)."""

from __future__ import annotations

import json

import pytest

from qa_engine import paths
from qa_engine.affect.training import datasets
from qa_engine.affect.training.evaluate import evaluate
from qa_engine.errors import QAError
from tests.affect.conftest import fp32_scorer

pytestmark = pytest.mark.slow

CARD_DIR = paths.models_dir() / "embedded" / "affect-e5s6-v1"


def _reproduced(families: tuple[str, ...]) -> None:
    committed = {r["name"]: r["value"] for r in json.loads((CARD_DIR / "metrics.json").read_text())["fp32"]}
    measured = {r.name: r.value for r in evaluate(fp32_scorer(), only=families)}
    wanted = {name for name in committed if name.split("/")[0] in families}
    assert wanted and wanted <= set(measured)
    off = {name: (committed[name], round(measured[name], 4)) for name in wanted
           if abs(committed[name] - measured[name]) > 0.003}  # fmt: skip
    assert not off, off


def test_eval_reproduces_the_figures_of_our_own_japanese_set() -> None:
    """The Japanese sanity set ships with the repository, so this runs everywhere."""
    _reproduced(("ja_sanity_own",))


def test_eval_reproduces_the_committed_dev_figures() -> None:
    """The public dev splits live outside the repository (their licences forbid copying them in); the two big ones
    (GoEmotions, online_shopping: 11,000 texts) are left to `qa models eval` to keep the suite short."""
    try:
        datasets.data_dir()
    except QAError:
        pytest.skip("the shared data folder is not here: set QA_DATA_DIR to run this reproduction")
    _reproduced(("nlpcc", "xlmt"))


def test_card_states_every_figure_of_metrics_json() -> None:
    card = (CARD_DIR / "MODEL_CARD.md").read_text(encoding="utf-8")
    figures = json.loads((CARD_DIR / "metrics.json").read_text())
    bf16 = {fig["name"]: fig["value"] for fig in figures["bf16"]}
    for fig in figures["fp32"]:
        row = f"| {fig['name']} |"
        assert row in card and f"**{fig['value']:.3f}** | {bf16[fig['name']]:.3f} |" in card


def test_bf16_serves_the_fp32_figures_within_a_hundredth() -> None:
    """bf16 is served where the CPU has it natively only because it costs no measurable quality: within 0.01 of
    fp32, or one text on a set under a hundred (our 93-row Japanese set moves 0.0102 when one reading flips)."""
    figures = json.loads((CARD_DIR / "metrics.json").read_text())
    fp32 = {fig["name"]: fig["value"] for fig in figures["fp32"]}
    assert {fig["name"] for fig in figures["bf16"]} == set(fp32)
    off = {
        fig["name"]: (fp32[fig["name"]], fig["value"])
        for fig in figures["bf16"]
        if abs(fig["value"] - fp32[fig["name"]]) > max(0.01, 1.2 / fig["n"])
    }
    assert not off, off
