"""`conditional`: when a trigger happens in a customer turn, the next agent turn must meet a requirement.

The default pack's use: when the customer is upset (a negative emotion at or above a threshold, a sentiment score
at or below one, or an upset phrase), the agent's next turn acknowledges it. na when nothing triggers, or when no
agent turn follows a trigger. Evidence points at the agent turn (the empathy phrase, or the whole turn that
lacked it); its note names the trigger turn, its span and why it triggered.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from pydantic import Field

from qa_engine.nlp.phrases import PhraseMatch
from qa_engine.rules.conversation import Conversation, Evidence, Outcome, Turn, failed, not_applicable, passed
from qa_engine.rules.kinds.base import ConversationKind
from qa_engine.rules.matching import (
    Emotion,
    GroupMatcher,
    GroupSpec,
    PhraseLists,
    Speaker,
    Strict,
    coverage_problems,
)
from qa_engine.rules.registry import register_kind


class Trigger(PhraseLists):
    """What makes a turn trigger; any one condition is enough. Phrases and patterns are optional here."""

    speakers: list[Speaker] = Field(default_factory=lambda: ["customer"], min_length=1)
    emotions: list[Emotion] = Field(default_factory=lambda: ["anger", "disgust", "sadness", "fear"])
    emotion_threshold: float | None = Field(0.5, ge=0, le=1)  # null: ignore emotions
    sentiment_threshold: float | None = Field(-0.5, ge=-1, le=1)  # null: ignore sentiment
    # a factual problem report ("payment failed") reads strongly negative to sentiment models but calm to the
    # emotion model: with this set, sentiment alone counts only when the turn's top emotion is not neutral
    sentiment_needs_emotion: bool = False


class ConditionalParams(Strict):
    trigger: Trigger
    require: GroupSpec
    responders: list[Speaker] = Field(default_factory=lambda: ["agent"], min_length=1)
    triggers: Literal["all", "first"] = (
        "all"  # must every triggered reply meet the requirement, or the first?
    )
    match_on: Literal["lower", "lemma"] = "lower"


@register_kind("conditional")
class ConditionalKind(ConversationKind):
    Params = ConditionalParams
    params: ConditionalParams

    def load(self) -> None:
        lemma = self.params.match_on == "lemma"
        self.trigger_phrases = GroupMatcher(self.params.trigger, lemma=lemma, name="trigger")
        self.require = GroupMatcher(self.params.require, lemma=lemma, name="requirement")

    def language_problems(self, languages: Sequence[str]) -> list[tuple[tuple[str | int, ...], str]]:
        return coverage_problems(("require",), self.params.require, languages)

    def check(self, conversation: Conversation) -> Outcome:
        language = conversation.language
        if not self.require.covers(language):
            return not_applicable(
                conversation, f"no phrase list for language '{language}' ({self.require.name})"
            )
        episodes: dict[int, tuple[Turn, Turn, str, PhraseMatch | None]] = {}  # keyed by the responding turn
        triggered = False
        for position, turn in enumerate(conversation.turns):
            if turn.speaker not in self.params.trigger.speakers:
                continue
            why, where = self._why(turn, language)
            if why is None:
                continue
            triggered = True
            reply = next(
                (t for t in conversation.turns[position + 1 :] if t.speaker in self.params.responders), None
            )
            if reply is not None and reply.index not in episodes:
                episodes[reply.index] = (turn, reply, why, where)
            if self.params.triggers == "first":
                break
        if not triggered:
            return not_applicable(conversation, "no trigger (the customer was not upset)")
        if not episodes:
            return not_applicable(conversation, "no agent turn after the triggering turn")
        shown: Evidence | None = None  # the first reply that met the requirement
        for trigger, reply, why, where in episodes.values():
            note = _trigger_note(trigger, why, where)
            found = self.require.find(reply, language)
            if not found:
                detail = f"agent turn {reply.index} does not meet the requirement after {note}"
                return failed(conversation, detail, Evidence.whole_turn(reply, note))
            shown = shown or Evidence.span(reply, found[0].start, found[0].end, note)
        detail = f"every agent reply after a trigger meets the requirement ({len(episodes)} checked)"
        return passed(conversation, detail, shown)

    def _why(self, turn: Turn, language: str) -> tuple[str | None, PhraseMatch | None]:
        """Why a turn triggers ('anger 0.91', 'sentiment -0.80', 'phrase'), and the phrase span if a phrase did."""
        trigger = self.params.trigger
        if trigger.emotion_threshold is not None and turn.emotion_scores:
            for emotion in trigger.emotions:
                score = turn.emotion_scores.get(emotion)
                if score is not None and score >= trigger.emotion_threshold:
                    return f"{emotion} {score:.2f}", None
        score = turn.sentiment_score
        if (
            trigger.sentiment_threshold is not None
            and score is not None
            and score <= trigger.sentiment_threshold
            and not (trigger.sentiment_needs_emotion and _reads_neutral(turn))
        ):
            return f"sentiment {score:.2f}", None
        if self.trigger_phrases.covers(language):
            found = self.trigger_phrases.find(turn, language)
            if found:
                return "phrase", found[0]
        return None, None


def _reads_neutral(turn: Turn) -> bool:
    """The emotion model's most likely emotion for the turn is neutral (False when there are no emotion scores)."""
    scores = turn.emotion_scores or {}
    return bool(scores) and max(scores, key=scores.__getitem__) == "neutral"


def _trigger_note(turn: Turn, why: str, where: PhraseMatch | None) -> str:
    if where is None:
        return f"trigger: turn {turn.index} ({why})"
    return f"trigger: turn {turn.index} [{where.start}, {where.end}) '{turn.text[where.start : where.end]}'"
