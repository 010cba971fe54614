"""The reasons model card states the committed figures, and `qa reasons eval` reproduces them."""

from __future__ import annotations

import json

import pytest

from qa_engine import paths

CARD_DIR = paths.models_dir() / "reasons"
FIGURES = json.loads((CARD_DIR / "metrics.json").read_text(encoding="utf-8"))


def test_card_states_every_committed_figure_and_the_targets_hold() -> None:
    card = (CARD_DIR / "MODEL_CARD.md").read_text(encoding="utf-8")
    for figure in FIGURES:
        assert f"| {figure['name']} |" in card and f"**{figure['value']:.3f}**" in card, figure["name"]
    by_name = {f["name"]: f for f in FIGURES}
    languages = ("en", "zh", "de", "ja", "es", "fr")
    assert all(by_name[f"reasons/contact_reason/{lang}"]["value"] >= 0.85 for lang in languages)
    assert by_name["reasons/escalation/all"]["value"] >= 0.85
    # unseen phrasing ("track my package", "do you have next day delivery") is measured, and holds
    assert by_name["reasons/contact_reason_unseen/en"]["value"] >= 0.85
    assert by_name["reasons/contact_reason_unseen/all"]["n"] >= 60
    # whole conversations are measured too: the reason of a ticket, not of one request
    assert by_name["reasons/contact_reason_tickets/all"]["n"] >= 144
    # the held-apart set has at least 40 requests per reason
    assert all(row["support"] >= 40 for row in by_name["reasons/contact_reason/all"]["per_class"])


@pytest.mark.slow
def test_eval_reproduces_the_committed_figures() -> None:
    from qa_engine.cli.reasons import evaluate_with
    from tests.affect.conftest import fp32_scorer

    # the committed figures are fp32's (bf16, served where the CPU has it, moves a small language's figure by ~0.01)
    measured = {r.name: r.value for r in evaluate_with(fp32_scorer(), encoder_only=True)}
    off = {f["name"]: (f["value"], round(measured.get(f["name"], -1.0), 4)) for f in FIGURES
           if abs(f["value"] - measured.get(f["name"], -1.0)) > 0.003}  # fmt: skip
    assert not off, off
