"""Run every rule's own examples (`qa rules test`): each must-pass example must pass, each must-fail must fail.

Examples become ordinary tickets and turns frames and go through the real engine, so an example that passes here
passes in production. Pinned affect (sentiment, emotion) is written straight into the turns; unpinned turns get
the optional `affect` scorer's columns, or neutral affect when there is none, so examples never need a model.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import polars as pl
import polars.selectors as cs

from qa_engine.rules.engine import evaluate
from qa_engine.rules.loader import Rule, RulePack
from qa_engine.rules.models import Example, ExampleTurn
from qa_engine.rules.scopes import apply_scopes
from qa_engine.rules.suggestions import suggest
from qa_engine.schema import EMOTION_SCORES, TURNS_IN

# (turns, languages: ticket_id + language) -> the same turns with TURNS_AFFECT columns; the shape of
# qa_engine.affect's AffectScorer.score_turns, so that method can be passed as it is
AffectScorer = Callable[[pl.DataFrame, pl.DataFrame], pl.DataFrame]

EXAMPLE_START = datetime(2026, 1, 1, tzinfo=UTC)  # numeric `ts` values count seconds from here
EMOTIONS = tuple(EMOTION_SCORES.to_schema())
PINNED_SENTIMENT_SCORE = {"negative": -0.8, "neutral": 0.0, "positive": 0.8}
PINNED_EMOTION_SCORE = 0.9  # a pinned emotion without its own score


@dataclass(frozen=True)
class ExampleCase:
    """One example of one rule and the outcome it must get."""

    rule: Rule
    expected: str  # pass / fail / na
    index: int  # position within the rule's list for that outcome, from 0
    example: Example

    @property
    def ticket_id(self) -> str:
        return f"{self.rule.id}/{self.expected}/{self.index}"

    def describe(self) -> str:
        """The example in one line: language, channel (market, contact reason) and its turns."""
        turns = " | ".join(f"{t.speaker}: {t.text}" for t in self.example.turns)
        scope = [s for s in (self.example.market, self.example.contact_reason) if s]
        return f"[{', '.join([self.example.language, self.example.channel, *scope])}] {turns}"


@dataclass(frozen=True)
class ExampleResult:
    case: ExampleCase
    got: str
    detail: str
    suggestion: str | None = None  # what the pack suggests for a failed rule (`rules.suggestions`)

    @property
    def ok(self) -> bool:
        """The expected outcome; a failing example of a rule with a suggestion must get one too."""
        if self.got != self.case.expected:
            return False
        return self.got != "fail" or self.case.rule.spec.suggestion is None or bool(self.suggestion)


def example_cases(pack: RulePack) -> list[ExampleCase]:
    """Every example of every rule, in pack order: pass examples, then fail, then na."""
    return [
        ExampleCase(rule, expected, index, example)
        for rule in pack.rules
        for expected, examples in rule.spec.examples.by_outcome().items()
        for index, example in enumerate(examples)
    ]


def run_examples(
    pack: RulePack, cases: Sequence[ExampleCase] | None = None, *, affect: AffectScorer | None = None
) -> list[ExampleResult]:
    """Evaluate the cases (default: all of the pack's) and report what each got, in the same order."""
    cases = example_cases(pack) if cases is None else list(cases)
    if not cases:
        return []
    tickets, turns = example_frames(cases, affect=affect)
    results = apply_scopes(pack.rules, tickets, evaluate(pack, tickets, turns))
    results = suggest(pack.rules, tickets, turns, results)
    wanted = pl.DataFrame(
        {"ticket_id": [c.ticket_id for c in cases], "rule_id": [c.rule.id for c in cases]},
        schema={"ticket_id": pl.String, "rule_id": pl.String},
    )
    got = wanted.join(results, on=["ticket_id", "rule_id"], how="left", maintain_order="left")
    return [
        ExampleResult(case, outcome, detail, suggestion)
        for case, outcome, detail, suggestion in zip(
            cases, got["outcome"], got["detail"], got["suggestion"], strict=True
        )
    ]


def _reason_and_sub(named: str | None) -> tuple[str | None, str | None]:
    """(contact_reason, contact_sub_reason) of an example that names a reason (`logistics`) or a sub-reason
    (`logistics.tracking`)."""
    if named is None:
        return None, None
    reason, dot, _ = named.partition(".")
    return reason, named if dot else None


def example_frames(
    cases: Sequence[ExampleCase], *, affect: AffectScorer | None = None
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The tickets and turns frames (TURNS_IN plus affect columns) for a list of example cases."""
    reasons = [_reason_and_sub(c.example.contact_reason) for c in cases]
    tickets = pl.DataFrame(
        {
            "ticket_id": [c.ticket_id for c in cases],
            "language": [c.example.language for c in cases],
            "channel": [c.example.channel for c in cases],
            "market": [c.example.market for c in cases],
            "contact_reason": [reason for reason, _ in reasons],
            "contact_sub_reason": [sub for _, sub in reasons],
        },
        schema={
            "ticket_id": pl.String,
            "language": pl.String,
            "channel": pl.String,
            "market": pl.String,
            "contact_reason": pl.String,
            "contact_sub_reason": pl.String,
        },
    )
    rows = [
        _turn_row(case.ticket_id, index, turn)
        for case in cases
        for index, turn in enumerate(case.example.turns)
    ]
    pins = pl.DataFrame(
        rows,
        schema={
            **TURNS_IN,
            "pin_sentiment": pl.String,
            "pin_sentiment_score": pl.Float32,
            "pin_emotion": pl.String,
            "pin_emotion_scores": EMOTION_SCORES,
        },
    )
    scored = _score(pins.select(TURNS_IN.keys()), tickets.select("ticket_id", "language"), affect)
    turns = pl.concat([scored, pins.select(cs.starts_with("pin_"))], how="horizontal").with_columns(
        sentiment=pl.coalesce("pin_sentiment", "sentiment"),
        sentiment_score=pl.coalesce("pin_sentiment_score", "sentiment_score"),
        emotion=pl.coalesce("pin_emotion", "emotion"),
        emotion_scores=pl.when(pl.col("pin_emotion_scores").is_not_null())
        .then(pl.col("pin_emotion_scores"))
        .otherwise(pl.col("emotion_scores")),
    )
    return tickets, turns.drop(cs.starts_with("pin_"))


def _turn_row(ticket_id: str, index: int, turn: ExampleTurn) -> dict[str, object]:
    ts = turn.ts
    if isinstance(ts, int | float):
        ts = EXAMPLE_START + timedelta(seconds=ts)
    elif isinstance(ts, datetime) and ts.tzinfo is None:
        ts = ts.replace(tzinfo=UTC)
    sentiment, score = turn.sentiment, turn.sentiment_score
    if sentiment is not None and score is None:
        score = PINNED_SENTIMENT_SCORE[sentiment]
    elif sentiment is None and score is not None:
        sentiment = "negative" if score <= -0.25 else "positive" if score >= 0.25 else "neutral"
    emotion_scores = None
    if turn.emotion is not None:
        top = turn.emotion_score if turn.emotion_score is not None else PINNED_EMOTION_SCORE
        rest = (1 - top) / (len(EMOTIONS) - 1)
        emotion_scores = {e: top if e == turn.emotion else rest for e in EMOTIONS}
    return {
        "ticket_id": ticket_id, "turn_index": index, "speaker": turn.speaker, "text": turn.text, "ts": ts,
        "agent_id": None, "pin_sentiment": sentiment, "pin_sentiment_score": score, "pin_emotion": turn.emotion,
        "pin_emotion_scores": emotion_scores,
    }  # fmt: skip


def _score(turns: pl.DataFrame, languages: pl.DataFrame, affect: AffectScorer | None) -> pl.DataFrame:
    """The scorer's affect columns, or neutral affect for every turn when there is no scorer."""
    if affect is not None:
        scored = affect(turns, languages)
        return scored.select(*TURNS_IN.keys(), "sentiment", "sentiment_score", "emotion", "emotion_scores")
    neutral = {e: 1.0 if e == "neutral" else 0.0 for e in EMOTIONS}
    return turns.with_columns(
        sentiment=pl.lit("neutral"),
        sentiment_score=pl.lit(0.0, dtype=pl.Float32),
        emotion=pl.lit("neutral"),
        emotion_scores=pl.lit(neutral, dtype=EMOTION_SCORES),
    )
