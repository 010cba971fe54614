"""The team report's content: agents ranked, the agent x rule heat map, languages, channels, week over week.

Pure, like `agent.py`: it arranges the aggregates `queries.load_period` computed. The report for all teams is the
same report one level up: its reference is nobody (it is everyone) and it adds a row per team.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl

from qa_engine.kpi.catalog import KPIS, SHARE_KPIS
from qa_engine.reports import charts
from qa_engine.reports.agent import CategoryRow, category_rows, trend_chart
from qa_engine.reports.coaching_section import FocusRow, focus_rows
from qa_engine.reports.dissatisfied import DissatisfiedShare, dissatisfied_share
from qa_engine.reports.dissatisfied import counts as dissatisfied_counts
from qa_engine.reports.keyissues import (
    Escalation,
    ReasonRow,
    SignalRow,
    escalation,
    rate,
    reason_rows,
    reason_weeks,
    signal_rows,
)
from qa_engine.reports.kpi_section import (
    KINDS,
    SHOWN,
    TITLES,
    AgentKpiRow,
    ChannelKpiRow,
    KpiView,
    agent_kpi_rows,
    channel_rows,
    kpi_views,
    series,
)
from qa_engine.reports.queries import PeriodData, top_failed_rules
from qa_engine.reports.rulebook import CATEGORY_TITLES, Rulebook, RuleNote
from qa_engine.schema import CATEGORIES

ALL = "all"
# the per-agent KPI table: the figures a team lead compares agents by (all KPIs are in the team's own table)
AGENT_KPIS: tuple[str, ...] = tuple(kpi.name for kpi in KPIS if kpi.short)
AGENT_KPI_TITLES: dict[str, str] = {kpi.name: kpi.short for kpi in KPIS if kpi.short}


@dataclass(frozen=True)
class AgentRow:
    rank: int
    agent_id: str
    team: str | None
    tickets: int
    red: int
    yellow: int
    green: int
    score_mean: float
    score_delta: float | None  # this week's mean minus last week's
    recovery: float | None
    sla: float | None
    top_rule: RuleNote | None  # the rule the agent fails most
    dissatisfied: DissatisfiedShare | None = (
        None  # the agent's likely-dissatisfied customers against the team's
    )


@dataclass(frozen=True)
class HeatColumn:
    number: int
    note: RuleNote


@dataclass(frozen=True)
class HeatCell:
    rule_id: str
    fails: int
    applicable: int
    rate: float | None  # None: the rule never applied to this agent's tickets


@dataclass(frozen=True)
class HeatRow:
    agent_id: str
    cells: list[HeatCell]


@dataclass(frozen=True)
class MixRow:
    value: str
    tickets: int
    red: int
    yellow: int
    green: int
    score_mean: float
    sla: float | None = None


@dataclass(frozen=True)
class ChangeRow:
    metric: str
    last: float | None
    this: float | None
    higher_is_better: bool
    kind: str  # "count", "score" or "rate": how to print it

    @property
    def delta(self) -> float | None:
        return None if self.last is None or self.this is None else self.this - self.last

    @property
    def verdict(self) -> str:
        """'better', 'worse' or 'same', for the arrow's colour."""
        if self.delta is None or self.kind == "count" or abs(self.delta) < 1e-9:
            return "same"
        return "better" if (self.delta > 0) == self.higher_is_better else "worse"


@dataclass
class TeamReport:
    team: str | None  # None: all teams
    title: str
    period_label: str
    bucket_name: str
    link_agents: bool
    summary: dict | None = None
    reference: dict | None = None
    reference_label: str = ""
    agents: list[AgentRow] = field(default_factory=list)
    heat_columns: list[HeatColumn] = field(default_factory=list)
    heat_rows: list[HeatRow] = field(default_factory=list)
    categories: list[CategoryRow] = field(default_factory=list)
    languages: list[MixRow] = field(default_factory=list)
    channels: list[MixRow] = field(default_factory=list)
    teams: list[MixRow] = field(default_factory=list)
    changes: list[ChangeRow] = field(default_factory=list)
    reasons: list[ReasonRow] = field(default_factory=list)
    escalation: Escalation | None = None
    dissatisfied: DissatisfiedShare | None = (
        None  # the team's likely-dissatisfied customers against all teams'
    )
    signals: list[SignalRow] = field(default_factory=list)
    kpis: list[KpiView] = field(default_factory=list)
    kpi_columns: list[tuple[str, str, str]] = field(default_factory=list)  # (kpi, short title, kind)
    agent_kpis: list[AgentKpiRow] = field(default_factory=list)
    channel_kpis: list[ChannelKpiRow] = field(default_factory=list)
    currency: str | None = None
    focus: list[FocusRow] = field(default_factory=list)
    coaching_sessions: int = 0
    trend: charts.Chart | None = None
    mix: charts.Chart | None = None
    reason_chart: charts.Chart | None = None
    kpi_chart: charts.Chart | None = None

    @property
    def empty(self) -> bool:
        return self.summary is None or not self.summary.get("tickets")


