"""The embedded default through the same path the pipeline uses: offline, every bad input defined."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from qa_engine.affect import AffectScorer
from qa_engine.affect.labels import EMOTIONS, SENTIMENTS

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def scorer() -> AffectScorer:
    return AffectScorer.from_registry()


BAD_INPUTS = {
    "empty": "",
    "whitespace": "  \t\n ",
    "emoji": "😡",
    "huge": "The parcel is late again and nobody answers my emails. " * 1900,  # ~100 KB
    "mixed_scripts": "Mein Paket 包裹 はまだ届かない, where is it?",
    "control": "Where\x00 is\x07 my\x1b order?",
    "surrogate": "broken \ud83d text",
}


def test_every_bad_input_gets_a_defined_result(scorer: AffectScorer) -> None:
    texts = list(BAD_INPUTS.values())
    res = scorer.score_texts(texts, ["en"] * len(texts))
    assert res.sentiment.shape == (len(texts), len(SENTIMENTS))
    assert res.emotion.shape == (len(texts), len(EMOTIONS))
    assert np.isfinite(res.sentiment).all() and np.isfinite(res.emotion).all()
    np.testing.assert_allclose(res.sentiment.sum(1), 1.0, rtol=1e-4)
    flags = dict(zip(BAD_INPUTS, res.flags, strict=True))
    assert flags["empty"] == flags["whitespace"] == "empty_text"
    assert flags["control"] == flags["surrogate"] == "cleaned_invalid_characters"
    assert flags["emoji"] is None and flags["mixed_scripts"] is None
    # no content: neutral with uniform (low-confidence) scores
    np.testing.assert_allclose(res.sentiment[0], 1 / 3, rtol=1e-5)


def test_huge_text_is_scored_by_sentences_and_reads_negative(scorer: AffectScorer) -> None:
    res = scorer.score_texts([BAD_INPUTS["huge"]], ["en"])
    assert res.sentiment_score[0] < 0


def test_the_same_text_gets_the_same_scores_in_any_batch(scorer: AffectScorer) -> None:
    alone = scorer.score_texts(["Thank you so much, that was quick!"], ["en"])
    mixed = scorer.score_texts(
        ["Where is my refund?", "Thank you so much, that was quick!", "x" * 300], ["en", "en", "en"]
    )
    np.testing.assert_allclose(alone.sentiment[0], mixed.sentiment[1], atol=2e-3)


@pytest.mark.parametrize(
    ("text", "language", "sentiment"),
    [
        ("Thank you so much, you solved it in minutes. Great service!", "en", "positive"),
        ("This is the third time I write. Terrible service, I am furious.", "en", "negative"),
        ("非常感谢，问题解决了，服务很好！", "zh", "positive"),
        ("太差了，等了两个星期还没到，我很生气。", "zh", "negative"),
        ("Vielen Dank, das ging schnell und hat super geklappt!", "de", "positive"),
        ("Das ist eine Frechheit, mein Paket ist immer noch nicht da.", "de", "negative"),
        ("¡Muchas gracias, todo perfecto!", "es", "positive"),
        ("Es inaceptable, llevo tres semanas esperando mi reembolso.", "es", "negative"),
        ("Merci beaucoup, c'est parfait !", "fr", "positive"),
        ("C'est scandaleux, personne ne répond à mes messages.", "fr", "negative"),
        ("ありがとうございます、とても助かりました！", "ja", "positive"),
        ("まだ届きません。本当にひどい対応です。", "ja", "negative"),
    ],
)
def test_clear_support_sentences_in_six_languages(
    scorer: AffectScorer, text: str, language: str, sentiment: str
) -> None:
    turns = pl.DataFrame({"ticket_id": ["t"], "turn_index": [0], "text": [text], "language": [language]})
    out = scorer.score_turns(turns)
    assert out["sentiment"][0] == sentiment
    score = out["sentiment_score"][0]
    assert (score > 0.2) if sentiment == "positive" else (score < -0.2)


def test_score_turns_adds_the_contract_columns(scorer: AffectScorer) -> None:
    turns = pl.DataFrame({"ticket_id": ["t", "t"], "turn_index": [0, 1], "text": ["I am so angry!", ""]})
    out = scorer.score_turns(turns, pl.DataFrame({"ticket_id": ["t"], "language": ["en"]}))
    assert set(out["sentiment"]) <= set(SENTIMENTS)
    assert set(out["emotion"]) <= set(EMOTIONS)
    assert out["emotion_scores"].struct.fields == list(EMOTIONS)
    assert out["sentiment_score"].is_between(-1, 1).all()
    assert out.row(1, named=True)["emotion"] == "neutral"
