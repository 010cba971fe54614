from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from qa_engine.affect.registry import load_registry, parse_overrides
from qa_engine.affect.scorer import AffectScorer
from qa_engine.errors import QAError


def write_registry(tmp_path: Path, body: str) -> Path:
    file = tmp_path / "registry.yaml"
    file.write_text(body, encoding="utf-8")
    return file


def test_default_registry_routes_both_tasks_to_the_embedded_model() -> None:
    reg = load_registry()
    for task in ("sentiment", "emotion"):
        for lang in ("en", "zh", "ja", None):
            spec = reg.resolve(task, lang)
            assert spec.kind == "embedded"
            assert Path(spec.path).is_absolute() and Path(spec.path).is_dir()


def test_overrides_per_task_and_language() -> None:
    reg = load_registry(overrides=parse_overrides(["sentiment:ja=some/model", "emotion=other/model"]))
    assert reg.resolve("sentiment", "ja").id == "some/model"
    assert reg.resolve("sentiment", "en").kind == "embedded"
    assert reg.resolve("emotion", "en").id == "other/model"


@pytest.mark.parametrize("item", ["sentiment", "mood=x", "=x", "sentiment="])
def test_malformed_override_is_a_one_line_error(item: str) -> None:
    with pytest.raises(QAError, match="Q204"):
        parse_overrides([item])


def test_registry_with_unknown_model_name_fails_naming_the_file(tmp_path: Path) -> None:
    file = write_registry(tmp_path, "models: {}\ntasks:\n  sentiment: {default: nope}\n")
    with pytest.raises(QAError, match=r"registry.yaml.*unknown model 'nope'"):
        load_registry(file)


def test_registry_with_bad_field_fails_naming_it(tmp_path: Path) -> None:
    file = write_registry(tmp_path, "models:\n  m: {kind: magic}\ntasks: {}\n")
    with pytest.raises(QAError, match=r"models\.m\.kind"):
        load_registry(file)


def test_hugging_face_folder_serves_through_the_real_loading_path(
    tmp_path: Path, tiny_hf_model: Path
) -> None:
    body = f"""
models:
  tiny:
    kind: huggingface
    id: {tiny_hf_model}
    label_map: {{NEG: negative, NEU: neutral, POS: positive}}
tasks:
  sentiment: {{default: tiny}}
  emotion: {{default: tiny}}
"""
    scorer = AffectScorer.from_registry(write_registry(tmp_path, body))
    res = scorer.score_texts(["where is my parcel?", "great thanks!", ""], ["en", "en", "en"])
    assert res.sentiment.shape == (3, 3)
    np.testing.assert_allclose(res.sentiment.sum(1), 1.0, rtol=1e-5)
    # a sentiment-only model gives no emotion: the emotion stays uniform (neutral, low confidence)
    np.testing.assert_allclose(res.emotion, 1 / 7, rtol=1e-5)
    assert res.flags[2] == "empty_text"
    assert scorer.versions(["en"])["sentiment"] == str(tiny_hf_model)


def test_hugging_face_label_without_mapping_is_a_clear_error(tmp_path: Path, tiny_hf_model: Path) -> None:
    body = f"""
models:
  tiny: {{kind: huggingface, id: {tiny_hf_model}, label_map: {{NEG: negative}}}}
tasks:
  sentiment: {{default: tiny}}
  emotion: {{default: tiny}}
"""
    scorer = AffectScorer.from_registry(write_registry(tmp_path, body))
    with pytest.raises(QAError, match=r"Q203.*label 'NEU'"):
        scorer.score_texts(["x"], ["en"])


def test_missing_hub_model_offline_fails_with_one_line_saying_where_to_put_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    scorer = AffectScorer.from_registry(overrides={"sentiment": "no-such-org/no-such-model-qa"})
    with pytest.raises(QAError) as err:
        scorer.score_texts(["hello"], ["en"])
    message = str(err.value)
    assert "Q202" in message and "no-such-org/no-such-model-qa" in message
    assert "\n" not in message
