"""The support stage (stage two of the embedded affect model) trains on what it may and nothing else: the own rows
of the heads stage's train split, never its tune split (that one picks the offsets afterwards), and a replay drawn
from stage one's training mix, never stage one's tune split."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from qa_engine import paths
from qa_engine.affect.training import datasets
from qa_engine.affect.training.heads import SUPPORT_DIR, HeadConfig, build_sets, is_own
from qa_engine.affect.training.support import SupportConfig, training_mix
from qa_engine.affect.training.train import TrainConfig
from qa_engine.errors import QAError

MODEL = paths.models_dir() / "embedded" / "affect-e5s6-v1"


@pytest.fixture(scope="module")
def root() -> Path:
    try:
        return datasets.data_dir()
    except QAError:
        pytest.skip("the shared data folder is not here: set QA_DATA_DIR to run this")


def test_the_mix_is_the_heads_train_rows_repeated_and_a_replay_of_stage_ones_train_set(root: Path) -> None:
    support = paths.models_dir() / SUPPORT_DIR
    cfg, heads = SupportConfig(), HeadConfig()
    stage_one = TrainConfig(**json.loads((MODEL / "train_config.json").read_text(encoding="utf-8")))
    mix, first_train, first_tune = training_mix(root, support, cfg, stage_one, heads)

    head_train, head_tune = build_sets(root, support, heads)
    own_train = [e for e in head_train if datasets.own_set(e.source) in cfg.own_sets]
    own_tune = {(e.source, e.text) for e in head_tune if is_own(e.source)}
    own_in_mix = [e for e in mix if is_own(e.source)]
    assert own_tune and own_train
    assert len(own_in_mix) == cfg.own_repeat * len(own_train)
    assert not own_tune & {(e.source, e.text) for e in own_in_mix}
    # every language's support turns and reviews are in it
    assert {e.source for e in own_in_mix} == {e.source for e in own_train} >= {"support_fr", "reviews_ja"}
    # the plain reviews came after the committed encoder: only the heads stage reads them
    assert not {e.source for e in own_in_mix if e.source.startswith("plain_reviews_")}
    assert any(e.source == "plain_reviews_de" for e in head_train)

    replay = [e for e in mix if not is_own(e.source)]
    assert len(replay) == cfg.replay
    drawn_from = {id(e) for e in first_train}
    assert all(id(e) in drawn_from for e in replay)
    assert not {id(e) for e in first_tune} & {id(e) for e in replay}


def test_the_last_stages_need_stage_ones_output_and_say_where(qa, tmp_path: Path) -> None:
    code, _, err = qa(
        "models", "train", "affect-support", "--run-dir", str(tmp_path), "--out", str(tmp_path / "m")
    )
    assert code != 0
    assert "Q205" in err and str(tmp_path / "stage-one") in err.replace("\n", "")
