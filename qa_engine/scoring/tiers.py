"""QA score, customer mood and the red/yellow/green tier of every ticket, with reasons and evidence."""

from __future__ import annotations

import json

import polars as pl

from qa_engine.nlp.normalize import base_language
from qa_engine.scoring.conditions import CONDITIONS, Reason, TicketView
from qa_engine.scoring.policy import TierPolicy

TIER_COLUMNS: dict[str, pl.DataType] = {
    "ticket_id": pl.String(),
    "tier": pl.String(),
    "qa_score": pl.Float64(),
    "tier_reasons": pl.List(pl.String()),
    "tier_evidence": pl.String(),  # JSON list of {reason, turn_index, start, end, text, note}
    "customer_sentiment_start": pl.Float64(),
    "customer_sentiment_end": pl.Float64(),
    "emotional_balance": pl.Float64(),
    "language_covered": pl.Boolean(),  # some rule of the pack names the ticket's language (CONTRACT section 3)
}
UNCOVERED_REASON = "language_not_covered"


def qa_scores(rule_results: pl.DataFrame) -> pl.DataFrame:
    """100 x passed weight / (passed + failed weight), na excluded; 100 when no rule applies."""
    return (
        rule_results.group_by("ticket_id")
        .agg(
            passed=pl.col("weight").filter(pl.col("outcome") == "pass").sum(),
            judged=pl.col("weight").filter(pl.col("outcome") != "na").sum(),
        )
        .select(
            "ticket_id",
            qa_score=pl.when(pl.col("judged") > 0)
            .then((100.0 * pl.col("passed") / pl.col("judged")).round(1))
            .otherwise(100.0),
        )
    )


def customer_mood(turns: pl.DataFrame, policy: TierPolicy) -> pl.DataFrame:
    """Sentiment at the first and last customer turn, and the emotional balance over the conversation."""
    customer = turns.filter(pl.col("speaker") == "customer").sort("ticket_id", "turn_index")
    return customer.group_by("ticket_id").agg(
        customer_sentiment_start=pl.col("sentiment_score").first().cast(pl.Float64),
        customer_sentiment_end=pl.col("sentiment_score").last().cast(pl.Float64),
        emotional_balance=(
            (pl.col("sentiment") == "positive").sum() * policy.balance_positive
            + (pl.col("sentiment") == "negative").sum() * policy.balance_negative
        ).cast(pl.Float64),
    )


def assign_tiers(
    tickets: pl.DataFrame,
    turns: pl.DataFrame,
    rule_results: pl.DataFrame,
    policy: TierPolicy,
    covered: frozenset[str] | None = None,
) -> pl.DataFrame:
    """One row per ticket with `TIER_COLUMNS`. `covered`: the languages the pack's rules name
    (`RulePack.covered_languages`; None: all). A ticket in another language is never green, whatever the policy:
    it is at least yellow with the reason `language not covered: <code>` (its script was never checked)."""
    scores = qa_scores(rule_results)
    mood = customer_mood(turns, policy)
    base = (
        tickets.select("ticket_id")
        .join(scores, on="ticket_id", how="left")
        .join(mood, on="ticket_id", how="left")
    )
    base = base.with_columns(pl.col("qa_score").fill_null(100.0))

    customer = turns.filter(pl.col("speaker") == "customer").sort("ticket_id", "turn_index")
    turns_by = _rows_by_ticket(customer)
    results_by = _rows_by_ticket(rule_results)
    ticket_rows = {row["ticket_id"]: row for row in tickets.iter_rows(named=True)}

    tiers, reasons, evidence, covered_flags = [], [], [], []
    for row in base.iter_rows(named=True):
        tid = row["ticket_id"]
        view = TicketView(
            ticket=ticket_rows[tid],
            customer_turns=turns_by.get(tid, []),
            rule_results=results_by.get(tid, []),
            qa_score=row["qa_score"],
        )
        tier, fired = "green", []
        for name in ("red", "yellow"):
            fired = [r for spec in getattr(policy, name) for r in _run(spec, view, policy.risk_gate(spec))]
            if fired:
                tier = name
                break
        language = base_language(ticket_rows[tid].get("language"))
        is_covered = covered is None or language in covered
        if not is_covered:
            fired = [*fired, Reason(UNCOVERED_REASON, f"language not covered: {language}")]
            tier = "yellow" if tier == "green" else tier
        covered_flags.append(is_covered)
        tiers.append(tier)
        reasons.append([r.text for r in fired])
        evidence.append(
            json.dumps([{"reason": r.id, **(r.evidence or {})} for r in fired], ensure_ascii=False)
        )
    return base.with_columns(
        tier=pl.Series(tiers, dtype=pl.String),
        tier_reasons=pl.Series(reasons, dtype=pl.List(pl.String)),
        tier_evidence=pl.Series(evidence, dtype=pl.String),
        language_covered=pl.Series(covered_flags, dtype=pl.Boolean),
    ).select(list(TIER_COLUMNS))


def _rows_by_ticket(frame: pl.DataFrame) -> dict[str, list[dict]]:
    """The frame's rows as dicts, grouped by ticket_id in frame order: one `to_dicts` for the whole batch, not
    a small frame per ticket (partition_by + to_dicts per ticket was most of the tier stage)."""
    grouped: dict[str, list[dict]] = {}
    for row in frame.to_dicts():
        grouped.setdefault(row["ticket_id"], []).append(row)
    return grouped


def _run(spec, view: TicketView, gate: float | None = None) -> list[Reason]:
    """The condition's reasons; with a risk `gate` (`confirmed_by_risk`), none unless the ticket's
    dissatisfaction risk is null or at least the gate, and each reason then says that the outcome model agrees."""
    risk = view.ticket.get("dissatisfaction_risk")
    if gate is not None and risk is not None and risk < gate:
        return []
    found = CONDITIONS[spec.when](view, spec.settings)
    for r in found:
        if spec.id:
            r.id = spec.id
        if gate is not None and risk is not None:
            r.text += f"; dissatisfaction risk {risk:.2f} >= {gate:.2f} agrees"
    return found
