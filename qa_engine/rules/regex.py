"""Rule-pack regular expressions: linear time where RE2 means the same, checked and bounded where it does not.

Rule packs are written by QA leads, and a turn may be a million characters long, so a pattern like `(\\w+\\s?)+$`
must not be able to hang the nightly run on Python's backtracking `re`. The decision, per pattern, when the pack
loads:

1. **Rejected** when its parsed form (`re._parser`) can backtrack exponentially: a wide repetition (unbounded, or
   with ten or more optional repeats) that holds another wide repetition (`(a+)+`, `(\\w+\\s?)+`, `(?:\\s*\\w+)*`)
   or an alternation whose branches can start with the same character (`(a|aa)+`). `catastrophe` says why; the
   loader turns it into Q109 with the file, line and rule. Such a pattern is rejected whatever engine would run
   it, so that adding a `\\b` to an accepted pattern never turns it into a rejected one.
2. **RE2** (`google-re2`, linear in the text) when the pattern translates to RE2 with exactly the meaning it has
   in `re`: every character class, `\\w`, `\\d`, `\\s` and case-insensitive letter is written out as the set of
   code points that `re` itself matches (computed once per process from `re`'s own compiled form), so Unicode
   versions and case folding cannot drift apart. RE2 has no lookarounds, backreferences, conditionals, atomic
   groups or possessive repeats, and its `\\b` and non-multiline `$` mean something else (ASCII word characters;
   only the very end, where `re` also matches before a final newline), so a pattern with any of those stays on
   `re`. Most of the default pack's CJK patterns run on RE2; its Latin-script ones use `\\b` and stay on `re`.
3. **Python `re`, windowed**, for the rest: the turn is read in windows of `WINDOW` characters that overlap by
   `OVERLAP`, so one call never reads more than `WINDOW` characters and a long turn costs time in proportion to its
   length: a pattern that backtracks polynomially (`\\w+\\s*\\w+x`, quadratic) costs at most its cost on
   `WINDOW` characters per `WINDOW - OVERLAP` characters of turn (about 8 s for a hostile million-character turn,
   where reading it whole would take days). A window's matches that start in its first `WINDOW - OVERLAP`
   characters and end at least `OVERLAP/2` before its cut are kept (lookaheads and `\\b` see the real text up to
   there); the next window owns the rest. A match longer than `OVERLAP/2` characters that crosses a window start
   may be missed: rule patterns match a few words, and a turn shorter than `WINDOW` characters (nearly all of
   them) is read whole, exactly as before. Nothing is cut off: the whole turn is read.

No time budget per match: `re` cannot stop a running match, and a budget would make a ticket's outcome depend on
how busy the machine was.
"""

from __future__ import annotations

import _sre
import re
import sys
from collections.abc import Iterable, Iterator
from functools import cache
from re import _constants as C
from re import _parser as P
from typing import NamedTuple

import re2

WINDOW = 2_000  # characters one `re` call reads at most: a quadratic pattern costs ~70 ms a window
OVERLAP = 500  # characters two windows share; matches up to OVERLAP/2 long are found across a cut
_WIDE = 10  # a repetition with this many optional repeats or more can multiply backtracking
_RE2_MAX_REPEAT = 1000  # RE2 rejects counted repetition above this
_RE2_OPTIONS = re2.Options()
_RE2_OPTIONS.log_errors = False  # an untranslatable pattern falls back to `re`; no C++ log line
_SURROGATES = re.compile("[\ud800-\udfff]")  # cannot be UTF-8 for RE2; replaced one for one, spans unchanged


class SlowPattern(ValueError):
    """A pattern `catastrophe` rejects; the loader turns it into Q109 with the file, line and rule."""

    def __init__(self, pattern: str, language: str, problem: str) -> None:
        self.pattern, self.language, self.problem = pattern, language, problem
        super().__init__(f"the pattern {pattern!r} for '{language}' could hang on a long turn: {problem}")


class Span(NamedTuple):
    """A match's character span in the text (what `re.Match.start`/`end` give)."""

    begin: int
    finish: int

    def start(self) -> int:
        return self.begin

    def end(self) -> int:
        return self.finish


