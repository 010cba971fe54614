"""Conversation features and the fitted satisfaction model's files (fast: no encoder runs)."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from qa_engine import paths
from qa_engine.affect.labels import EMOTIONS
from qa_engine.errors import QAError
from qa_engine.satisfaction.features import HAND_FEATURES, VECTOR_BLOCKS, conversations
from qa_engine.satisfaction.model import SatisfactionModel, default_model_dir

HIDDEN = 8


def _turns(rows: list[tuple[str, int, str, float, str | None]]) -> pl.DataFrame:
    """(ticket_id, turn_index, speaker, sentiment_score, affect_flag) rows with uniform emotions."""
    return pl.DataFrame(
        {
            "ticket_id": [r[0] for r in rows],
            "turn_index": [r[1] for r in rows],
            "speaker": [r[2] for r in rows],
            "text": [f"turn {r[1]}" for r in rows],
            "sentiment_score": [r[3] for r in rows],
            "emotion_scores": [dict.fromkeys(EMOTIONS, 1 / 7) for _ in rows],
            "affect_flag": [r[4] for r in rows],
        }
    )


def _vectors(n: int) -> np.ndarray:
    return np.random.default_rng(0).normal(size=(n, HIDDEN)).astype(np.float32)


def test_an_agent_only_ticket_has_nothing_to_judge_and_phatic_turns_do_not_count() -> None:
    turns = _turns(
        [
            ("a", 0, "agent", 0.2, None),
            ("b", 0, "customer", 0.0, "phatic_reply"),
            ("b", 1, "agent", 0.3, None),
        ]
    )
    found = conversations(pl.DataFrame({"ticket_id": ["a", "b"]}), turns, _vectors(3))
    assert [c.judgeable for c in found] == [False, False]
    assert found[0].row() is None


def test_the_row_follows_the_trajectory_and_who_writes_last() -> None:
    turns = _turns(
        [("t", 0, "customer", -0.8, None), ("t", 1, "agent", 0.5, None), ("t", 2, "customer", 0.6, None)]
    )
    tickets = pl.DataFrame(
        {"ticket_id": ["t"], "escalation_risk": [0.4], "customer_resolved": [True],
         "escalation_signals": [["repeat_contact"]]}
    )  # fmt: skip
    (conv,) = conversations(tickets, turns, _vectors(3))
    row = conv.row()
    assert row.shape == (len(HAND_FEATURES) + len(VECTOR_BLOCKS) * HIDDEN,)
    named = dict(zip(HAND_FEATURES, row, strict=False))
    assert named["customer_sentiment_first"] == pytest.approx(-0.8)
    assert named["customer_sentiment_last"] == pytest.approx(0.6)
    assert named["customer_sentiment_change"] == pytest.approx(1.4)
    assert named["customer_writes_last"] == 1.0
    assert named["escalation_risk"] == pytest.approx(0.4)
    assert named["customer_resolved"] == 1.0 and named["repeat_contact"] == 1.0
    without = conv.rows_without_each()
    assert not np.isnan(without[0]).any() and not np.isnan(without[2]).any()
    assert dict(zip(HAND_FEATURES, without[2], strict=False))["customer_writes_last"] == 0.0


def test_without_the_only_customer_turn_the_row_is_nan() -> None:
    turns = _turns([("t", 0, "customer", -0.5, None), ("t", 1, "agent", 0.1, None)])
    (conv,) = conversations(pl.DataFrame({"ticket_id": ["t"]}), turns, _vectors(2))
    without = conv.rows_without_each()
    assert np.isnan(without[0]).all() and not np.isnan(without[1]).any()


def _model(width: int, seed: int = 1) -> SatisfactionModel:
    rng = np.random.default_rng(seed)
    return SatisfactionModel(
        rng.normal(size=width).astype(np.float32),
        -0.3,
        np.zeros(width, np.float32),
        np.ones(width, np.float32),
        {"prior_logit": -0.8},
    )


def test_save_and_load_round_trip_and_the_version_follows_the_weights(tmp_path: Path) -> None:
    width = len(HAND_FEATURES) + len(VECTOR_BLOCKS) * HIDDEN
    model = _model(width)
    model.save(tmp_path)
    back = SatisfactionModel.load(tmp_path)
    assert back.version == model.version and back.hidden == HIDDEN
    rows = np.random.default_rng(2).normal(size=(4, width)).astype(np.float32)
    assert np.allclose(back.predict_rows(rows), model.predict_rows(rows), atol=1e-6)
    assert _model(width, seed=3).version != model.version


def test_evidence_names_the_turn_that_raised_the_risk() -> None:
    turns = _turns(
        [("t", 0, "customer", 0.0, None), ("t", 1, "agent", 0.0, None), ("t", 2, "customer", -0.9, None)]
    )
    (conv,) = conversations(pl.DataFrame({"ticket_id": ["t"]}), turns, _vectors(3))
    width = len(HAND_FEATURES) + len(VECTOR_BLOCKS) * HIDDEN
    coef = np.zeros(width, np.float32)
    coef[
        HAND_FEATURES.index("customer_sentiment_min")
    ] = -3.0  # the lower the worst turn, the higher the risk
    model = SatisfactionModel(coef, 0.0, np.zeros(width, np.float32), np.ones(width, np.float32), {})
    risk, evidence = model.predict(conv)
    assert risk == pytest.approx(1 / (1 + np.exp(-2.7)), abs=1e-4)
    assert evidence and evidence[0].turn_index == 2 and evidence[0].raise_ > 0.2
    assert all(e.turn_index != 1 for e in evidence)  # the agent's neutral turn moved nothing


def test_a_missing_or_foreign_model_is_q752(tmp_path: Path) -> None:
    with pytest.raises(QAError, match=r"\[Q752\]"):
        SatisfactionModel.load(tmp_path / "nowhere")
    shutil.copytree(default_model_dir(), tmp_path / "m")
    meta = tmp_path / "m" / "model.json"
    meta.write_text(
        meta.read_text(encoding="utf-8").replace('"escalation_risk"', '"something_else"'), "utf-8"
    )
    with pytest.raises(QAError, match=r"\[Q752\].*other features"):
        SatisfactionModel.load(tmp_path / "m")


def test_the_committed_model_was_fitted_on_the_embedded_encoder_in_use() -> None:
    """Otherwise the pipeline would give every ticket a null risk (SatisfactionStage.load)."""
    from qa_engine.affect import AffectScorer
    from qa_engine.reasons.classifier import encoder_fingerprint

    model = SatisfactionModel.load()
    assert model.meta["encoder"] == encoder_fingerprint(AffectScorer.from_registry().vector_spec())
    assert model.hidden == 384 and model.meta["sources"]["stc3_train"] > 2000


def test_the_committed_model_was_fitted_with_the_committed_escalation_classifier() -> None:
    """The escalation risk is one of its features: a refit of the reasons classifier or of the signal file without a
    refit here leaves a model that `qa models train satisfaction` no longer reproduces (it happened once)."""
    from qa_engine.pack import load_pack
    from qa_engine.reasons import Signals
    from qa_engine.reasons.classifier import ReasonModel

    signals = Signals.of(load_pack(paths.rules_dir()))
    assert (
        SatisfactionModel.load().meta["reasons"] == f"{ReasonModel.load().version}+signals:{signals.sha}"
    ), "run `qa models train satisfaction` and commit models/satisfaction/"


def test_the_stage_gives_null_with_why_when_the_vectors_do_not_fit_the_model() -> None:
    import json

    from qa_engine.satisfaction.stage import NOTHING_TO_JUDGE, SatisfactionStage

    turns = _turns(
        [("t", 0, "customer", -0.5, None), ("t", 1, "agent", 0.1, None), ("a", 0, "agent", 0.0, None)]
    )
    tickets = pl.DataFrame({"ticket_id": ["t", "a"]})
    stage = SatisfactionStage(_model(len(HAND_FEATURES) + len(VECTOR_BLOCKS) * HIDDEN))
    fits = stage.run(tickets, turns, _vectors(3))
    assert fits["dissatisfaction_risk"][0] is not None and fits["dissatisfaction_risk"][1] is None
    assert json.loads(fits["dissatisfaction_evidence"][1])[0]["note"] == NOTHING_TO_JUDGE
    narrow = stage.run(tickets, turns, np.zeros((3, 0), dtype=np.float32))
    assert narrow["dissatisfaction_risk"].null_count() == 2
    assert "0-d turn vectors" in json.loads(narrow["dissatisfaction_evidence"][0])[0]["note"]
