"""Phrase groups and windows: the shared machinery of the phrase, pattern, conditional and sequence kinds.

A group is a list of phrases and/or regular expressions per language (key '*' for every language); it matches a
turn when any entry does. A window picks the turns a rule looks at (the first agent turn, the last N agent turns,
all agent turns, all customer turns, any turn). `judge` combines them: do all groups match inside one unit (a
turn or a sentence) of the window?
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Literal, NamedTuple

from pydantic import PositiveInt

from qa_engine.nlp.normalize import base_language
from qa_engine.nlp.phrases import ALL_LANGUAGES, LanguageMatcher, PhraseFinder, PhraseMatch
from qa_engine.nlp.pipelines import folded_text, screened_text, sentence_ranges
from qa_engine.nlp.screens import Screen, regex_needles
from qa_engine.rules.conversation import Conversation, Evidence, Outcome, Turn, failed, not_applicable, passed
from qa_engine.rules.regex import RulePattern
from qa_engine.rules.specs import PhraseLists, Speaker, Strict
from qa_engine.schema import SPEAKERS

WindowName = Literal["first_agent_turn", "agent_turns", "customer_turns", "any_turn"]


class LastAgentTurns(Strict):
    last_agent_turns: PositiveInt


class Scope(Strict):
    """Which turns a rule reads: a window, the speakers it draws from, and whether a customer turn is needed."""

    window: WindowName | LastAgentTurns = "agent_turns"
    speakers: list[Speaker] | None = None  # default: agent for agent windows, customer, or everyone
    needs_customer: bool = False  # na when the customer never wrote

    def window_speakers(self) -> tuple[str, ...]:
        if self.speakers:
            return tuple(self.speakers)
        if self.window == "customer_turns":
            return ("customer",)
        if self.window == "any_turn":
            return SPEAKERS
        return ("agent",)

    def select(self, conversation: Conversation) -> list[Turn]:
        turns = conversation.by(self.window_speakers())
        if self.window == "first_agent_turn":
            return turns[:1]
        if isinstance(self.window, LastAgentTurns):
            return turns[-self.window.last_agent_turns :]
        return turns

    def describe(self) -> str:
        who = "/".join(self.window_speakers())
        if self.window == "first_agent_turn":
            return f"the first {who} turn"
        if isinstance(self.window, LastAgentTurns):
            return f"the last {self.window.last_agent_turns} {who} turn(s)"
        return f"the {who} turns"


class GroupMatcher:
    """Finds a group's phrases and patterns in a turn, for the conversation's language."""

    def __init__(self, spec: PhraseLists, *, lemma: bool = False, name: str = "group") -> None:
        self.name = spec.name or name
        self.spec = spec
        self._finder = PhraseFinder(spec.phrases, lemma=lemma)
        flags = 0 if spec.case_sensitive else re.IGNORECASE
        self._patterns = {
            (k if k == ALL_LANGUAGES else base_language(k)): [RulePattern(p, flags) for p in v]
            for k, v in spec.patterns.items()
        }
        self._covers: dict[str, bool] = {}  # per language: asked for every rule, ticket and turn
        self._plans: dict[str, _Plan] = {}  # per language: what `find` runs, looked up once per call

    def covers(self, language: str) -> bool:
        """Whether the group has anything to look for in this language."""
        known = self._covers.get(language)
        if known is None:
            plan = self._plans.get(language) or self._plan(language)
            known = self._covers[language] = self._finder.covers(language) or bool(plan.patterns)
        return known

    def find(self, turn: Turn, language: str) -> list[PhraseMatch]:
        """Phrase and pattern matches in the turn, sorted by start (spans in the turn's original text)."""
        plan = self._plans.get(language) or self._plan(language)
        doc = turn.doc
        found = plan.phrases.find(doc) if plan.phrases is not None else []
        # screens turn most turns away before the patterns run (`nlp.screens`): the group's, then each pattern's
        if plan.patterns:
            # same positions as the original (straight quotes, ASCII digits); the Doc's text is the turn's
            text, screened = folded_text(doc), screened_text(doc)
            if plan.screen is None or plan.screen.search(text, screened):
                found = found + [
                    PhraseMatch(m.start(), m.end(), regex.pattern)
                    for regex, screen in plan.patterns
                    if screen is None or screen.search(text, screened)
                    for m in regex.finditer(text)
                    if m.end() > m.start()
                ]
        if not found:
            return []
        return sorted(set(found), key=lambda m: (m.start, -m.end))

    def wants_lemmas(self, turn: Turn, language: str) -> bool:
        """Whether `find` would tag the turn for lemmas (see `PhraseFinder.wants_lemmas`)."""
        return self._finder.wants_lemmas(turn.doc, language)

    def _plan(self, language: str) -> _Plan:
        code = base_language(language)
        regexes = self._patterns.get(code, []) + self._patterns.get(ALL_LANGUAGES, [])
        # per pattern: sets of literals that every match holds one of each, or None (`nlp.screens`)
        needles = [regex_needles(r.pattern, r.flags) for r in regexes]
        patterns = [(r, Screen.build([n])) for r, n in zip(regexes, needles, strict=True)]
        screen = Screen.build(needles)  # one quick test for the whole group (None when there are no patterns)
        plan = self._plans[language] = _Plan(self._finder.matcher_for(code), patterns, screen)
        return plan


class _Plan(NamedTuple):
    """What a group runs on a turn of one language: its phrase matcher, its patterns with their screens, and
    the screen of all its patterns."""

    phrases: LanguageMatcher | None
    patterns: list[tuple[RulePattern, Screen | None]]
    screen: Screen | None


def coverage_problems(
    loc: tuple[str | int, ...], lists: PhraseLists, languages: Sequence[str]
) -> list[tuple[tuple[str | int, ...], str]]:
    """Load-time check: every language a rule claims has a phrase or pattern list (or '*' covers it)."""
    have = {base_language(k) if k != ALL_LANGUAGES else k for k in lists.languages()}
    if ALL_LANGUAGES in have:
        return []
    missing = [lang for lang in languages if base_language(lang) not in have]
    return [(loc, f"no phrases or patterns for language(s) {missing} that the rule lists")] if missing else []


def units(turn: Turn, unit: Literal["turn", "sentence"]) -> list[tuple[int, int]]:
    """The character ranges a group match must fall in: the whole turn, or each sentence."""
    if unit == "sentence" and turn.doc.has_annotation("SENT_START"):
        return sentence_ranges(turn.doc)
    return [(0, len(turn.text))]


def judge(
    conversation: Conversation,
    scope: Scope,
    groups: Sequence[GroupMatcher],
    *,
    must: bool,
    unit: Literal["turn", "sentence"] = "turn",
    exclude: GroupMatcher | None = None,
    what: str = "the phrase",
) -> Outcome:
    """Pass/fail when all `groups` match inside one unit of the window (`must`: they should; else: must not).

    na when the rule needs a customer turn and there is none, when the window is empty, or when a group has no
    list for the conversation's language. A unit containing an `exclude` match does not count ("it's not your
    fault" is not blame, "anything else?" is not a clarifying question).
    """
    language = conversation.language
    if scope.needs_customer and not conversation.by(("customer",)):
        return not_applicable(conversation, "the customer never wrote")
    uncovered = [g.name for g in groups if not g.covers(language)]
    if uncovered:
        return not_applicable(
            conversation, f"no phrase list for language '{language}' ({', '.join(uncovered)})"
        )
    window = scope.select(conversation)
    if not window:
        return not_applicable(conversation, f"the window ({scope.describe()}) is empty")
    seen: set[str] = set()
    for turn in window:
        per_group = [g.find(turn, language) for g in groups]
        if not any(per_group):
            continue  # nothing of any group in this turn: no unit to look at
        banned = exclude.find(turn, language) if exclude is not None and exclude.covers(language) else []
        for start, end in units(turn, unit):
            if any(b.start >= start and b.end <= end for b in banned):
                continue
            inside = [[m for m in found if m.start >= start and m.end <= end] for found in per_group]
            seen.update(g.name for g, m in zip(groups, inside, strict=True) if m)
            if not all(inside):
                continue
            first = min(m[0].start for m in inside)
            last = max(m[0].end for m in inside)
            note = f"{what} in turn {turn.index}"
            evidence = Evidence.span(turn, first, last, note)
            if must:
                return passed(conversation, f"found {what} in {scope.describe()}", evidence)
            return failed(conversation, f"{what} appears in {scope.describe()}", evidence)
    if not must:
        return passed(conversation, f"no {what} in {scope.describe()}")
    if len(groups) == 1:
        lacking = f"no {what}"
    else:
        missing = [g.name for g in groups if g.name not in seen]
        lacking = f"missing {', '.join(missing)}" if missing else f"never all in one {unit}"
    return failed(
        conversation,
        f"{what} not found in {scope.describe()} ({lacking})",
        Evidence.whole_turn(window[0], f"{scope.describe()}: {lacking}"),
    )