def _mix_rows(frame: pl.DataFrame, sla: dict[str, float | None] | None = None) -> list[MixRow]:
    return [
        MixRow(r["value"] or "unknown", r["tickets"], r["red"], r["yellow"], r["green"], r["score_mean"],
               (sla or {}).get(r["value"]))
        for r in frame.sort(["tickets", "value"], descending=[True, False]).iter_rows(named=True)
    ]  # fmt: skip


def _agent_rows(
    data: PeriodData, rulebook: Rulebook, agents: pl.DataFrame, reference: tuple[int, int] = (0, 0)
) -> list[AgentRow]:
    """The agents ranked by mean score; `reference`: the team's (likely dissatisfied, judged) tickets."""
    weekly = data.weekly.filter(pl.col("level") == "agent")
    means = {(r["key"], r["week"]): r["score_mean"] for r in weekly.iter_rows(named=True)}
    top = {r["agent_id"]: r["rule_id"] for r in top_failed_rules(data.rules, limit=1).iter_rows(named=True)}
    ranked = agents.sort(["score_mean", "red", "tickets", "key"], descending=[True, False, True, False])
    rows = []
    for rank, r in enumerate(ranked.iter_rows(named=True), start=1):
        this, last = means.get((r["key"], "this")), means.get((r["key"], "last"))
        rows.append(
            AgentRow(
                rank, r["key"], r["main_team"], r["tickets"], r["red"], r["yellow"], r["green"], r["score_mean"],
                this - last if this is not None and last is not None else None,
                rate(r["recovered"], r["negative_start"]), rate(r["sla_met"], r["sla_measured"]),
                rulebook.note(top[r["key"]]) if r["key"] in top else None,
                DissatisfiedShare(rulebook.likely_dissatisfied, *dissatisfied_counts(r), *reference),
            )
        )  # fmt: skip
    return rows


def _heat_map(
    data: PeriodData, rulebook: Rulebook, agent_ids: list[str]
) -> tuple[list[HeatColumn], list[HeatRow]]:
    rules = data.rules.filter((pl.col("level") == "agent") & pl.col("key").is_in(agent_ids))
    stats = {(r["key"], r["rule_id"]): r for r in rules.iter_rows(named=True)}
    meta = {r["rule_id"]: r for r in rules.iter_rows(named=True)}
    applied = (  # rules that applied to at least one of these agents' tickets
        rules.group_by("rule_id")
        .agg(applicable=(pl.col("passes") + pl.col("fails")).sum())
        .filter(pl.col("applicable") > 0)["rule_id"]
        .to_list()
    )
    columns = [
        HeatColumn(i, rulebook.note(rid, meta[rid]["category"], meta[rid]["weight"], meta[rid]["critical"]))
        for i, rid in enumerate(rulebook.order(applied), start=1)
    ]
    rows = []
    for agent_id in agent_ids:
        cells = []
        for column in columns:
            row = stats.get((agent_id, column.note.rule_id))
            fails, applicable = (row["fails"], row["passes"] + row["fails"]) if row else (0, 0)
            cells.append(HeatCell(column.note.rule_id, fails, applicable, rate(fails, applicable)))
        rows.append(HeatRow(agent_id, cells))
    return columns, rows


def _changes(data: PeriodData, level: str, key: str) -> list[ChangeRow]:
    weeks = {r["week"]: r for r in data.of("weekly", level, key).iter_rows(named=True)}
    last, this = weeks.get("last"), weeks.get("this")
    measures = [  # name, value of a week's summary row, higher is better, how to print it
        ("Tickets", lambda w: w["tickets"], True, "count"),
        ("Mean QA score", lambda w: w["score_mean"], True, "score"),
        ("Red tickets", lambda w: rate(w["red"], w["tickets"]), False, "rate"),
        ("Service recovery", lambda w: rate(w["recovered"], w["negative_start"]), True, "rate"),
        ("First response within SLA", lambda w: rate(w["sla_met"], w["sla_measured"]), True, "rate"),
    ]
    empty = {"count": 0}  # a week without tickets has 0 of them, and no rates
    rows = [
        ChangeRow(
            name, fn(last) if last else empty.get(kind), fn(this) if this else empty.get(kind), better, kind
        )
        for name, fn, better, kind in measures
    ]
    cats = {
        (r["week"], r["category"]): r for r in data.of("weekly_categories", level, key).iter_rows(named=True)
    }
    for category in CATEGORIES:
        pair = [cats.get((week, category)) for week in ("last", "this")]
        rates = [rate(c["passes"], c["passes"] + c["fails"]) if c else None for c in pair]
        rows.append(ChangeRow(f"{CATEGORY_TITLES[category]} pass rate", rates[0], rates[1], True, "rate"))
    return rows


