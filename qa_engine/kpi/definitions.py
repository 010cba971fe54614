"""How each service KPI of `catalog.KPIS` is computed: one aggregate over the per-ticket facts (`facts.py`).

The contract is the definition; this module only says it in polars. Shares are means of booleans and medians are
polars medians (an even count gives the mean of the two middle values); both skip nulls, so a ticket with nothing to
measure does not count, and a group with nothing to measure at all gets null.
"""

from __future__ import annotations

import polars as pl

from qa_engine.kpi.catalog import KPI_NAMES, SHARE_KPIS

__all__ = ["KPI_NAMES", "SHARE_KPIS", "compute_kpis", "kpi_expressions"]

CSAT_SATISFIED_FROM = 4  # csat 4 and 5 count as satisfied
ESCALATION_FROM = 0.5  # escalation_risk at or above this counts as escalated

# `qa kpi --by` value -> the ticket column that keys the group (and each JSON object)
GROUPINGS: dict[str, str] = {
    "agent": "agent_id",
    "team": "team",
    "channel": "channel",
    "language": "language",
    "reason": "contact_reason",
}
DEFAULT_GROUPING = "team"  # one row per team: the level support leaders steer by


def kpi_expressions(agent_hour_cost: float | None) -> dict[str, pl.Expr]:
    """KPI name -> its aggregate over a group of per-ticket facts."""
    handle_time, agent_time = pl.col("handle_time_s"), pl.col("agent_time_s")
    # agent time, not the wall clock: a two-day e-mail thread is not 48 agent-hours
    cost = (
        agent_time.mean() * agent_hour_cost / 3600
        if agent_hour_cost is not None
        else pl.lit(None, dtype=pl.Float64)
    )
    return {
        "tickets": pl.len().cast(pl.Int64),
        "first_response_median_s": pl.col("first_response_s").median(),
        "sla_attainment": pl.col("sla_met").mean(),
        "fcr": pl.col("fcr").mean(),
        "csat_mean": pl.col("csat").mean(),
        "csat_satisfied": (pl.col("csat") >= CSAT_SATISFIED_FROM).mean(),
        "handle_time_median_s": handle_time.median(),
        "service_recovery": pl.col("recovered").mean(),
        "escalation_rate": (pl.col("escalation_risk") >= ESCALATION_FROM).mean(),
        "emotional_balance_mean": pl.col("emotional_balance").mean(),
        "cost_per_contact": cost,
        "agent_time_median_s": agent_time.median(),
        # what the helpdesk recorded, beside the predicted escalation_rate; null when no ticket says
        "escalated_rate": pl.col("escalated").cast(pl.Float64).mean(),
        # share of tickets in a language some rule of the pack names (the rest are judged by SLAs and PII only)
        "language_coverage": pl.col("language_covered").cast(pl.Float64).mean(),
    }


def compute_kpis(
    facts: pl.DataFrame, group_column: str | None, agent_hour_cost: float | None
) -> pl.DataFrame:
    """One row per group (sorted by key, tickets without one last) with the group column and every KPI; with
    `group_column` None, one row over all the facts (tickets 0 and nulls when there are none)."""
    aggregates = [expr.cast(pl.Int64 if name == "tickets" else pl.Float64).alias(name)
                  for name, expr in kpi_expressions(agent_hour_cost).items()]  # fmt: skip
    if group_column is None:
        return facts.select(aggregates)
    return (
        facts.group_by(group_column)
        .agg(aggregates)
        .sort(group_column, nulls_last=True)
        .select(pl.col(group_column).cast(pl.String), *KPI_NAMES)
    )