class RulePattern:
    """A rule pack's compiled regular expression: `re`'s pattern and flags (screens read them), and `finditer`
    on RE2 or on windowed `re`, whichever the module docstring's decision picked."""

    def __init__(self, pattern: str, flags: int = 0) -> None:
        self.regex = re.compile(pattern, flags)
        self.pattern = pattern
        self.flags = self.regex.flags
        self.re2 = _compile_re2(to_re2(pattern, flags))

    @property
    def engine(self) -> str:
        return "re2" if self.re2 is not None else "re"

    def finditer(self, text: str) -> Iterator[Span]:
        """Non-overlapping matches, left to right, as `re.finditer` would find them (see the module docstring
        for the one difference of windowed `re` on turns longer than WINDOW)."""
        if self.re2 is not None:
            if not text.isascii() and _SURROGATES.search(text):
                text = _SURROGATES.sub("\ufffd", text)
            for m in self.re2.finditer(text):
                yield Span(m.start(), m.end())
            return
        if len(text) <= WINDOW:
            for m in self.regex.finditer(text):
                yield Span(m.start(), m.end())
            return
        yield from _windowed(self.regex, text)


def _compile_re2(source: str | None) -> re2._Regexp | None:
    """RE2's compiled form, or None (windowed `re` then) when there is no translation or RE2 refuses it (a
    program over its memory budget)."""
    if source is None:
        return None
    try:
        return re2.compile(source, _RE2_OPTIONS)
    except re2.error:
        return None


def _windowed(regex: re.Pattern[str], text: str) -> Iterator[Span]:
    """`finditer` over overlapping windows; `pos`/`endpos` (not slices) so lookbehinds and `\\b` at a window's
    start see the text before it."""
    step, margin, size = WINDOW - OVERLAP, OVERLAP // 2, len(text)
    for begin in range(0, size, step):
        cut = min(begin + WINDOW, size)
        own_until = begin + step if cut < size else size
        for m in regex.finditer(text, begin, cut):
            if m.start() >= own_until:
                break
            if cut == size or m.end() <= cut - margin:
                yield Span(m.start(), m.end())
        if cut == size:
            return


def catastrophe(pattern: str, flags: int = 0) -> str | None:
    """Why the pattern can backtrack exponentially on some text, or None. A static check of the parsed form
    (see the module docstring); it errs towards rejecting, and its answer says how to rewrite the pattern."""
    parsed = P.parse(pattern, flags)
    return _check(parsed, parsed.state.flags, inside=None)


def _wide(low: int, high: int) -> bool:
    return high == P.MAXREPEAT or high - low >= _WIDE


def _check(items: P.SubPattern, flags: int, inside: str | None) -> str | None:
    for op, av in items:
        if op in (C.MAX_REPEAT, C.MIN_REPEAT) and _wide(av[0], av[1]):
            here = _repr_repeat(av[0], av[1])
            if inside is not None:
                return (
                    f"a repetition ({here}) nested inside another ({inside}) can backtrack exponentially; "
                    "repeat a single character class, e.g. (?:\\w+\\s)+ rather than (\\w+\\s?)+"
                )
            problem = _nested(av[2], flags, here)
        elif op in (C.MAX_REPEAT, C.MIN_REPEAT, C.POSSESSIVE_REPEAT):
            problem = _check(av[2], flags, inside)
        elif op is C.SUBPATTERN:
            _group, add, remove, body = av
            problem = _check(body, (flags | add) & ~remove, inside)
        elif op is C.BRANCH:
            branches = av[1]
            if inside is not None and _overlapping(branches, flags):
                return (
                    f"alternatives that can start alike inside a repetition ({inside}) can backtrack "
                    "exponentially; make the alternatives start differently, e.g. (a|aa)+ as a+"
                )
            problem = next((p for b in branches if (p := _check(b, flags, inside)) is not None), None)
        elif op in (C.ASSERT, C.ASSERT_NOT):
            problem = _check(av[1], flags, inside)
        elif op is C.GROUPREF_EXISTS:
            problem = next((p for b in av[1:] if b is not None and (p := _check(b, flags, inside))), None)
        else:  # characters, anchors, backreferences; an atomic group never backtracks into itself
            problem = None
        if problem is not None:
            return problem
    return None


