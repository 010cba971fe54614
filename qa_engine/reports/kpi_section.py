"""Service KPIs in the reports: each KPI of CONTRACT.md section 5 per agent, per team and for everyone, against the
rule pack's targets (`targets.yaml`), week over week, per channel and per week for the charts.

The figures are `qa_engine.kpi`'s own: its per-ticket facts (`load_facts`) aggregated by its KPI definitions
(`kpi_expressions`), so a report shows exactly what `qa kpi` prints for the same period. The facts are read once
per period and grouped here at every level the reports need, instead of one `kpi_table` call per level and week.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import polars as pl

from qa_engine.kpi import catalog
from qa_engine.kpi.catalog import KPI_NAMES, KPIS
from qa_engine.kpi.definitions import kpi_expressions
from qa_engine.kpi.facts import NO_SLA_CHANNELS as NO_SLA
from qa_engine.kpi.facts import load_facts
from qa_engine.kpi.targets import KpiSettings
from qa_engine.reports.period import Period
from qa_engine.store import Store

NO_TEAM = "(no team)"  # as in queries.py: tickets without a team are a group of their own
SHOWN: tuple[str, ...] = KPI_NAMES[1:]  # every KPI but the ticket count, in the contract's order
TITLES: dict[str, str] = {kpi.name: kpi.title for kpi in KPIS}
# how each KPI is printed (render.py's `kpi` filter): the catalog's unit, in the filter's words
KINDS: dict[str, str] = {
    kpi.name: {"seconds": "duration", "share": "rate"}.get(kpi.unit, kpi.unit) for kpi in KPIS
}
LEVELS: dict[str, pl.Expr] = {
    "agent": pl.col("agent_id"),
    "team": pl.col("team").fill_null(NO_TEAM),
    "all": pl.lit("all"),
}
EXTRA = {  # the emotional account: what the balance is made of
    "positive_turns": pl.col("positive_turns").sum(),
    "negative_turns": pl.col("negative_turns").sum(),
    "balance_total": pl.col("emotional_balance").sum(),
}


@dataclass
class KpiData:
    """The period's KPIs; every frame has `level` (agent/team/all) and `key`, then the KPI columns."""

    settings: KpiSettings
    period: pl.DataFrame  # over the whole period, plus the emotional account (EXTRA)
    weekly: pl.DataFrame  # `week`: 'this' (the period's last 7 days) or 'last' (the 7 before)
    channels: pl.DataFrame  # per `channel`
    channel_weeks: pl.DataFrame  # per `channel` and `week`
    series: pl.DataFrame  # per `week_start` (weeks ending on the period's last day), for the charts

    def of(self, frame: str, level: str, key: str) -> pl.DataFrame:
        table: pl.DataFrame = getattr(self, frame)
        return table.filter((pl.col("level") == level) & pl.col("key").eq_missing(key))

    def row(self, level: str, key: str) -> dict | None:
        rows = self.of("period", level, key)
        return rows.row(0, named=True) if rows.height else None


def _grouped(facts: pl.DataFrame, aggregates: list[pl.Expr], by: Sequence[str] = ()) -> pl.DataFrame:
    """The aggregates per level and key (and per `by` columns), stacked."""
    frames = []
    for level, key in LEVELS.items():
        grouped = facts.with_columns(key=key.cast(pl.String)).group_by(["key", *by]).agg(aggregates)
        frames.append(grouped.with_columns(level=pl.lit(level)))
    return pl.concat(frames, how="diagonal_relaxed")


def load_kpis(store: Store, period: Period, settings: KpiSettings) -> KpiData:
    """Every KPI of the period's tickets per agent, team and for everyone, per week and per channel."""
    facts, _ = load_facts(
        store,
        settings.sla_seconds,
        period.start,
        period.end,
        active_cap=settings.active_cap,
        business_hours=settings.business_hours,
    )
    day = pl.col("started_at").dt.date()
    weeks_back = (pl.lit(period.end) - day).dt.total_days() // 7
    facts = facts.with_columns(
        week=pl.when(day >= period.this_week_start)
        .then(pl.lit("this"))
        .when(day >= period.last_week_start)
        .then(pl.lit("last")),
        week_start=pl.lit(period.end) - pl.duration(days=6 + 7 * weeks_back),
    )
    kpis = [
        expr.cast(pl.Int64 if name == "tickets" else pl.Float64).alias(name)
        for name, expr in kpi_expressions(settings.agent_hour_cost).items()
    ]
    extra = [expr.cast(pl.Float64).alias(name) for name, expr in EXTRA.items()]
    return KpiData(
        settings=settings,
        period=_grouped(facts, kpis + extra),
        weekly=_grouped(facts.filter(pl.col("week").is_not_null()), kpis, ["week"]),
        channels=_grouped(facts, kpis, ["channel"]),
        channel_weeks=_grouped(facts.filter(pl.col("week").is_not_null()), kpis, ["channel", "week"]),
        series=_grouped(facts, kpis, ["week_start"]).sort("week_start"),
    )


