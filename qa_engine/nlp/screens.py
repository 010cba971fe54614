"""Screens: a cheap test that is False only when a text cannot hold a match, so a costly matcher can skip it.

A screen is a set of literal needles with a promise: whenever the matcher it stands for finds something in a
text, one of the needles occurs in that text, ignoring case. RE2 and code-search engines prefilter regular
expressions the same way. Most turns hold none of a rule's words, so most (rule, turn) pairs end in one substring
test instead of a PhraseMatcher call or a regex with lookarounds. The needles come from

- a regular expression: sets of literal strings, every match holding one of each set (`regex_needles`),
- a phrase matched on lower-case tokens: each of its tokens (`token_needles`),
- a phrase matched on lemmas: for each token, every surface form the English rule lemmatizer turns into the
  token's lemma (`lemma_needles`).

A matcher without needles (a pattern of only character classes, an unknown lemmatizer) gets no screen and always
runs: a screen may let too much through, never too little. The tests check that on every bundled text.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from spacy.language import Language

try:  # the regex parser is private; without it patterns simply get no screen
    from re import _parser as _regex_parser
except ImportError:  # pragma: no cover - Python < 3.11
    _regex_parser = None

_MAX_SET = 64  # exact string sets larger than this are cut (the needles stay valid, only less selective)
_MAX_SETS = 4  # needle sets kept per pattern: more add tests, rarely selectivity
# IGNORECASE matches these to an ASCII letter that their lower case is not ("ı" to "i", "ſ" to "s"): the text a
# screen reads has them as that letter, so that a substring test finds whatever the regex would
_ODD = str.maketrans({"\u0130": "i", "\u0131": "i", "\u017f": "s", "\u212a": "k"})
_HAS_ODD = re.compile("[\u0130\u0131\u017f\u212a]")  # str.translate is slow: only for texts that need it


def screen_text(text: str) -> str:
    """The form of a text that screens read: lower case, with the few odd letters above made ASCII. Not one
    character for one ("İ"), which a screen does not need: it only asks whether a needle is there."""
    if not text.isascii() and _HAS_ODD.search(text):
        text = text.translate(_ODD)
    return text.lower()


def _safe(char: str) -> bool:
    """Characters whose IGNORECASE matches are exactly the characters with the same lower case: ASCII,
    uncased characters (CJK, digits, punctuation) and the accented Latin-1 letters (not the micro sign). The
    combining dot that "İ".lower() leaves is not: `screen_text` reads "İ" as a plain "i"."""
    if char == "\u0307":
        return False
    return (
        char.isascii() or char.lower() == char.upper() or ("\u00c0" <= char <= "\u00ff" and char != "\u00b5")
    )


class LiteralScreen:
    """Whether a text holds one of the needles, ignoring case."""

    def __init__(self, needles: Iterable[str]) -> None:
        lowered = sorted({screen_text(n) for n in needles if n}, key=len)  # read as the texts are
        # a needle that holds a shorter one adds nothing: the shorter one is there whenever it is
        kept = [n for i, n in enumerate(lowered) if not any(m in n for m in lowered[:i])]
        self.needles = tuple(kept)
        if not self.needles:
            raise ValueError("a screen needs at least one non-empty needle")
        self._regex = re.compile("|".join(map(re.escape, self.needles)), re.IGNORECASE)
        self._plain = all(_safe(c) for n in self.needles for c in n)

    def search(self, text: str, screened: str | None = None) -> bool:
        """`screened`, when given, is `screen_text(text)`, computed once for all the screens of a text."""
        if not self._plain:
            return self._regex.search(text) is not None
        screened = screen_text(text) if screened is None else screened
        for needle in self.needles:  # noqa: SIM110  # a loop: a generator costs more than the tests
            if needle in screened:
                return True
        return False


class Screen:
    """Screens a matcher made of alternatives (a list's phrases, a group's patterns) that each need several
    things: a text gets through when, for some alternative, each of its needle sets has a needle in the text
    ("in " and one of "hours", "days"... for one pattern; every token of a phrase). A first screen of each
    alternative's most selective set turns most texts away before the per-set tests."""

    def __init__(self, alternatives: Sequence[Sequence[set[str]]]) -> None:
        self._first = LiteralScreen(n for sets in alternatives for n in max(sets, key=_selectivity))
        self._alternatives = [[LiteralScreen(needles) for needles in sets] for sets in alternatives]

    @classmethod
    def build(cls, alternatives: Iterable[Sequence[set[str] | None] | None]) -> Screen | None:
        """From each alternative's needle sets (a None set: nothing known of that part); None when some
        alternative has no set at all, because then nothing can be promised about the whole."""
        known = []
        for sets in alternatives:
            usable = [needles for needles in sets or () if needles]
            if not usable:
                return None
            known.append(usable)
        return cls(known) if known else None

    def search(self, text: str, screened: str | None = None) -> bool:
        screened = screen_text(text) if screened is None else screened
        if not self._first.search(text, screened):
            return False
        for sets in self._alternatives:  # loops, not generators: this runs for every rule, group and turn
            for part in sets:
                if not part.search(text, screened):
                    break
            else:
                return True
        return False


def _selectivity(needles: Iterable[str]) -> int:
    """How rarely a needle set lets a text through, roughly: the length of its shortest needle."""
    return min(map(len, needles))


def token_needles(token_lower: str) -> set[str] | None:
    """A token matched on LOWER: its lower case is in any text it matches; cut to its longest run of `_safe`
    characters, so that the substring test stays exact. None when nothing is left."""
    run = _longest_safe_run(token_lower)
    return {run} if run else None


def _longest_safe_run(text: str) -> str:
    runs = [""]
    for char in text:
        if _safe(char):
            runs[-1] += char
        else:
            runs.append("")
    return max(runs, key=len)


