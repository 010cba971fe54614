"""`sequence`: X must come before Y, e.g. identity verification before a refund or an account change.

na when Y never happens; pass when an X match comes before the first Y match (earlier turn, or earlier in the
same turn); fail when Y happens with no X before it. Later Ys need nothing more: once verified is enough.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from pydantic import Field

from qa_engine.nlp.phrases import PhraseMatch
from qa_engine.nlp.pipelines import ensure_lemmas_all
from qa_engine.rules.conversation import (
    Conversation,
    Evidence,
    Outcome,
    Turn,
    failed,
    not_applicable,
    passed,
)
from qa_engine.rules.kinds.base import Batch, ConversationKind
from qa_engine.rules.matching import GroupMatcher, coverage_problems
from qa_engine.rules.registry import register_kind
from qa_engine.rules.specs import GroupSpec, Speaker, Strict


class Step(GroupSpec):
    speakers: list[Speaker] = Field(default_factory=lambda: ["agent"], min_length=1)


class SequenceParams(Strict):
    first: Step
    then: Step
    match_on: Literal["lower", "lemma"] = "lower"


@register_kind("sequence")
class SequenceKind(ConversationKind):
    Params = SequenceParams
    params: SequenceParams

    def load(self) -> None:
        lemma = self.params.match_on == "lemma"
        self.first = GroupMatcher(self.params.first, lemma=lemma, name="first step")
        self.then = GroupMatcher(self.params.then, lemma=lemma, name="then step")

    def language_problems(self, languages: Sequence[str]) -> list[tuple[tuple[str | int, ...], str]]:
        return coverage_problems(("first",), self.params.first, languages) + coverage_problems(
            ("then",), self.params.then, languages
        )

    def evaluate(self, batch: Batch) -> list[Outcome]:
        """Find every conversation's Y first, then tag (in batches) the turns that can hold an X before it:
        with `match_on: lemma` those are the only turns that need the tagger."""
        thens = [self._then(conversation) for conversation in batch.conversations]
        if self.params.match_on == "lemma":
            ensure_lemmas_all(
                turn.doc
                for conversation, then in zip(batch.conversations, thens, strict=True)
                if isinstance(then, tuple)
                for turn in conversation.by(self.params.first.speakers)
                if turn.index <= then[0].index and self.first.wants_lemmas(turn, conversation.language)
            )
        return [
            self._judge(conversation, then)
            for conversation, then in zip(batch.conversations, thens, strict=True)
        ]

    def check(self, conversation: Conversation) -> Outcome:
        return self._judge(conversation, self._then(conversation))

    def _then(self, conversation: Conversation) -> tuple[Turn, PhraseMatch] | Outcome:
        """The first Y (turn and match), or the na outcome when there is none or a list is missing."""
        language = conversation.language
        uncovered = [m.name for m in (self.first, self.then) if not m.covers(language)]
        if uncovered:
            return not_applicable(
                conversation, f"no phrase list for language '{language}' ({', '.join(uncovered)})"
            )
        then = _first_match(conversation, self.then, self.params.then.speakers, language)
        if then is None:
            return not_applicable(conversation, f"{self.then.name} never happens")
        return then

    def _judge(self, conversation: Conversation, then: tuple[Turn, PhraseMatch] | Outcome) -> Outcome:
        if isinstance(then, Outcome):
            return then
        then_turn, then_match = then
        # an X after the Y cannot make it pass: look no further than the Y's turn
        first = _first_match(
            conversation, self.first, self.params.first.speakers, conversation.language, until=then_turn.index
        )
        if first is not None and (first[0].index, first[1].start) < (then_turn.index, then_match.start):
            turn, match = first
            note = (
                f"{self.first.name} at turn {turn.index}, before {self.then.name} at turn {then_turn.index}"
            )
            return passed(conversation, note, Evidence.span(turn, match.start, match.end, note))
        note = f"{self.then.name} at turn {then_turn.index} with no {self.first.name} before it"
        return failed(conversation, note, Evidence.span(then_turn, then_match.start, then_match.end, note))


def _first_match(
    conversation: Conversation,
    matcher: GroupMatcher,
    speakers: Sequence[str],
    language: str,
    until: int | None = None,
) -> tuple[Turn, PhraseMatch] | None:
    """The first match in the speakers' turns (up to turn index `until`, when given)."""
    for turn in conversation.by(speakers):
        if until is not None and turn.index > until:
            return None
        found = matcher.find(turn, language)
        if found:
            return turn, found[0]
    return None
