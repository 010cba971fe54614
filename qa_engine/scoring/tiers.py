"""QA score, customer mood and the red/yellow/green tier of every ticket, with reasons and evidence."""

from __future__ import annotations

import json
from typing import Any

import polars as pl

from qa_engine.nlp.normalize import base_language
from qa_engine.scoring.conditions import CONDITIONS, Reason
from qa_engine.scoring.features import ticket_features
from qa_engine.scoring.policy import ConditionSpec, TierPolicy

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
TIERS = ("red", "yellow")  # in the order they win


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
    it is at least yellow with the reason `language not covered: <code>` (its script was never checked).

    Each condition of the policy is a polars expression over the feature frame (`features.ticket_features`), the
    tier one `when(red).then("red").when(yellow)...` over them; only the tickets that end up red or yellow get
    their reasons worded, by the conditions that fired in their tier."""
    scores = qa_scores(rule_results)
    mood = customer_mood(turns, policy)
    base = (
        tickets.select("ticket_id")
        .join(scores, on="ticket_id", how="left")
        .join(mood, on="ticket_id", how="left")
    )
    base = base.with_columns(pl.col("qa_score").fill_null(100.0))

    features = base.select("ticket_id", "qa_score").join(
        ticket_features(tickets, turns, rule_results), on="ticket_id", how="left", maintain_order="left"
    )
    checks = {
        name: [_Gated(spec, policy.risk_gate(spec)) for spec in getattr(policy, name)] for name in TIERS
    }
    fired = {
        f"_{name}{i}": gated.fires() for name in TIERS for i, gated in enumerate(checks[name])
    }  # one boolean column per condition
    language = pl.col("language").fill_null("")  # base_language: None and blank are both the fallback code
    codes = features.select(language.unique())["language"].to_list()
    is_covered = {code: covered is None or base_language(code) in covered for code in codes}
    frame = features.with_columns(
        language.replace_strict(is_covered, return_dtype=pl.Boolean).alias("_covered"),
        **fired,
    )
    tier = pl.lit("green")
    for name in reversed(TIERS):
        columns = [pl.col(f"_{name}{i}") for i in range(len(checks[name]))]
        if columns:
            tier = pl.when(pl.any_horizontal(columns)).then(pl.lit(name)).otherwise(tier)
    frame = frame.with_columns(tier=tier).with_columns(
        tier=pl.when(~pl.col("_covered") & (pl.col("tier") == "green"))
        .then(pl.lit("yellow"))
        .otherwise("tier")
    )

    reasons: list[list[str]] = [[] for _ in range(frame.height)]
    evidence = ["[]"] * frame.height
    worded = frame.with_row_index("_row").filter((pl.col("tier") != "green") | ~pl.col("_covered"))
    for row in worded.iter_rows(named=True):
        found: list[Reason] = []
        name = row["tier"]
        if name in checks:
            for i, gated in enumerate(checks[name]):
                if row[f"_{name}{i}"]:
                    found.extend(gated.reasons(row))
        if not row["_covered"]:
            found.append(Reason(UNCOVERED_REASON, f"language not covered: {base_language(row['language'])}"))
        reasons[row["_row"]] = [r.text for r in found]
        evidence[row["_row"]] = json.dumps(
            [{"reason": r.id, **(r.evidence or {})} for r in found], ensure_ascii=False
        )
    return base.with_columns(
        tier=frame["tier"],
        tier_reasons=pl.Series(reasons, dtype=pl.List(pl.String)),
        tier_evidence=pl.Series(evidence, dtype=pl.String),
        language_covered=frame["_covered"],
    ).select(list(TIER_COLUMNS))


class _Gated:
    """A condition of the policy with its risk gate (`confirmed_by_risk`): with a gate it fires only where the
    ticket's dissatisfaction risk is null or at least the gate, and each reason then says that the outcome model
    agrees; a spec's `id` renames its reasons."""

    def __init__(self, spec: ConditionSpec, gate: float | None) -> None:
        self.spec, self.gate = spec, gate
        self.check = CONDITIONS[spec.when](spec.settings)

    def fires(self) -> pl.Expr:
        fires = self.check.fires.fill_null(False)
        if self.gate is not None:
            risk = pl.col("dissatisfaction_risk")
            fires = fires & (risk.is_null() | (risk >= self.gate))
        return fires

    def reasons(self, row: dict[str, Any]) -> list[Reason]:
        found = self.check.reasons(row)
        risk = row["dissatisfaction_risk"]
        for r in found:
            if self.spec.id:
                r.id = self.spec.id
            if self.gate is not None and risk is not None:
                r.text += f"; dissatisfaction risk {risk:.2f} >= {self.gate:.2f} agrees"
        return found
