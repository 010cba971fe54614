"""`conditional`: when a trigger happens in a customer turn, the next agent turn must meet a requirement.

The default pack's uses: when the customer is upset (a negative emotion at or above a threshold, a sentiment score
at or below one, or an upset phrase), the agent's next turn acknowledges it (`require`); when the customer is
hostile, the agent's next turn stays calm (`composure`): no sarcastic, blaming or dismissive wording (`forbid`) and
no hostile affect of its own (`reply_affect`: the affect model's emotion and sentiment of the agent's turn, which
catch a curt or sarcastic reply that no word list names); after a complaint, the agent's reply has every part of a
non-violent answer (`require_all`: observation, feeling, need, offer, each a named group; `reply:
until_next_trigger_speaker` lets the parts spread over the agent's messages before the customer's next turn).
na when nothing triggers, or when no
agent turn follows a trigger. Evidence points at the agent turn (the empathy phrase, or the whole turn that
lacked it); its note names the trigger turn, its span and why it triggered.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from pydantic import Field, model_validator

from qa_engine.nlp.phrases import PhraseMatch
from qa_engine.rules.conversation import Conversation, Evidence, Outcome, Turn, failed, not_applicable, passed
from qa_engine.rules.kinds.base import ConversationKind
from qa_engine.rules.matching import GroupMatcher, coverage_problems
from qa_engine.rules.registry import register_kind
from qa_engine.rules.specs import Emotion, GroupSpec, PhraseLists, Speaker, Strict


class Trigger(PhraseLists):
    """What makes a turn trigger; any one condition is enough. Phrases and patterns are optional here."""

    speakers: list[Speaker] = Field(default_factory=lambda: ["customer"], min_length=1)
    emotions: list[Emotion] = Field(default_factory=lambda: ["anger", "disgust", "sadness", "fear"])
    emotion_threshold: float | None = Field(0.5, ge=0, le=1)  # null: ignore emotions
    sentiment_threshold: float | None = Field(-0.5, ge=-1, le=1)  # null: ignore sentiment
    # a factual problem report ("payment failed") reads strongly negative to sentiment models but calm to the
    # emotion model: with this set, sentiment alone counts only when the turn's top emotion is not neutral
    sentiment_needs_emotion: bool = False


class ReplyAffect(Strict):
    """An affect condition on the responding turn: it fails when any of these holds."""

    emotions: list[Emotion] = Field(default_factory=lambda: ["anger", "disgust"])
    emotion_threshold: float | None = Field(0.6, ge=0, le=1)  # null: ignore emotions
    sentiment_at_most: float | None = Field(None, ge=-1, le=1)  # null: ignore sentiment
    # wording that makes the reading moot: an apology reads sad or even angry to the affect model ("Das tut mir
    # leid, ich schicke Ihnen ein Rücksendeetikett." anger 0.68), yet a reply that apologises is not hostile
    unless: PhraseLists | None = None


class ConditionalParams(Strict):
    trigger: Trigger
    require: GroupSpec | None = None  # the reply must say one of these
    # the reply must say something of each named group (the parts of a non-violent reply: observation, feeling,
    # need, offer); each group may be met in any turn of the reply
    require_all: list[GroupSpec] | None = Field(None, min_length=1)
    # the reply: the responder's first turn, or all the responder's turns before the next turn of a trigger
    # speaker (chat agents often split one answer over two or three messages)
    reply: Literal["turn", "until_next_trigger_speaker"] = "turn"
    forbid: PhraseLists | None = None  # the reply must not say any of these
    reply_affect: ReplyAffect | None = None  # the reply must not read this way
    responders: list[Speaker] = Field(default_factory=lambda: ["agent"], min_length=1)
    triggers: Literal["all", "first"] = (
        "all"  # must every triggered reply meet the requirement, or the first?
    )
    match_on: Literal["lower", "lemma"] = "lower"

    @model_validator(mode="after")
    def _something_to_check(self) -> ConditionalParams:
        if not (self.require or self.require_all or self.forbid or self.reply_affect):
            raise ValueError(
                "give the reply something to meet: `require`, `require_all`, `forbid` or `reply_affect`"
            )
        for group in self.require_all or []:
            if not group.name:
                raise ValueError("each group of `require_all` needs a `name` (details name the missing ones)")
        return self


@register_kind("conditional")
class ConditionalKind(ConversationKind):
    Params = ConditionalParams
    params: ConditionalParams

    def load(self) -> None:
        lemma = self.params.match_on == "lemma"
        self.trigger_phrases = GroupMatcher(self.params.trigger, lemma=lemma, name="trigger")
        params = self.params
        self.require = (
            GroupMatcher(params.require, lemma=lemma, name="requirement") if params.require else None
        )
        self.forbid = GroupMatcher(params.forbid, lemma=lemma, name="forbidden") if params.forbid else None
        spared = params.reply_affect.unless if params.reply_affect else None
        self.affect_spared = GroupMatcher(spared, lemma=lemma, name="unless") if spared else None
        self.require_all = [GroupMatcher(group, lemma=lemma) for group in params.require_all or []]

    def language_problems(self, languages: Sequence[str]) -> list[tuple[tuple[str | int, ...], str]]:
        problems = (
            coverage_problems(("require",), self.params.require, languages) if self.params.require else []
        )
        for i, group in enumerate(self.params.require_all or []):
            problems += coverage_problems(("require_all", i), group, languages)
        if self.params.forbid is not None:
            problems += coverage_problems(
                ("forbid",), GroupSpec(**self.params.forbid.model_dump()), languages
            )
        return problems

    def check(self, conversation: Conversation) -> Outcome:
        language = conversation.language
        for matcher in (self.require, self.forbid, *self.require_all):
            if matcher is not None and not matcher.covers(language):
                return not_applicable(
                    conversation, f"no phrase list for language '{language}' ({matcher.name})"
                )
        episodes: dict[int, tuple[Turn, Turn, str, PhraseMatch | None]] = {}  # keyed by the responding turn
        replies: dict[int, list[Turn]] = {}  # the turns of each reply (`reply`)
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
                replies[reply.index] = self._reply_turns(conversation.turns, reply)
            if self.params.triggers == "first":
                break
        if not triggered:
            return not_applicable(conversation, "no trigger (the customer was not upset)")
        if not episodes:
            return not_applicable(conversation, "no agent turn after the triggering turn")
        shown: Evidence | None = None  # the first reply that met the requirement
        for trigger, reply, why, where in episodes.values():
            note = _trigger_note(trigger, why, where)
            if self.forbid is not None and (said := self.forbid.find(reply, language)):
                detail = (
                    f"agent turn {reply.index} says '{reply.text[said[0].start : said[0].end]}' after {note}"
                )
                return failed(conversation, detail, Evidence.span(reply, said[0].start, said[0].end, note))
            if (
                self.params.reply_affect is not None
                and (reads := _hostile(reply, self.params.reply_affect))
                and not (self.affect_spared is not None and self.affect_spared.find(reply, language))
            ):
                detail = f"agent turn {reply.index} reads {reads} after {note}"
                return failed(conversation, detail, Evidence.whole_turn(reply, f"{reads}; {note}"))
            if self.require_all:
                lacking = [
                    g.name
                    for g in self.require_all
                    if not any(g.find(t, language) for t in replies[reply.index])
                ]
                if lacking:
                    detail = f"agent turn {reply.index} lacks {', '.join(lacking)} after {note}"
                    return failed(
                        conversation,
                        detail,
                        Evidence.whole_turn(reply, f"lacks {', '.join(lacking)}; {note}"),
                    )
            if self.require is None:
                shown = shown or Evidence.whole_turn(reply, note)
                continue
            found = self.require.find(reply, language)
            if not found:
                detail = f"agent turn {reply.index} does not meet the requirement after {note}"
                return failed(conversation, detail, Evidence.whole_turn(reply, note))
            shown = shown or Evidence.span(reply, found[0].start, found[0].end, note)
        detail = f"every agent reply after a trigger meets the requirement ({len(episodes)} checked)"
        return passed(conversation, detail, shown)

    def _reply_turns(self, turns: Sequence[Turn], first: Turn) -> list[Turn]:
        """The turns that make up the reply that starts at `first` (see `ConditionalParams.reply`)."""
        if self.params.reply == "turn":
            return [first]
        after = turns[[t.index for t in turns].index(first.index) :]
        reply = []
        for turn in after:
            if turn.speaker in self.params.trigger.speakers:
                break
            if turn.speaker in self.params.responders:
                reply.append(turn)
        return reply

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


def _hostile(turn: Turn, affect: ReplyAffect) -> str | None:
    """How the responding turn reads hostile ('anger 0.81', 'sentiment -0.92'), or None."""
    scores = turn.emotion_scores or {}
    if affect.emotion_threshold is not None:
        for emotion in affect.emotions:
            score = scores.get(emotion)
            if score is not None and score >= affect.emotion_threshold:
                return f"{emotion} {score:.2f}"
    score = turn.sentiment_score
    if affect.sentiment_at_most is not None and score is not None and score <= affect.sentiment_at_most:
        return f"sentiment {score:.2f}"
    return None


def _reads_neutral(turn: Turn) -> bool:
    """The emotion model's most likely emotion for the turn is neutral (False when there are no emotion scores)."""
    scores = turn.emotion_scores or {}
    return bool(scores) and max(scores, key=scores.__getitem__) == "neutral"


def _trigger_note(turn: Turn, why: str, where: PhraseMatch | None) -> str:
    if where is None:
        return f"trigger: turn {turn.index} ({why})"
    return f"trigger: turn {turn.index} [{where.start}, {where.end}) '{turn.text[where.start : where.end]}'"
