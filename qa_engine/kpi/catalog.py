"""The service KPIs, one record each: the only list of them. `qa kpi`, the reports and the review app read their
names, labels, units and which way is better from here; `definitions.py` says how each is computed (in polars).

Adding a KPI is a record here plus its expression in `definitions.kpi_expressions` (tests/kpi/test_catalog.py
checks the two agree). Kept free of polars so the CLI's `--help` and the web templates can read it cheaply.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Unit = Literal["count", "seconds", "share", "csat", "balance", "money"]
Direction = Literal["higher", "lower"]


@dataclass(frozen=True)
class Kpi:
    """One KPI as people and programs meet it."""

    name: str  # the contract's field name: the JSON key, the targets.yaml key, the store's snapshot key
    label: str  # what `qa kpi` and the review app call it
    title: str  # a report's heading for it
    unit: Unit  # how it is printed: a count, seconds (s/min/h), a share (0..1, as a percentage), a CSAT mean (1-5),
    # an emotional balance (points), money per contact
    direction: Direction | None  # which way is better when no target says (None: neither, the ticket count)
    definition: str  # what it measures, in one line
    short: str | None = None  # a column head in the team report's per-agent table (None: not a column there)


KPIS: tuple[Kpi, ...] = (
    Kpi("tickets", "tickets", "Tickets", "count", None, "tickets in the group"),
    Kpi(
        "first_response_median_s", "first response (median)", "First response (median)", "seconds", "lower",
        "median seconds from the first customer turn to the first agent turn after it", "1st response",
    ),
    Kpi(
        "sla_attainment", "SLA attainment", "First response within SLA", "share", "higher",
        "share of tickets (phone excluded) whose first response is within the channel's SLA", "SLA",
    ),
    Kpi(
        "fcr", "first-contact resolution", "First-contact resolution", "share", "higher",
        "share of tickets whose customer started no other ticket in the 7 days after", "FCR",
    ),
    Kpi("csat_mean", "CSAT (mean)", "CSAT (mean, 1–5)", "csat", "higher", "mean csat over tickets that carry one"),
    Kpi(
        "csat_satisfied", "CSAT satisfied (4-5)", "CSAT satisfied (4–5)", "share", "higher",
        "share of tickets with a csat whose csat is 4 or 5", "CSAT 4–5",
    ),
    Kpi(
        "handle_time_median_s", "handle time (median)", "Handle time (median)", "seconds", "lower",
        "median seconds from a ticket's first turn to its last",
    ),
    Kpi(
        "service_recovery", "service recovery", "Service recovery", "share", "higher",
        "share of tickets that start with a negative customer turn and do not end with one", "Recovery",
    ),
    Kpi(
        "escalation_rate", "escalation rate", "Escalation rate (risk ≥ 0.5)", "share", "lower",
        "share of tickets with escalation_risk at least 0.5", "Escalation",
    ),
    Kpi(
        "emotional_balance_mean", "emotional balance (mean)", "Emotional balance (mean)", "balance", "higher",
        "mean over tickets of +1 per positive and −3 per negative customer turn", "Balance",
    ),
    Kpi(
        "cost_per_contact", "cost per contact", "Cost per contact", "money", "lower",
        "mean agent time times the cost of an agent hour (null without a configured cost)", "Cost",
    ),
    Kpi(
        "agent_time_median_s", "agent time (median)", "Agent time (median)", "seconds", "lower",
        "median over tickets of the agent's working seconds, each gap capped at the channel's active_cap",
    ),
    Kpi(
        "escalated_rate", "escalated (recorded)", "Escalated (helpdesk record)", "share", "lower",
        "share of tickets the helpdesk recorded as escalated, among those that say",
    ),
    Kpi(
        "language_coverage", "language coverage", "Languages the rules cover", "share", "higher",
        "share of tickets in a language some rule of the pack names",
    ),
)  # fmt: skip

BY_NAME: dict[str, Kpi] = {kpi.name: kpi for kpi in KPIS}
KPI_NAMES: tuple[str, ...] = tuple(kpi.name for kpi in KPIS)
# KPIs that are shares (0..1): a target for one of them must lie in 0..1 too
SHARE_KPIS: frozenset[str] = frozenset(kpi.name for kpi in KPIS if kpi.unit == "share")
SECONDS_KPIS: frozenset[str] = frozenset(kpi.name for kpi in KPIS if kpi.unit == "seconds")
LABELS: dict[str, str] = {kpi.name: kpi.label for kpi in KPIS}


def higher_is_better(name: str) -> bool | None:
    """Whether a rise of this KPI is good when no target says (None for the ticket count)."""
    direction = BY_NAME[name].direction
    return None if direction is None else direction == "higher"
