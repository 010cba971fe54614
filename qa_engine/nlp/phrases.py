"""Find phrases from per-language lists in Docs: spaCy's PhraseMatcher, or substrings where segmenters disagree.

Spaced languages match on tokens (LOWER, or LEMMA too where the pipeline lemmatises and the rule asks for it):
"hi" then never fires inside "this", and "I'm sorry" matches "I’m sorry" because Docs are built from folded text.
Chinese and Japanese cannot match on tokens: jieba and Sudachi cut a phrase differently inside a sentence than
on its own ("安全码" alone is one token, in "安全码：123" it is "安全" + "码"), so there the phrase is found as a
substring of the lower-cased, folded text, whatever the segmenter did.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from spacy.matcher import PhraseMatcher
from spacy.tokens import Doc

from qa_engine.nlp.normalize import base_language, fold, fold_lower
from qa_engine.nlp.pipelines import ensure_lemmas, folded_text, get_nlp, has_lemmas, screened_text
from qa_engine.nlp.screens import Screen, lemma_needles, token_needles

SUBSTRING_LANGUAGES = frozenset({"zh", "ja"})
ALL_LANGUAGES = "*"  # a phrase list under this key applies to every language


@dataclass(frozen=True)
class PhraseMatch:
    """A phrase found in a Doc: character span [start, end) and the list entry that matched."""

    start: int
    end: int
    phrase: str


class LanguageMatcher(Protocol):
    """A finder's matcher for one language."""

    def find(self, doc: Doc) -> list[PhraseMatch]: ...


class PhraseFinder:
    """Finds any of the phrases listed for a Doc's language (plus those under '*').

    Matchers are built lazily, once per language, from the same pipelines that build the Docs.
    """

    def __init__(self, phrases: Mapping[str, Sequence[str]], *, lemma: bool = False) -> None:
        self.phrases = {base_language(k) if k != ALL_LANGUAGES else k: tuple(v) for k, v in phrases.items()}
        self.lemma = lemma
        self._matchers: dict[str, _SubstringMatcher | _TokenMatcher | None] = {}

    def covers(self, language: str) -> bool:
        """Whether there is any phrase to look for in this language."""
        return bool(self._phrases_for(base_language(language)))

    def find(self, doc: Doc, language: str) -> list[PhraseMatch]:
        """All matches in `doc`, sorted by start; overlapping matches are all kept."""
        matcher = self.matcher_for(language)
        return matcher.find(doc) if matcher is not None else []

    def matcher_for(self, language: str) -> LanguageMatcher | None:
        """The language's matcher (its `find(doc)` is `find` for that language), None when it has no phrases:
        for callers that look up once and match many Docs."""
        return self._matcher(base_language(language))

    def wants_lemmas(self, doc: Doc, language: str) -> bool:
        """Whether `find` would tag this Doc for lemmas: a lemma matcher whose screen lets the Doc through.
        Rules that know their turns ahead tag those in one batch (`nlp.pipelines.ensure_lemmas_all`)."""
        matcher = self._matcher(base_language(language))
        return isinstance(matcher, _TokenMatcher) and matcher.wants_lemmas(doc)

    def _matcher(self, code: str) -> _SubstringMatcher | _TokenMatcher | None:
        if code not in self._matchers:
            self._matchers[code] = self._build(code)
        return self._matchers[code]

    def _phrases_for(self, code: str) -> tuple[str, ...]:
        return self.phrases.get(code, ()) + self.phrases.get(ALL_LANGUAGES, ())

    def _build(self, code: str) -> _SubstringMatcher | _TokenMatcher | None:
        phrases = self._phrases_for(code)
        if not phrases:
            return None
        if code in SUBSTRING_LANGUAGES:
            return _SubstringMatcher(phrases)
        return _TokenMatcher(code, phrases, lemma=self.lemma and has_lemmas(code))


class _SubstringMatcher:
    def __init__(self, phrases: Sequence[str]) -> None:
        self._phrase_of = {fold_lower(p): p for p in phrases if p.strip()}

    def find(self, doc: Doc) -> list[PhraseMatch]:
        lowered = folded_text(doc, lower=True)
        found = []
        for key, phrase in self._phrase_of.items():
            start = lowered.find(key)
            while start != -1:
                found.append(PhraseMatch(start, start + len(key), phrase))
                start = lowered.find(key, start + 1)
        return sorted(found, key=lambda m: (m.start, -m.end))


class _TokenMatcher:
    """A LOWER PhraseMatcher, plus a LEMMA one when lemmas are wanted: a match on either counts.

    Each has a screen (`nlp.screens`): most turns hold none of the phrases' words, and a substring test says so
    far more cheaply than the matcher, and, for lemmas, without tagging the turn at all.
    """

    def __init__(self, code: str, phrases: Sequence[str], *, lemma: bool) -> None:
        nlp = get_nlp(code)
        self._lower = PhraseMatcher(nlp.vocab, attr="LOWER")
        self._lemma = PhraseMatcher(nlp.vocab, attr="LEMMA") if lemma else None
        self._phrase_of: dict[int, str] = {}
        lower_needles = []
        for phrase in phrases:
            self._phrase_of[nlp.vocab.strings.add(phrase)] = phrase
            pattern = nlp.make_doc(fold(phrase))
            self._lower.add(phrase, [pattern])
            lower_needles.append([token_needles(token.lower_) for token in pattern])
        self._lower_screen = Screen.build(lower_needles)
        self._lemma_screen: Screen | None = None
        if self._lemma is not None:
            # phrases get the full pipeline so their lemmas come from the same tagger as the Docs'
            lemma_needles_ = []
            for phrase, doc in zip(phrases, nlp.pipe(fold(p) for p in phrases), strict=True):
                self._lemma.add(phrase, [doc])
                lemma_needles_.append([lemma_needles(nlp, token.lemma_) for token in doc])
            self._lemma_screen = Screen.build(lemma_needles_)

    def wants_lemmas(self, doc: Doc) -> bool:
        return self._lemma is not None and _passes(self._lemma_screen, doc)

    def find(self, doc: Doc) -> list[PhraseMatch]:
        hits = set(self._lower(doc)) if _passes(self._lower_screen, doc) else set()
        if self.wants_lemmas(doc):
            hits |= set(self._lemma(ensure_lemmas(doc)))  # tagged now if the Doc was made without lemmas
        if not hits:
            return []
        found = set()
        for key, start, end in hits:
            last = doc[end - 1]  # character offsets from tokens: cheaper than building a Span per hit
            found.add(PhraseMatch(doc[start].idx, last.idx + len(last.text), self._phrase_of[key]))
        return sorted(found, key=lambda m: (m.start, -m.end))


def _passes(screen: Screen | None, doc: Doc) -> bool:
    """No screen, or the Doc's text gets through it."""
    return screen is None or screen.search(folded_text(doc), screened_text(doc))
