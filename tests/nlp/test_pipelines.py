import polars as pl
import pytest

from qa_engine.nlp.pipelines import ensure_lemmas, ensure_lemmas_all, get_nlp, has_lemmas, make_docs


def test_pipelines_are_cached_per_base_language() -> None:
    assert get_nlp("zh") is get_nlp("zh-CN")
    assert get_nlp("en") is get_nlp("EN")


@pytest.mark.parametrize(
    ("language", "text", "tokens"),
    [
        ("zh", "您好我是小李", ["您好", "我", "是", "小", "李"]),  # jieba words, not single characters
        ("ja", "担当の佐藤です", ["担当", "の", "佐藤", "です"]),  # Sudachi
        ("de", "Es tut mir leid.", ["Es", "tut", "mir", "leid", "."]),
    ],
)
def test_segmenters(language: str, text: str, tokens: list[str]) -> None:
    assert [t.text for t in get_nlp(language)(text)] == tokens


def test_english_keeps_lemmas_and_drops_parser_and_ner() -> None:
    nlp = get_nlp("en")
    assert {"tagger", "lemmatizer", "sentencizer"} <= set(nlp.pipe_names)
    assert not {"parser", "ner"} & set(nlp.pipe_names)
    assert has_lemmas("en") and not has_lemmas("de")


@pytest.mark.parametrize("language", ["ko", "tlh", None, ""])
def test_unsupported_or_unknown_languages_fall_back_to_multilingual(language: str | None) -> None:
    assert get_nlp(language).lang == "xx"


@pytest.mark.parametrize("language", ["en", "zh", "de", "ja", "es", "fr", "it", "xx"])
def test_every_pipeline_splits_sentences(language: str) -> None:
    doc = get_nlp(language)("Hello there. 你好。Wie geht's?")
    assert len(list(doc.sents)) >= 2


def test_make_docs_keeps_row_order_across_languages() -> None:
    tickets = pl.DataFrame({"ticket_id": ["e", "z", "j", "u"], "language": ["en", "zh-CN", "ja", None]})
    turns = pl.DataFrame(
        {
            "ticket_id": ["z", "e", "j", "e", "u", "orphan"],
            "text": ["您好，我是小李。", "I verified it.", "こんにちは。", None, "Ciao!", "hi"],
        }
    )
    docs = make_docs(tickets, turns)
    assert [d.text for d in docs] == ["您好,我是小李。", "I verified it.", "こんにちは。", "", "Ciao!", "hi"]
    assert [d.lang_ for d in docs] == ["zh", "en", "ja", "en", "xx", "xx"]


def test_make_docs_folds_text_without_moving_characters() -> None:
    text = "I’m sorry, 安全码：１２３"
    doc = make_docs(
        pl.DataFrame({"ticket_id": ["t"], "language": ["en"]}),
        pl.DataFrame({"ticket_id": ["t"], "text": [text]}),
    )[0]
    assert len(doc.text) == len(text)
    assert doc.text == "I'm sorry, 安全码:123"


def test_lemmas_only_where_asked() -> None:
    tickets = pl.DataFrame({"ticket_id": ["t"], "language": ["en"]})
    turns = pl.DataFrame({"ticket_id": ["t"], "text": ["I verified your identity"]})
    with_lemmas = make_docs(tickets, turns, lemma_languages={"en"})[0]
    without = make_docs(tickets, turns)[0]
    assert [t.lemma_ for t in with_lemmas][:2] == ["I", "verify"]
    assert not without.has_annotation("LEMMA")


LEMMA_TEXTS = [
    "I verified your identity and have updated the address.",
    "Your identity is verified, so I've issued the refund.",
    "We were checking the e-mail addresses on file yesterday.",
    "",
]


def test_lemmas_on_demand_are_the_eager_lemmas() -> None:
    """Docs are made without the tagger; `ensure_lemmas` adds exactly what the full pipeline gives, once."""
    tickets = pl.DataFrame({"ticket_id": ["t"], "language": ["en"]})
    turns = pl.DataFrame({"ticket_id": ["t"] * len(LEMMA_TEXTS), "text": LEMMA_TEXTS})
    eager = make_docs(tickets, turns, lemma_languages={"en"})
    lazy = make_docs(tickets, turns)
    assert not any(doc.has_annotation("LEMMA") for doc in lazy if len(doc))  # an empty Doc has them all
    for want, doc in zip(eager, lazy, strict=True):
        assert ensure_lemmas(doc) is doc
        assert [t.lemma_ for t in doc] == [t.lemma_ for t in want]
        assert [t.tag_ for t in doc] == [t.tag_ for t in want]
        assert [s.text for s in doc.sents] == [s.text for s in want.sents]


def test_lemmas_for_many_docs_at_once_are_the_eager_lemmas() -> None:
    tickets = pl.DataFrame({"ticket_id": ["t"], "language": ["en"]})
    turns = pl.DataFrame({"ticket_id": ["t"] * len(LEMMA_TEXTS), "text": LEMMA_TEXTS})
    eager = make_docs(tickets, turns, lemma_languages={"en"})
    lazy = make_docs(tickets, turns)
    ensure_lemmas_all(lazy[:2])
    assert [[t.lemma_ for t in d] for d in lazy[:2]] == [[t.lemma_ for t in d] for d in eager[:2]]
    assert not lazy[2].has_annotation("LEMMA")  # only the Docs asked for


def test_a_lemma_rule_tags_only_the_turns_it_reads() -> None:
    from qa_engine.nlp.phrases import PhraseFinder

    tickets = pl.DataFrame({"ticket_id": ["t"], "language": ["en"]})
    turns = pl.DataFrame({"ticket_id": ["t", "t"], "text": ["I verified your identity.", "Thanks!"]})
    read, unread = make_docs(tickets, turns)
    found = PhraseFinder({"en": ["verify your identity"]}, lemma=True).find(read, "en")
    assert [read.text[m.start : m.end] for m in found] == ["verified your identity"]
    assert read.has_annotation("LEMMA") and not unread.has_annotation("LEMMA")
