"""The affect cache: the same results as the plain scorer, texts seen before never reach the model again, and a
model change misses the cache."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from qa_engine import paths
from qa_engine.affect import AffectScorer
from qa_engine.affect.cache import AffectCache, save
from qa_engine.schema import LANGUAGES
from qa_engine.store import Store

TEXTS = [
    ("T1", "en", "Where is my parcel? I have waited two weeks and I am furious."),
    ("T1", "en", "Hello, this is Mia. I'm sorry for the wait!"),
    ("T1", "en", "No, that's all."),  # phatic: the model's "no" is rewritten to neutral
    ("T1", "en", "   "),  # empty: no model pass
    (
        "T1",
        "en",
        "Where is my parcel?\x07  I have waited two weeks and I am furious.",
    ),  # same text once cleaned
    ("T2", "de", "Vielen Dank, das hat super geklappt!"),
    (
        "T2",
        "de",
        "Where is my parcel? I have waited two weeks and I am furious.",
    ),  # same text, other language
    ("T2", "de", "???"),  # no letters: no model pass
    ("T3", "zh", "我的包裹到哪里了？已经两个星期了。"),
    ("T3", "zh", "我的包裹到哪里了？已经两个星期了。"),
]


@pytest.fixture(scope="module")
def scorer() -> AffectScorer:
    return AffectScorer.from_registry()


def turns_and_languages() -> tuple[pl.DataFrame, pl.DataFrame]:
    turns = pl.DataFrame(
        {
            "ticket_id": [t for t, _, _ in TEXTS],
            "turn_index": list(range(len(TEXTS))),
            "speaker": ["customer"] * len(TEXTS),
            "text": [x for _, _, x in TEXTS],
        }
    )
    languages = pl.DataFrame({"ticket_id": ["T1", "T2", "T3"], "language": ["en", "de", "zh"]})
    return turns, languages


def assert_same_affect(got: pl.DataFrame, got_vectors: np.ndarray, want: pl.DataFrame, want_vectors) -> None:
    for column in ("sentiment", "emotion", "affect_flag"):
        assert got[column].to_list() == want[column].to_list(), column
    np.testing.assert_allclose(
        got["sentiment_score"].to_numpy(), want["sentiment_score"].to_numpy(), atol=1e-5
    )
    np.testing.assert_allclose(
        got["emotion_scores"].struct.unnest().to_numpy(),
        want["emotion_scores"].struct.unnest().to_numpy(),
        atol=1e-5,
    )
    np.testing.assert_allclose(got_vectors, want_vectors, atol=1e-5)


def test_cached_results_equal_the_plain_scorer_on_miss_and_on_hit(
    tmp_path: Path, scorer: AffectScorer, model_calls: list[int]
) -> None:
    turns, languages = turns_and_languages()
    want, want_vectors = scorer.score_turns(turns, languages, with_vectors=True)
    store = Store(tmp_path / "qa.duckdb")
    store.init()
    cache = AffectCache(scorer)
    model_calls.clear()

    first = cache.score_turns(turns, languages, store)
    # distinct (normalised text, language): the furious text in en (twice, once with a control character) and de,
    # the greeting, the phatic reply, the German thanks and the Chinese text (twice): 6; blank and "???" never
    # reach the model
    assert first.counts == {"affect_texts": 6, "affect_cache_hits": 0, "affect_scored": 6}
    # one multilingual model reads the en and de copies of a text once (5 texts); then the Chinese turn, read
    # neutral as a whole, sentence by sentence (2 more)
    assert sum(model_calls) == 5 + 2
    assert first.fresh.height == 6
    assert first.turns["affect_flag"].to_list()[3:5] == ["empty_text", "cleaned_invalid_characters"]
    assert_same_affect(first.turns, first.vectors, want, want_vectors)

    save(store, first.fresh)
    save(store, first.fresh)  # a second writer with the same rows: ignored, not an error
    assert store.query("SELECT count(*) AS n FROM affect_cache")["n"][0] == 6
    model_calls.clear()
    second = cache.score_turns(turns, languages, store)
    assert second.counts == {"affect_texts": 6, "affect_cache_hits": 6, "affect_scored": 0}
    assert model_calls == []
    assert second.fresh.height == 0
    assert_same_affect(second.turns, second.vectors, want, want_vectors)


def test_a_model_change_misses_the_cache(
    tmp_path: Path, scorer: AffectScorer, tiny_hf_model: Path, model_calls: list[int]
) -> None:
    turns, languages = turns_and_languages()
    store = Store(tmp_path / "qa.duckdb")
    store.init()
    save(store, AffectCache(scorer).score_turns(turns, languages, store).fresh)
    other = AffectScorer.from_registry(overrides={"sentiment": str(tiny_hf_model)})
    changed = AffectCache(other)
    assert changed.model_key("en") != AffectCache(scorer).model_key("en")
    model_calls.clear()
    result = changed.score_turns(turns, languages, store)
    assert result.counts["affect_cache_hits"] == 0 and result.counts["affect_scored"] == 6
    assert sum(model_calls) >= 6  # the tiny sentiment model and the embedded emotion model both ran
    want = other.score_turns(turns, languages)
    assert result.turns["sentiment"].to_list() == want["sentiment"].to_list()


def test_a_store_without_the_cache_table_scores_everything(tmp_path: Path, scorer: AffectScorer) -> None:
    """A store created before the cache existed (or none at all) is read as an empty cache, not an error."""
    turns, languages = turns_and_languages()
    missing = Store(tmp_path / "none.duckdb")
    assert AffectCache(scorer).score_turns(turns, languages, missing).counts["affect_scored"] == 6
    assert not missing.path.exists()  # looking up never creates a store


def test_the_fingerprint_moves_with_what_the_model_names_do_not_say(
    tmp_path: Path, scorer: AffectScorer
) -> None:
    """A second head for one more language changes the scores but not the model's name: the fingerprint the scoring
    runner compares before skipping an unchanged ticket must move."""
    folder = tmp_path / "embedded" / "affect-e5s6-v1"
    shutil.copytree(paths.models_dir() / "embedded" / "affect-e5s6-v1", folder)
    config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
    config["sentiment_head_languages"] = [x for x in config["sentiment_head_languages"] if x != "de"]
    (folder / "config.json").write_text(json.dumps(config), encoding="utf-8")
    registry = tmp_path / "registry.yaml"
    registry.write_text((paths.models_dir() / "registry.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    edited = AffectScorer.from_registry(registry)
    assert edited.versions(LANGUAGES) == scorer.versions(LANGUAGES)  # the names alone cannot tell
    assert AffectCache(edited).fingerprint(LANGUAGES) != AffectCache(scorer).fingerprint(LANGUAGES)
    assert AffectCache(scorer).fingerprint(LANGUAGES) == AffectCache(scorer).fingerprint(
        list(reversed(LANGUAGES))
    )


def test_a_text_read_by_sentence_is_cached_apart_from_the_same_words_read_whole(
    tmp_path: Path, scorer: AffectScorer
) -> None:
    """A customer's turn is read sentence by sentence too, an agent's is not: the same words are two cache rows."""
    text = (
        "Hallo, ich habe am 2. Mai Turnschuhe bestellt (Bestellung 80031177). Langsam reicht es mir wirklich."
    )
    turns = pl.DataFrame(
        {
            "ticket_id": ["T1", "T1"],
            "turn_index": [0, 1],
            "speaker": ["customer", "agent"],
            "text": [text, text],
        }
    )
    languages = pl.DataFrame({"ticket_id": ["T1"], "language": ["de"]})
    store = Store(tmp_path / "qa.duckdb")
    store.init()
    first = AffectCache(scorer).score_turns(turns, languages, store)
    assert first.counts == {"affect_texts": 2, "affect_cache_hits": 0, "affect_scored": 2}
    save(store, first.fresh)
    second = AffectCache(scorer).score_turns(turns, languages, store)
    assert second.counts == {"affect_texts": 2, "affect_cache_hits": 2, "affect_scored": 0}
    want = scorer.score_turns(turns.join(languages, on="ticket_id"))
    for got in (first.turns, second.turns):
        assert got["affect_flag"].to_list() == want["affect_flag"].to_list() == ["negative_sentence", None]
        assert got["sentiment"].to_list() == want["sentiment"].to_list()


def test_a_closing_thumbs_up_keeps_its_reading_and_flag_through_the_cache(
    tmp_path: Path, scorer: AffectScorer
) -> None:
    turns = pl.DataFrame({"ticket_id": ["E"] * 2, "turn_index": [0, 1], "speaker": ["customer"] * 2,
                          "text": ["Where is my order?", "👍"]})  # fmt: skip
    languages = pl.DataFrame({"ticket_id": ["E"], "language": ["en"]})
    want, want_vectors = scorer.score_turns(turns, languages, with_vectors=True)
    assert want["affect_flag"].to_list()[1] == "positive_emoji"
    store = Store(tmp_path / "qa.duckdb")
    store.init()
    cache = AffectCache(scorer)
    first = cache.score_turns(turns, languages, store)
    assert_same_affect(first.turns, first.vectors, want, want_vectors)
    save(store, first.fresh)
    second = cache.score_turns(turns, languages, store)
    assert second.counts["affect_cache_hits"] == 2
    assert_same_affect(second.turns, second.vectors, want, want_vectors)