@dataclass(frozen=True)
class KpiView:
    """One KPI of one group as a report shows it."""

    kpi: str
    title: str
    kind: str
    value: float | None
    target: str | None  # e.g. "≥ 0.95", None without a target
    status: str | None  # met / missed / None (no target or nothing measured)
    last: float | None  # last week's value
    this: float | None
    reference: float | None  # the team's median (agent report) or all teams' value (team report)
    reference_status: str | None

    @property
    def higher_is_better(self) -> bool:
        return higher_is_better(self.kpi, self.target)

    @property
    def delta(self) -> float | None:
        return None if self.last is None or self.this is None else self.this - self.last

    @property
    def verdict(self) -> str:
        if self.delta is None or abs(self.delta) < 1e-9:
            return "same"
        return "better" if (self.delta > 0) == self.higher_is_better else "worse"


def higher_is_better(kpi: str, target: str | None = None) -> bool:
    """A target's bound decides; without one, the catalog's direction."""
    if target is not None:
        return target.startswith("≥")
    return catalog.higher_is_better(kpi) is not False


def _target(settings: KpiSettings, kpi: str) -> str | None:
    target = settings.targets.get(kpi)
    return target.describe() if target else None


def kpi_views(data: KpiData, level: str, key: str, reference: dict | None) -> list[KpiView]:
    """Each KPI of the group with its target, status, week over week and the reference's value."""
    row = data.row(level, key) or {}
    weeks = {r["week"]: r for r in data.of("weekly", level, key).iter_rows(named=True)}
    views = []
    for kpi in SHOWN:
        ref = (reference or {}).get(kpi)
        views.append(
            KpiView(
                kpi, TITLES[kpi], KINDS[kpi], row.get(kpi), _target(data.settings, kpi),
                data.settings.status(kpi, row.get(kpi)), weeks.get("last", {}).get(kpi),
                weeks.get("this", {}).get(kpi), ref, data.settings.status(kpi, ref),
            )
        )  # fmt: skip
    return views


def median_of_agents(data: KpiData, agent_ids: Sequence[str]) -> dict[str, float | None]:
    """Per KPI, the median over these agents' own values (agents with nothing to measure left out)."""
    rows = data.period.filter((pl.col("level") == "agent") & pl.col("key").is_in(list(agent_ids)))
    if not rows.height:
        return {}
    return rows.select(pl.col(k).median() for k in (*SHOWN, *EXTRA)).row(0, named=True)


@dataclass(frozen=True)
class KpiCell:
    value: float | None
    status: str | None


@dataclass(frozen=True)
class AgentKpiRow:
    agent_id: str
    tickets: int
    cells: list[KpiCell]  # in the order of the table's columns


def agent_kpi_rows(data: KpiData, agent_ids: Sequence[str], columns: Sequence[str]) -> list[AgentKpiRow]:
    """One row per agent (in the given order) with these KPIs and their status against the targets."""
    rows = []
    for agent_id in agent_ids:
        row = data.row("agent", agent_id)
        if row is None:
            continue
        cells = [KpiCell(row[k], data.settings.status(k, row[k])) for k in columns]
        rows.append(AgentKpiRow(agent_id, row["tickets"], cells))
    return rows


@dataclass(frozen=True)
class ChannelKpiRow:
    channel: str
    sla_s: float | None  # None: the channel has no SLA (phone)
    tickets: int
    first_response_median_s: float | None
    sla_attainment: float | None
    status: str | None
    last: float | None
    this: float | None


def channel_rows(data: KpiData, level: str, key: str) -> list[ChannelKpiRow]:
    """First response and SLA attainment per channel, against the sla_attainment target, week over week."""
    weeks = {
        (r["channel"], r["week"]): r["sla_attainment"]
        for r in data.of("channel_weeks", level, key).iter_rows(named=True)
    }
    rows = []
    for r in data.of("channels", level, key).sort("channel", nulls_last=True).iter_rows(named=True):
        channel = r["channel"]
        rows.append(
            ChannelKpiRow(
                channel or "unknown", None if channel in NO_SLA else data.settings.sla_seconds.get(channel),
                r["tickets"], r["first_response_median_s"], r["sla_attainment"],
                data.settings.status("sla_attainment", r["sla_attainment"]),
                weeks.get((channel, "last")), weeks.get((channel, "this")),
            )
        )  # fmt: skip
    return rows


def series(data: KpiData, level: str, key: str, starts: Sequence[date], kpi: str) -> list[float | None]:
    """The KPI per week (None where a week has nothing to measure)."""
    values = {r["week_start"]: r[kpi] for r in data.of("series", level, key).iter_rows(named=True)}
    return [values.get(d) for d in starts]