def _nested(body: P.SubPattern, flags: int, outer: str) -> str | None:
    """The body of a wide repetition. A wide repetition of one character class inside it is safe only when
    what must come next (later in the body, or the body's start in the next round) cannot match that class:
    `(?:\\w+\\s)+` splits a text one way only, `(\\w+\\s?)+` in exponentially many."""
    flat = _flatten(body, flags)
    for index, (op, av, here_flags) in enumerate(flat):
        if op in (C.MAX_REPEAT, C.MIN_REPEAT) and _wide(av[0], av[1]):
            inner = _repr_repeat(av[0], av[1])
            chars = _single_chars(av[2], here_flags)
            follow = _follow(flat, index + 1)
            if chars is None or follow is None or _intersect(chars, follow):
                return (
                    f"a repetition ({inner}) inside another ({outer}) can split the same text in exponentially "
                    "many ways; end each round with something the inner part cannot match, e.g. (?:\\w+\\s)+ "
                    "rather than (\\w+\\s?)+, or drop the outer repetition"
                )
            continue
        problem = _check(P.SubPattern(body.state, [(op, av)]), here_flags, outer)
        if problem is not None:
            return problem
    return None


def _flatten(items: P.SubPattern, flags: int) -> list[tuple[int, object, int]]:
    """The body's items with groups opened up (a group only captures), each with the flags in force there."""
    flat: list[tuple[int, object, int]] = []
    for op, av in items:
        if op is C.SUBPATTERN:
            _group, add, remove, body = av
            flat += _flatten(body, (flags | add) & ~remove)
        else:
            flat.append((op, av, flags))
    return flat


def _single_chars(body: P.SubPattern, flags: int) -> frozenset[tuple[int, int]] | None:
    """The characters a repeated one-character item matches, or None when the item is more than one character."""
    if len(body) == 1 and body[0][0] in (C.LITERAL, C.NOT_LITERAL, C.IN, C.ANY):
        op, av = body[0]
        return frozenset(_char_ranges(op, _freeze(av), flags & _CHAR_FLAGS))
    return None


def _follow(flat: list[tuple[int, object, int]], start: int) -> frozenset[tuple[int, int]] | None:
    """The characters that can come next from `start` on: up to the first item that must take a character, else
    on into the next round (the body's start). None when unknown."""
    found: set[tuple[int, int]] = set()
    for wrapped in (flat[start:], flat):
        for op, av, flags in wrapped:
            if op is C.AT or op in (C.ASSERT, C.ASSERT_NOT):
                continue
            first = _first_chars(P.SubPattern(P.State(), [(op, av)]), flags)
            if op in (C.MAX_REPEAT, C.MIN_REPEAT) and av[0] == 0:  # type: ignore[index]
                first = _first_chars(av[2], flags)  # type: ignore[index]
                if first is None:
                    return None
                found |= first
                continue  # optional: what comes after it can come next too
            if first is None:
                return None
            return frozenset(found | first)
    return None  # nothing in the body must take a character


def _repr_repeat(low: int, high: int) -> str:
    if high == P.MAXREPEAT:
        return {0: "*", 1: "+"}.get(low, f"{{{low},}}")
    return f"{{{low},{high}}}"


def _overlapping(branches: list[P.SubPattern], flags: int) -> bool:
    """Whether two branches can start with the same character (or one can match the empty string)."""
    firsts: list[frozenset[tuple[int, int]] | None] = []
    for branch in branches:
        first = _first_chars(branch, flags)
        if first is None:
            return True
        firsts.append(first)
    for i, a in enumerate(firsts):
        for b in firsts[i + 1 :]:
            if _intersect(a, b):
                return True
    return False


def _first_chars(items: P.SubPattern, flags: int) -> frozenset[tuple[int, int]] | None:
    """The code point ranges a match of `items` can start with, or None when unknown or possibly empty."""
    for op, av in items:
        if op is C.AT:
            continue  # zero-width: the next item says
        if op is C.SUBPATTERN:
            _group, add, remove, body = av
            return _first_chars(body, (flags | add) & ~remove)
        if op in (C.MAX_REPEAT, C.MIN_REPEAT, C.POSSESSIVE_REPEAT):
            return _first_chars(av[2], flags) if av[0] > 0 else None
        if op in (C.LITERAL, C.NOT_LITERAL, C.IN, C.ANY):
            return frozenset(_char_ranges(op, _freeze(av), flags & _CHAR_FLAGS))
        if op is C.BRANCH:
            union: set[tuple[int, int]] = set()
            for branch in av[1]:
                first = _first_chars(branch, flags)
                if first is None:
                    return None
                union |= first
            return frozenset(union)
        return None
    return None


