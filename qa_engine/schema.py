"""The canonical tables every stage after the sources works on (DESIGN.md: one canonical data model).

A stage is a function from these polars frames to new columns or new frames; column names and types are fixed here,
so a new source or stage never has to guess them.
"""

from __future__ import annotations

import polars as pl

SPEAKERS: tuple[str, ...] = ("customer", "agent", "bot", "system")
CHANNELS: tuple[str, ...] = ("chat", "email", "phone", "social", "other")
TIERS: tuple[str, ...] = ("red", "yellow", "green")
OUTCOMES: tuple[str, ...] = ("pass", "fail", "na")
CATEGORIES: tuple[str, ...] = (
    "first_impression", "inquiry", "reassurance", "empathy", "closing", "compliance", "timeliness",
    "composure", "nvc", "language",
)  # fmt: skip
LANGUAGES: tuple[str, ...] = ("en", "zh", "de", "ja", "es", "fr")  # served by the default rule pack
DEFAULT_CHANNEL = "chat"
# lower_snake_case, the form of every id a pack or the taxonomy names: rule ids, sub-reason ids, escalation signals
ID_PATTERN = r"[a-z][a-z0-9_]*"
# CONTRACT.md section 3: a ticket's `contact_reason` (qa_engine.reasons); rules may be scoped by them
CONTACT_REASONS: tuple[str, ...] = (
    "presales", "order", "payment", "logistics", "returns", "complaint", "account", "other",
)  # fmt: skip

# One row per ticket, as read (before scoring). `source`/`location` say where it came from (file, line or rows).
TICKETS_IN: dict[str, pl.DataType] = {
    "ticket_id": pl.String(),
    "channel": pl.String(),
    "language": pl.String(),  # null until detected
    "agent_id": pl.String(),  # null: the agent with the most turns
    "team": pl.String(),
    "customer_id": pl.String(),
    "created_at": pl.Datetime("us", "UTC"),
    "csat": pl.Int64(),
    "escalated": pl.Boolean(),  # the helpdesk escalated it (CONTRACT section 1); null when it does not say
    "metadata": pl.String(),  # JSON text, carried through
    "source": pl.String(),
    "location": pl.String(),
    "content_hash": pl.String(),  # sha256 of the canonical ticket JSON: unchanged tickets are not rescored
}

# One row per turn, in conversation order.
TURNS_IN: dict[str, pl.DataType] = {
    "ticket_id": pl.String(),
    "turn_index": pl.Int64(),
    "speaker": pl.String(),
    "text": pl.String(),
    "ts": pl.Datetime("us", "UTC"),
    "agent_id": pl.String(),
}

# Affect columns the affect stage adds to turns.
EMOTION_SCORES = pl.Struct(
    {e: pl.Float32() for e in ("anger", "disgust", "fear", "joy", "sadness", "surprise", "neutral")}
)
TURNS_AFFECT: dict[str, pl.DataType] = {
    "sentiment": pl.String(),
    "sentiment_score": pl.Float32(),
    "emotion": pl.String(),
    "emotion_scores": EMOTION_SCORES,
    # null, or why the reading is not the model's own (empty text, a phatic reply, a negative sentence, ...)
    "affect_flag": pl.String(),
}

# Evidence of a rule outcome or tier reason: which turn and which characters of its text.
EVIDENCE = pl.Struct(
    {
        "turn_index": pl.Int64(),
        "start": pl.Int64(),
        "end": pl.Int64(),
        "text": pl.String(),
        "note": pl.String(),
    }
)
RULE_RESULTS: dict[str, pl.DataType] = {
    "ticket_id": pl.String(),
    "rule_id": pl.String(),
    "outcome": pl.String(),  # pass / fail / na
    "critical": pl.Boolean(),
    "category": pl.String(),
    "weight": pl.Float64(),
    "evidence": EVIDENCE,  # null when there is nothing to point at
    "detail": pl.String(),  # one line: why this outcome
    "suggestion": pl.String(),  # failed rules: what to write instead, after which turn (rules.suggestions)
}


def empty(schema: dict[str, pl.DataType]) -> pl.DataFrame:
    return pl.DataFrame(schema=schema)