def regex_needles(pattern: str, flags: int = 0) -> list[set[str]] | None:
    """Sets of literal strings such that every match of `pattern` contains a string of each set (the most
    selective first, at most `_MAX_SETS`); None when there are none to find."""
    if _regex_parser is None:
        return None
    try:
        parsed = _regex_parser.parse(pattern, flags)
    except Exception:  # a bad pattern is reported where it is compiled, not here
        return None
    found, _ = _scan(list(parsed))
    ranked = sorted(set(found), key=lambda s: (_selectivity(s), -len(s)), reverse=True)
    return [set(s) for s in ranked[:_MAX_SETS]] or None


def _best(sets: list[frozenset[str]]) -> frozenset[str]:
    """The most selective set: longest shortest needle, then fewest needles."""
    return max(sets, key=lambda s: (_selectivity(s), -len(s)))


def _scan(items: list) -> tuple[list[frozenset[str]], frozenset[str] | None]:
    """(required sets: each holds a string that every match contains; the exact set of strings the sequence
    matches when it is small and literal, else None)."""
    required: list[frozenset[str]] = []
    current: frozenset[str] | None = frozenset({""})  # what the literal stretch since the last break can be
    broken = False

    def flush() -> None:
        if current and "" not in current:
            required.append(current)

    for op, av in items:
        exact, inner = _node(op, av)
        required.extend(inner)
        if exact is not None and len(current) * len(exact) <= _MAX_SET:
            current = frozenset(a + b for a in current for b in exact)
            continue
        flush()
        if exact is not None:  # too many combinations: start a new stretch with this node
            current = exact
        else:
            current, broken = frozenset({""}), True
    flush()
    return required, (None if broken else current)


def _node(op, av) -> tuple[frozenset[str] | None, list[frozenset[str]]]:
    """(the exact strings the node matches, or None; required sets found inside it)."""
    name = str(op)
    if name == "LITERAL":
        return frozenset({chr(av)}), []
    if name in ("AT", "ASSERT", "ASSERT_NOT"):
        return frozenset({""}), []  # zero-width: what matches around it is still contiguous text
    if name == "IN" and all(str(kind) == "LITERAL" for kind, _ in av):  # [?] or (?:吗|嗎), made a class
        return frozenset(chr(code) for _, code in av), []
    if name == "SUBPATTERN":
        required, exact = _scan(list(av[-1]))
        return exact, required
    if name == "BRANCH":
        scans = [_scan(list(alternative)) for alternative in av[1]]
        if all(exact is not None for _, exact in scans):
            exact = frozenset().union(*(e for _, e in scans))
            return (exact if len(exact) <= _MAX_SET else None), ([] if "" in exact else [exact])
        bests = [_best(req + ([e] if e and "" not in e else [])) if (req or e) else None for req, e in scans]
        usable = all(b is not None and "" not in b for b in bests)
        return None, [frozenset().union(*bests)] if usable else []
    if name in ("MAX_REPEAT", "MIN_REPEAT"):
        low, high, body = av
        if low == 0:
            return None, []
        required, exact = _scan(list(body))
        if exact is not None:
            if low == high and len(exact) ** low <= _MAX_SET:
                strings = frozenset({""})
                for _ in range(low):
                    strings = frozenset(a + b for a in strings for b in exact)
                return strings, []
            if "" not in exact:
                required = [*required, exact]
        return None, required
    return None, []  # classes, any character, backreferences: nothing literal to require


def lemma_needles(nlp: Language, lemma: str) -> set[str] | None:
    """Every surface form that spaCy's rule-based English lemmatizer (with the attribute ruler in front of it)
    can turn into `lemma`: the lemma itself, the forms its suffix rules undo ("verifying" <- "verify" + "ing"),
    its exception-table forms ("was" -> "be") and the attribute ruler's words that set it. None for any other
    lemmatizer, whose inverse we cannot know."""
    if not nlp.has_pipe("lemmatizer"):
        return None
    lemmatizer = nlp.get_pipe("lemmatizer")
    if getattr(lemmatizer, "mode", None) != "rule" or not hasattr(lemmatizer, "lookups"):
        return None
    rules = lemmatizer.lookups.get_table("lemma_rules", {})
    exceptions = lemmatizer.lookups.get_table("lemma_exc", {})
    forms = {lemma, lemma.lower()}
    for pos_rules in rules.values():
        for old, new in pos_rules:
            if lemma.lower().endswith(new):
                forms.add(lemma.lower()[: len(lemma) - len(new)] + old)
    for table in exceptions.values():
        forms.update(form for form, lemmas in table.items() if lemma in lemmas)
    if nlp.has_pipe("attribute_ruler"):
        for entry in nlp.get_pipe("attribute_ruler").patterns:
            if entry.get("attrs", {}).get("LEMMA") != lemma:
                continue
            for pattern in entry["patterns"]:
                # every token of the pattern must be there for the ruler to set the lemma on one of them
                words = [w for w in map(_token_strings, pattern) if w]
                if not words:
                    return None  # the ruler can set this lemma on tokens we cannot name
                forms.update(max(words, key=lambda ws: min(map(len, ws))))
    forms.discard("")
    return forms or None


def _token_strings(token: dict) -> set[str] | None:
    """The texts a Matcher token pattern allows (ORTH, LOWER or TEXT as a string or an IN list), else None."""
    for key in ("ORTH", "LOWER", "TEXT"):
        value = token.get(key)
        if isinstance(value, str):
            return {value}
        if isinstance(value, dict) and set(value) == {"IN"} and all(isinstance(v, str) for v in value["IN"]):
            return set(value["IN"])
    return None