def _intersect(a: frozenset[tuple[int, int]], b: frozenset[tuple[int, int]]) -> bool:
    return any(lo1 <= hi2 and lo2 <= hi1 for lo1, hi1 in a for lo2, hi2 in b)


# --- translation to RE2 -------------------------------------------------------------------------------------

_CHAR_FLAGS = (
    re.IGNORECASE | re.DOTALL | re.ASCII | re.UNICODE
)  # what decides which characters a one-character item matches


class _Untranslatable(Exception):
    """The pattern uses something RE2 lacks or means differently."""


def to_re2(pattern: str, flags: int = 0) -> str | None:
    """The pattern in RE2 syntax with exactly `re`'s meaning, or None when there is no such translation."""
    parsed = P.parse(pattern, flags)
    try:
        _emit(parsed, parsed.state.flags, dry=True)  # first without writing out classes: the costly part
        return _emit(parsed, parsed.state.flags)
    except _Untranslatable:
        return None


def _emit(items: P.SubPattern, flags: int, *, dry: bool = False) -> str:
    out: list[str] = []
    for op, av in items:
        if op in (C.LITERAL, C.NOT_LITERAL, C.IN, C.ANY):
            out.append("" if dry else _class(_char_ranges(op, _freeze(av), flags & _CHAR_FLAGS)))
        elif op is C.SUBPATTERN:
            _group, add, remove, body = av
            out.append(f"(?:{_emit(body, (flags | add) & ~remove, dry=dry)})")
        elif op is C.BRANCH:
            out.append("(?:" + "|".join(_emit(b, flags, dry=dry) for b in av[1]) + ")")
        elif op in (C.MAX_REPEAT, C.MIN_REPEAT):
            low, high, body = av
            if low > _RE2_MAX_REPEAT or (high != P.MAXREPEAT and high > _RE2_MAX_REPEAT):
                raise _Untranslatable
            count = f"{{{low},}}" if high == P.MAXREPEAT else f"{{{low},{high}}}"
            out.append(f"(?:{_emit(body, flags, dry=dry)}){count}{'?' if op is C.MIN_REPEAT else ''}")
        elif op is C.AT:
            out.append(_anchor(av, flags))
        else:  # lookarounds, backreferences, conditionals, atomic groups, possessive repeats
            raise _Untranslatable
    return "".join(out)


def _anchor(at: int, flags: int) -> str:
    if at is C.AT_BEGINNING_STRING:
        return r"\A"
    if at is C.AT_END_STRING:
        return r"\z"
    if at is C.AT_BEGINNING:
        return "(?m:^)" if flags & re.MULTILINE else r"\A"
    if at is C.AT_END and flags & re.MULTILINE:
        return "(?m:$)"
    raise _Untranslatable  # `\b`, `\B` (Unicode in `re`, ASCII in RE2) and `$` (also before a final newline)


def _class(ranges: tuple[tuple[int, int], ...]) -> str:
    if not ranges:
        return r"[^\x00-\x{10FFFF}]"
    parts = [f"\\x{{{lo:X}}}" if lo == hi else f"\\x{{{lo:X}}}-\\x{{{hi:X}}}" for lo, hi in ranges]
    return "[" + "".join(parts) + "]"


def _freeze(av: object) -> object:
    """A hashable form of a parsed item's argument (IN holds lists)."""
    if isinstance(av, list):
        return tuple(_freeze(x) for x in av)
    if isinstance(av, tuple):
        return tuple(_freeze(x) for x in av)
    return av


_MAX = sys.maxunicode
_Ranges = tuple[tuple[int, int], ...]


@cache
def _all_chars() -> str:
    """Every code point but the surrogates, in order: the text that categories are run over."""
    return "".join(map(chr, range(0xD800))) + "".join(map(chr, range(0xE000, _MAX + 1)))


