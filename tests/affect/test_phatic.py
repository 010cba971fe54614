from __future__ import annotations

import numpy as np
import pytest

from qa_engine.affect.labels import EMOTIONS, SENTIMENTS
from qa_engine.affect.phatic import PhaticReplies, default_phatic
from qa_engine.affect.scorer import _neutralise_phatic
from qa_engine.errors import QAError


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("nope that's all", "en"),
        ("No, thanks!", "en"),
        ("Nein, das war alles.", "de"),
        ("没有了", "zh"),
        ("いいえ、大丈夫です。", "ja"),
        ("No, eso es todo, gracias", "es"),
        ("Non merci, c'est tout !", "fr"),
    ],
)
def test_closing_replies_are_phatic(text: str, language: str) -> None:
    assert default_phatic().matches(text, language)


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("not good", "en"),
        ("no way!!", "en"),
        ("No, this is not acceptable, I want a refund", "en"),
        ("没有了，我要投诉", "zh"),
        ("Nein, das war alles. Und ich bin sehr enttäuscht.", "de"),
        ("nope that's all", "xx"),  # a language without a list
        ("", "en"),
    ],
)
def test_statements_with_content_are_not_phatic(text: str, language: str) -> None:
    assert not default_phatic().matches(text, language)


def test_only_a_negative_reading_of_a_phatic_reply_is_neutralised() -> None:
    texts = ["nope that's all", "thanks!", "this is terrible"]
    sent = np.array([[0.9, 0.05, 0.05], [0.05, 0.05, 0.9], [0.9, 0.05, 0.05]], dtype=np.float32)
    emo = np.full((3, len(EMOTIONS)), 1 / len(EMOTIONS), dtype=np.float32)
    flags: list[str | None] = [None, None, None]
    _neutralise_phatic(texts, ["en"] * 3, sent, emo, flags)
    assert SENTIMENTS[sent[0].argmax()] == "neutral" and EMOTIONS[emo[0].argmax()] == "neutral"
    assert flags == ["phatic_reply", None, None]
    assert SENTIMENTS[sent[1].argmax()] == "positive"  # a friendly "thanks" keeps its reading
    assert SENTIMENTS[sent[2].argmax()] == "negative"


def test_unquoted_yaml_booleans_are_a_clear_error(tmp_path) -> None:
    file = tmp_path / "phatic.yaml"
    file.write_text("max_chars: 40\nphrases:\n  en: [no, ok]\n", encoding="utf-8")
    with pytest.raises(QAError, match="quote them"):
        PhaticReplies.load(file)
