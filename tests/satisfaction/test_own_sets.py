"""The own check sets (models/satisfaction/eval): well formed, balanced, and the risk carries over to them."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from qa_engine.errors import QAError
from qa_engine.satisfaction.owncheck import LANGUAGES, evaluate_own_sets, load_own_sets


def test_each_language_has_sixteen_chats_half_of_them_dissatisfied() -> None:
    labelled = load_own_sets()
    per = Counter((t["language"], y) for t, y in labelled)
    assert per == {(language, y): 8 for language in LANGUAGES for y in (0, 1)}
    assert all("label" not in t for t, _ in labelled)  # the label never reaches the pipeline
    assert len({t["ticket_id"] for t, _ in labelled}) == len(labelled)
    for ticket, _ in labelled:
        speakers = [turn["speaker"] for turn in ticket["turns"]]
        assert speakers[0] == "customer" and "agent" in speakers, ticket["ticket_id"]


def test_a_line_without_a_valid_label_is_q751_naming_the_line(tmp_path: Path) -> None:
    (tmp_path / "de.jsonl").write_text(
        '{"ticket_id": "x", "language": "de", "label": "happy", "turns": [{"speaker": "customer", "text": "Hallo"}]}\n',
        encoding="utf-8",
    )
    with pytest.raises(QAError) as err:
        load_own_sets(tmp_path, ("de",))
    assert err.value.code == "Q751" and "line 1" in str(err.value) and "de.jsonl" in str(err.value)


@pytest.mark.slow
def test_the_risk_ranks_the_dissatisfied_first_in_every_language() -> None:
    """A guard on transfer (figures in MODEL_CARD.md): at least 0.8 AUC in each of de, ja, es, fr, scored end to
    end with the default pack; no satisfied customer of these sets is red more than once."""
    rows = {(r["name"].rsplit("/", 1)[1], r["metric"]): r for r in evaluate_own_sets()}
    for language in LANGUAGES:
        assert rows[(language, "risk_auc")]["value"] >= 0.8, rows[(language, "risk_auc")]
        assert rows[(language, "risk_auc")]["null_risk"] == 0
    assert rows[("all", "risk_auc")]["tiers"]["satisfied_red"] <= 1