@cache
def _cased() -> tuple[str, _Ranges]:
    """The code points that have another case (the only ones IGNORECASE treats specially), as a string and as
    ranges."""
    chars = "".join(c for c in _all_chars() if _sre.unicode_iscased(ord(c)))
    return chars, _merge((ord(c), ord(c)) for c in chars)


def _merge(pairs: Iterable[tuple[int, int]]) -> _Ranges:
    merged: list[tuple[int, int]] = []
    for lo, hi in sorted(pairs):
        if merged and lo <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], max(hi, merged[-1][1]))
        else:
            merged.append((lo, hi))
    return tuple(merged)


def _complement(ranges: _Ranges) -> _Ranges:
    out, at = [], 0
    for lo, hi in ranges:
        if lo > at:
            out.append((at, lo - 1))
        at = hi + 1
    if at <= _MAX:
        out.append((at, _MAX))
    return _without_surrogates(tuple(out))


def _intersect_ranges(a: _Ranges, b: _Ranges) -> _Ranges:
    out, i, j = [], 0, 0
    while i < len(a) and j < len(b):
        lo, hi = max(a[i][0], b[j][0]), min(a[i][1], b[j][1])
        if lo <= hi:
            out.append((lo, hi))
        if a[i][1] < b[j][1]:
            i += 1
        else:
            j += 1
    return tuple(out)


def _without_surrogates(ranges: _Ranges) -> _Ranges:
    return _intersect_ranges(ranges, ((0, 0xD7FF), (0xE000, _MAX)))


@cache
def _category(category: object, flags: int) -> _Ranges:
    """The code points a category (`\\w`, `\\d`, `\\s`...) matches under these flags, by running `re` over all."""
    return _run(C.IN, ((C.CATEGORY, category),), flags, _all_chars())


def _run(op: int, av: object, flags: int, text: str) -> _Ranges:
    """The code points of `text` that `re`'s own compiled form of one character item matches."""
    state = P.State()
    state.flags = flags
    item = P.SubPattern(state, [(op, list(av) if op is C.IN else av)])  # type: ignore[arg-type]
    repeat = P.SubPattern(state, [(C.MAX_REPEAT, (1, P.MAXREPEAT, item))])
    compiled = re._compiler.compile(repeat, flags)  # type: ignore[attr-defined]
    if text is not _all_chars():  # scattered code points: one by one
        return _merge((ord(c), ord(c)) for m in compiled.finditer(text) for c in m.group())
    runs = ((ord(text[m.start()]), ord(text[m.end() - 1])) for m in compiled.finditer(text))
    return _merge(
        p for lo, hi in runs for p in ([(lo, 0xD7FF), (0xE000, hi)] if lo < 0xD800 < hi else [(lo, hi)])
    )


@cache
def _char_ranges(op: int, av: object, flags: int) -> _Ranges:
    """The code point ranges that one character item matches, exactly as `re` matches them. Literals, ranges and
    categories are unions of ranges; under IGNORECASE a character without another case matches exactly as
    without it, and the few thousand cased ones are tried on `re`'s own compiled form of the item."""
    if op is C.ANY:
        return _without_surrogates(((0, _MAX),) if flags & re.DOTALL else ((0, 9), (11, _MAX)))
    members = [(C.LITERAL, av)] if op in (C.LITERAL, C.NOT_LITERAL) else list(av)  # type: ignore[call-overload]
    negate = op is C.NOT_LITERAL or any(kind is C.NEGATE for kind, _ in members)
    pairs: list[tuple[int, int]] = []
    for kind, value in members:
        if kind is C.LITERAL:
            pairs.append((value, value))
        elif kind is C.RANGE:
            pairs.append(value)
        elif kind is C.CATEGORY:
            pairs += _category(value, flags & (re.ASCII | re.UNICODE))
        elif kind is not C.NEGATE:
            raise _Untranslatable  # a RANGE_UNI_IGNORE or other compiled-only member: not from the parser
    base = _without_surrogates(_merge(pairs))
    if not flags & re.IGNORECASE:
        return _complement(base) if negate else base
    cased_chars, cased = _cased()
    uncased = _complement(cased)
    plain = _intersect_ranges(_complement(base) if negate else base, uncased)
    return _merge(plain + _run(op, av, flags, cased_chars))