def _kpi_chart(data: PeriodData, level: str, key: str, weeks: list) -> charts.Chart | None:
    """The share KPIs that have a target, per week, against it: where the team stands and where it is heading."""
    settings = data.kpis.settings
    shown = [k for k in SHOWN if k in settings.targets and k in SHARE_KPIS]
    if not shown:
        return None
    panels = [
        (AGENT_KPI_TITLES.get(k, TITLES[k]), series(data.kpis, level, key, weeks, k), settings.targets[k].value,
         settings.targets[k].bound == "at_least")
        for k in shown
    ]  # fmt: skip
    return charts.kpi_chart([f"{d.day}/{d.month}" for d in weeks], panels)


def build_team_report(data: PeriodData, rulebook: Rulebook, team: str | None, link_agents: bool = False,
                      draw: bool = True) -> TeamReport:  # fmt: skip
    """Everything the team template shows, for one team or (team None) for all of them."""
    level, key = ("team", team) if team is not None else ("all", ALL)
    report = TeamReport(
        team=team, title=f"Team {team}" if team is not None else "All teams", period_label=data.period.label(),
        bucket_name=data.period.bucket_name, link_agents=link_agents,
    )  # fmt: skip
    summary = data.summary_of(level, key)
    if summary is None:
        return report
    report.summary = summary
    if team is not None:
        report.reference, report.reference_label = data.summary_of("all", ALL), "all teams"
    # tickets no agent owns count in the team's figures, not as an agent called "None"
    agents = data.summary.filter((pl.col("level") == "agent") & pl.col("key").is_not_null())
    if team is not None:
        agents = agents.filter(pl.col("main_team") == team)
    report.dissatisfied = dissatisfied_share(data, rulebook.likely_dissatisfied, level, key, "all", ALL)
    report.agents = _agent_rows(data, rulebook, agents, dissatisfied_counts(summary))
    report.heat_columns, report.heat_rows = _heat_map(data, rulebook, [a.agent_id for a in report.agents])
    ref_level, ref_key = ("all", ALL) if team is not None else (level, key)
    report.categories = category_rows(
        data.of("categories", level, key), data.of("categories", ref_level, ref_key)
    )
    report.languages = _mix_rows(data.of("languages", level, key))
    sla = {r["channel"]: rate(r["met"], r["measured"] if r["sla_s"] is not None else 0)
           for r in data.of("channels", level, key).iter_rows(named=True)}  # fmt: skip
    report.channels = _mix_rows(data.of("channel_mix", level, key), sla)
    if team is None:
        teams = data.summary.filter(pl.col("level") == "team").select(
            value="key", tickets="tickets", red="red", yellow="yellow", green="green", score_mean="score_mean"
        )
        report.teams = _mix_rows(teams)
    report.changes = _changes(data, level, key)
    report.reasons = reason_rows(
        data, level, key, *((ref_level, ref_key) if team is not None else (None, None))
    )
    report.escalation = escalation(data, rulebook, level, key)
    report.signals = signal_rows(data, rulebook, level, key)
    agent_ids = [a.agent_id for a in report.agents]
    if data.kpis is not None:
        report.kpis = kpi_views(
            data.kpis, level, key, data.kpis.row("all", ALL) if team is not None else None
        )
        report.kpi_columns = [(k, AGENT_KPI_TITLES[k], KINDS[k]) for k in AGENT_KPIS]
        report.agent_kpis = agent_kpi_rows(data.kpis, agent_ids, AGENT_KPIS)
        report.channel_kpis = channel_rows(data.kpis, level, key)
        report.currency = data.kpis.settings.currency
    effects = data.coaching.all_effects(agent_ids)
    report.focus = focus_rows(effects, rulebook)
    report.coaching_sessions = len({e.session_id for e in effects})
    if draw:
        weeks, counts = reason_weeks(data, level, key)
        if counts:
            report.reason_chart = charts.reason_chart([f"from {d.day} {d:%b}" for d in weeks], counts)
        if data.kpis is not None:
            report.kpi_chart = _kpi_chart(data, level, key, weeks)
        if team is not None:
            report.trend = trend_chart(
                data, "team", team, "all", ALL, f"team {team} (mean)", "all teams (median)"
            )
        else:
            report.trend = trend_chart(data, "all", ALL, "all", ALL, "all teams (mean)", "all teams (median)")
        report.mix = charts.mix_chart([
            ("Language", [r.value for r in report.languages],
             {t: [getattr(r, t) for r in report.languages] for t in ("red", "yellow", "green")}),
            ("Channel", [r.value for r in report.channels],
             {t: [getattr(r, t) for r in report.channels] for t in ("red", "yellow", "green")}),
        ])  # fmt: skip
    return report
