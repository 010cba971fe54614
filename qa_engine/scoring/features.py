"""One row per ticket with everything the tier conditions read, built with polars for the whole batch at once.

The conditions (`conditions.py`) are polars expressions over this frame, so tiering a batch is a handful of
vectorised passes instead of a Python view per ticket. A column a batch lacks (a ticket scored before key issues
existed, a test frame without emotion scores) is null here, which no condition fires on.

Customer turns count in two ways: *telling* turns say something about the mood (not empty, not a phatic "ok,
thanks" or "no, that's all": `UNTELLING_FLAGS`), and *spoken* turns are the ones with text at all (a closing "ok"
still counts as the customer's last word for `reason_unresolved`).
"""

from __future__ import annotations

import polars as pl

from qa_engine.affect.textprep import TEXTLESS_FLAGS, UNTELLING_FLAGS

# the turn fields a reason may quote: index and text for evidence, the affect for its wording
TURN_FIELDS = ("turn_index", "text", "sentiment", "sentiment_score", "emotion", "emotion_scores")
TURN_DEFAULTS: dict[str, pl.DataType] = {
    "text": pl.String(),
    "ts": pl.Datetime("us", "UTC"),
    "sentiment": pl.String(),
    "sentiment_score": pl.Float64(),
    "emotion": pl.String(),
    "affect_flag": pl.String(),
}
TICKET_DEFAULTS: dict[str, pl.DataType] = {
    "language": pl.String(),
    "contact_reason": pl.String(),
    "contact_sub_reason": pl.String(),
    "customer_resolved": pl.Boolean(),
    "escalation_risk": pl.Float64(),
    "escalation_evidence": pl.String(),
    "dissatisfaction_risk": pl.Float64(),
    "dissatisfaction_evidence": pl.String(),
}
FAILED_FIELDS = ("rule_id", "category", "critical", "detail", "evidence")


def _with_defaults(frame: pl.DataFrame, defaults: dict[str, pl.DataType]) -> pl.DataFrame:
    missing = [
        pl.lit(None, dtype).alias(name) for name, dtype in defaults.items() if name not in frame.columns
    ]
    return frame.with_columns(missing) if missing else frame


def _flagged(flags: tuple[str, ...]) -> pl.Expr:
    """The turn's affect flag is one of `flags` (a null flag is none of them)."""
    return pl.col("affect_flag").is_in(flags).fill_null(False)


def _emotion_score(scores: pl.DataType) -> pl.Expr:
    """The probability of the last telling turn's own emotion (0.0 when its scores do not name it)."""
    names = [f.name for f in scores.fields] if isinstance(scores, pl.Struct) else []
    out: pl.Expr = pl.lit(0.0)
    emotion = pl.col("last_telling").struct.field("emotion")
    scored = pl.col("last_telling").struct.field("emotion_scores")
    for name in names:
        out = pl.when(emotion == name).then(scored.struct.field(name).cast(pl.Float64)).otherwise(out)
    return out.fill_null(0.0)


def ticket_features(tickets: pl.DataFrame, turns: pl.DataFrame, rule_results: pl.DataFrame) -> pl.DataFrame:
    """Per ticket, in `tickets` order: the ticket columns the conditions read (risks as Float64), the first and
    last telling customer turn (structs of `TURN_FIELDS`) and their count, the last spoken customer turn, derived
    scalars (`first_sentiment`, `last_sentiment`, `last_emotion`, `last_emotion_score`, `spoken_sentiment`) and
    `failed`: the failed rule results in frame order, each with `at_positive_closing` (its evidence is the
    customer's positive last telling turn; null without any) and `at_untimed_turn` (its evidence is a turn without a
    time stamp that neither reads negative nor asks a question). `qa_score` is not here (`tiers.qa_scores`)."""
    turns = _with_defaults(turns, TURN_DEFAULTS)
    if "emotion_scores" not in turns.columns:
        turns = turns.with_columns(emotion_scores=pl.lit(None, pl.Struct({"neutral": pl.Float32()})))
    customer = (
        turns.filter(pl.col("speaker") == "customer")
        .sort("ticket_id", "turn_index")
        .with_columns(pl.col("sentiment_score").cast(pl.Float64))
    )
    turn = pl.struct(*TURN_FIELDS)
    telling = (
        customer.filter(~_flagged(UNTELLING_FLAGS))
        .group_by("ticket_id", maintain_order=True)
        .agg(n_telling=pl.len(), first_telling=turn.first(), last_telling=turn.last())
    )
    spoken = (
        customer.filter(~_flagged(TEXTLESS_FLAGS))
        .group_by("ticket_id", maintain_order=True)
        .agg(last_spoken=turn.last())
    )
    last = pl.col("last_telling").struct
    telling = telling.with_columns(
        first_sentiment=pl.col("first_telling").struct.field("sentiment_score"),
        last_sentiment=last.field("sentiment_score"),
        last_emotion=last.field("emotion"),
        last_emotion_score=_emotion_score(customer.schema["emotion_scores"]),
        closing_turn=pl.when(last.field("sentiment") == "positive").then(last.field("turn_index")),
    )
    untimed = turns.select(
        "ticket_id",
        _evidence_turn=pl.col("turn_index"),
        # a complaint or a question nobody answered is a problem with or without times; a plain statement may just
        # be where the export ends
        _untimed=pl.col("ts").is_null()
        & (pl.col("sentiment") != "negative").fill_null(True)
        & ~pl.col("text").str.contains("[?？]").fill_null(False),
    )
    failed = (
        rule_results.filter(pl.col("outcome") == "fail")
        .join(telling.select("ticket_id", "closing_turn"), on="ticket_id", how="left", maintain_order="left")
        .with_columns(_evidence_turn=pl.col("evidence").struct.field("turn_index").cast(pl.Int64))
        .join(untimed, on=["ticket_id", "_evidence_turn"], how="left", maintain_order="left")
        .with_columns(
            at_positive_closing=(pl.col("_evidence_turn") == pl.col("closing_turn")).fill_null(False),
            at_untimed_turn=pl.col("_untimed").fill_null(False),
        )
        .group_by("ticket_id", maintain_order=True)
        .agg(failed=pl.struct(*FAILED_FIELDS, "at_positive_closing", "at_untimed_turn"))
    )
    base = _with_defaults(tickets, TICKET_DEFAULTS).select(
        "ticket_id",
        *(pl.col(name).cast(dtype) for name, dtype in TICKET_DEFAULTS.items()),
    )
    return (
        base.join(telling, on="ticket_id", how="left", maintain_order="left")
        .join(spoken, on="ticket_id", how="left", maintain_order="left")
        .join(failed, on="ticket_id", how="left", maintain_order="left")
        .with_columns(
            n_telling=pl.col("n_telling").fill_null(0),
            spoken_sentiment=pl.col("last_spoken").struct.field("sentiment_score"),
        )
    )
