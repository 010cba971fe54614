"""What rule kinds look at: one ticket's turns with their Docs and affect, and what they answer (an Outcome).

The engine builds these views once per evaluation and shares them between all rules, so a kind never has to join
frames or look up Docs itself.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from itertools import groupby

import polars as pl
from spacy.tokens import Doc

from qa_engine.affect.textprep import own_words
from qa_engine.nlp.normalize import base_language
from qa_engine.schema import DEFAULT_CHANNEL

EVIDENCE_TEXT_LIMIT = 160  # whole-turn evidence shows at most this much of a long turn


@dataclass(frozen=True)
class Turn:
    """One turn: its position, speaker, text, Doc and (when the affect stage ran) sentiment and emotion."""

    index: int
    speaker: str
    text: str
    doc: Doc
    ts: datetime | None = None
    sentiment: str | None = None
    sentiment_score: float | None = None
    emotion: str | None = None
    emotion_scores: dict[str, float] | None = None


@dataclass(frozen=True)
class Conversation:
    """A ticket as the rules see it; `language` is a base code ('xx' when unknown), `turns` in order."""

    ticket_id: str
    language: str
    channel: str
    turns: tuple[Turn, ...]

    def by(self, speakers: Collection[str]) -> list[Turn]:
        """The turns written by any of `speakers`, in order."""
        return [turn for turn in self.turns if turn.speaker in speakers]


@dataclass(frozen=True)
class Evidence:
    """Where an outcome comes from: a turn and a character span [start, end) of its text, plus a note."""

    turn_index: int
    start: int
    end: int
    text: str
    note: str

    @classmethod
    def span(cls, turn: Turn, start: int, end: int, note: str) -> Evidence:
        return cls(turn.index, start, end, turn.text[start:end], note)

    @classmethod
    def whole_turn(cls, turn: Turn, note: str) -> Evidence:
        """The whole turn; its text is abbreviated past EVIDENCE_TEXT_LIMIT, the span stays exact."""
        text = (
            turn.text if len(turn.text) <= EVIDENCE_TEXT_LIMIT else turn.text[: EVIDENCE_TEXT_LIMIT - 1] + "…"
        )
        return cls(turn.index, 0, len(turn.text), text, note)

    def as_row(self) -> dict[str, object]:
        return {"turn_index": self.turn_index, "start": self.start, "end": self.end, "text": self.text,
                "note": self.note}  # fmt: skip


def abbreviate(text: str) -> str:
    """Text for whole-turn evidence: long turns are cut at EVIDENCE_TEXT_LIMIT characters."""
    return text if len(text) <= EVIDENCE_TEXT_LIMIT else text[: EVIDENCE_TEXT_LIMIT - 1] + "…"


@dataclass(frozen=True)
class Outcome:
    """One rule's verdict on one ticket: pass, fail or na, a one-line reason, and evidence when there is any."""

    ticket_id: str
    outcome: str
    detail: str
    evidence: Evidence | None = None


def passed(conversation: Conversation, detail: str, evidence: Evidence | None = None) -> Outcome:
    return Outcome(conversation.ticket_id, "pass", detail, evidence)


def failed(conversation: Conversation, detail: str, evidence: Evidence | None = None) -> Outcome:
    return Outcome(conversation.ticket_id, "fail", detail, evidence)


def not_applicable(conversation: Conversation, detail: str, evidence: Evidence | None = None) -> Outcome:
    return Outcome(conversation.ticket_id, "na", detail, evidence)


_AFFECT = ("sentiment", "sentiment_score", "emotion", "emotion_scores")


def build_conversations(
    tickets: pl.DataFrame, turns: pl.DataFrame, docs: Sequence[Doc]
) -> list[Conversation]:
    """One Conversation per ticket row, in ticket order; `docs[i]` belongs to row i of `turns`.

    Affect columns and `ts` are optional: missing ones read as None (rules that need them answer na).
    """
    extra = [c for c in ("ts", *_AFFECT) if c in turns.columns]
    ordered = (
        turns.select("ticket_id", "turn_index", "speaker", "text", *extra)
        .with_row_index("_row")
        .sort("ticket_id", "turn_index", maintain_order=True)
    )
    # whole columns as Python lists, then one pass: far cheaper than a dict per row from iter_rows(named=True)
    column = {name: ordered[name].to_list() for name in ordered.columns}
    absent = [None] * ordered.height
    ts, sentiment, sentiment_score, emotion, emotion_scores = (
        column.get(name, absent) for name in ("ts", *_AFFECT)
    )
    turns_by_ticket: dict[str, tuple[Turn, ...]] = {}
    ids = column["ticket_id"]
    for ticket_id, rows in groupby(range(ordered.height), key=ids.__getitem__):
        turns_by_ticket[ticket_id] = tuple(
            Turn(
                index=column["turn_index"][i],
                speaker=column["speaker"][i],
                text=own_words(column["text"][i] or ""),
                doc=docs[column["_row"][i]],
                ts=ts[i],
                sentiment=sentiment[i],
                sentiment_score=sentiment_score[i],
                emotion=emotion[i],
                emotion_scores=emotion_scores[i],
            )
            for i in rows
        )
    return [
        Conversation(
            ticket_id=ticket_id,
            language=base_language(language),
            channel=channel or DEFAULT_CHANNEL,
            turns=turns_by_ticket.get(ticket_id, ()),
        )
        for ticket_id, language, channel in tickets.select("ticket_id", "language", "channel").iter_rows()
    ]
