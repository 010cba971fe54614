"""The agent report's content: the period's numbers for one agent, set against the agent's team.

Pure: it takes the aggregates `queries.load_period` computed and returns what the template shows, charts included.
Nothing here counts tickets again; it picks rows, divides counts into rates and orders things for reading.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date

import polars as pl

from qa_engine.kpi.coaching import CoachingEffect
from qa_engine.reports import charts
from qa_engine.reports.coaching import assigns_practice
from qa_engine.reports.dissatisfied import DissatisfiedShare, dissatisfied_share
from qa_engine.reports.excerpts import Excerpt, excerpt
from qa_engine.reports.keyissues import ReasonRow, rate, reason_rows
from qa_engine.reports.kpis import KpiView, kpi_views, median_of_agents
from qa_engine.reports.practise import PractiseItem, practise_items
from qa_engine.reports.queries import NO_TEAM, PeriodData, top_failed_rules
from qa_engine.reports.rulebook import CATEGORY_TITLES, FIRE_CATEGORIES, Rulebook, RuleNote
from qa_engine.schema import CATEGORIES

EMOTIONS: tuple[str, ...] = ("anger", "disgust", "fear", "sadness", "surprise", "joy", "neutral")
TRANSCRIPT_TURNS = 6  # turns shown of the best and the worst conversation
TURN_CHARS = 220
RULE_EXCERPT_CHARS = 180  # two or three lines: three rules with two excerpts each fit one page


@dataclass(frozen=True)
class CategoryRow:
    category: str
    title: str
    fire: bool
    passes: int
    fails: int
    rate: float | None
    reference: float | None


@dataclass(frozen=True)
class ExampleView:
    ticket_id: str
    day: date
    channel: str
    language: str | None
    note: str
    excerpt: Excerpt


@dataclass(frozen=True)
class FailedRule:
    note: RuleNote
    fails: int
    applicable: int
    rate: float
    reference: float | None
    examples: list[ExampleView]


@dataclass(frozen=True)
class TurnView:
    index: int
    speaker: str
    sentiment: str | None
    emotion: str | None
    excerpt: Excerpt
    skipped_before: int  # turns left out before this one


@dataclass(frozen=True)
class Conversation:
    ticket_id: str
    day: date
    channel: str
    language: str | None
    tier: str
    score: float
    reasons: list[str]
    turns: list[TurnView]
    skipped_after: int


@dataclass(frozen=True)
class EmotionRow:
    emotion: str
    share: float | None  # of the subject's customer turns
    reference: float | None


@dataclass(frozen=True)
class ChannelRow:
    channel: str
    tickets: int
    measured: int
    median_s: float | None
    p90_s: float | None
    sla_s: float | None
    met: int
    rate: float | None
    reference_rate: float | None
    reference_median_s: float | None


@dataclass(frozen=True)
class EffectView:
    note: RuleNote
    effect: CoachingEffect


@dataclass(frozen=True)
class SessionView:
    session_date: date
    focus: list[RuleNote]
    note: str | None
    coach: str | None
    practice: bool
    effects: list[EffectView]
    scenarios: list[tuple[RuleNote, list[ExampleView]]]  # per focus rule, the agent's own failing excerpts
    earlier_notes: list[tuple[str, str | None, date]] = field(
        default_factory=list
    )  # (note, coach, day), oldest first


@dataclass
class AgentReport:
    agent_id: str
    team: str | None
    team_label: str  # "team EU-1", or "all agents" for an agent without a team
    period_label: str
    bucket_name: str
    last_day: date | None  # the agent's most recent scored ticket, any time (for the empty report)
    summary: dict | None = None
    reference: dict | None = None
    practise: list[PractiseItem] = field(default_factory=list)
    categories: list[CategoryRow] = field(default_factory=list)
    failed_rules: list[FailedRule] = field(default_factory=list)
    best: Conversation | None = None
    worst: Conversation | None = None
    channels: list[ChannelRow] = field(default_factory=list)
    emotions: list[EmotionRow] = field(default_factory=list)
    reasons: list[ReasonRow] = field(default_factory=list)
    kpis: list[KpiView] = field(default_factory=list)
    kpi_reference_label: str = ""
    account: dict | None = None  # the emotional account: the agent's and the team median's
    sessions: list[SessionView] = field(default_factory=list)
    currency: str | None = None
    escalation_red: float = 0.0
    dissatisfied: DissatisfiedShare | None = (
        None  # the agent's likely-dissatisfied customers against the team's
    )
    period_end: date | None = None
    trend: charts.Chart | None = None
    mood: charts.Chart | None = None
    response: charts.Chart | None = None

    @property
    def empty(self) -> bool:
        return self.summary is None or not self.summary.get("tickets")


def category_rows(mine: pl.DataFrame, reference: pl.DataFrame) -> list[CategoryRow]:
    """Pass rate per category (FIRE first, then closing, compliance, timeliness), with the reference's rate."""
    own = {r["category"]: r for r in mine.iter_rows(named=True)}
    ref = {r["category"]: r for r in reference.iter_rows(named=True)}
    rows = []
    for category in CATEGORIES:
        row = own.get(category, {"passes": 0, "fails": 0})
        other = ref.get(category, {"passes": 0, "fails": 0})
        rows.append(
            CategoryRow(
                category, CATEGORY_TITLES[category], category in FIRE_CATEGORIES, row["passes"], row["fails"],
                rate(row["passes"], row["passes"] + row["fails"]),
                rate(other["passes"], other["passes"] + other["fails"]),
            )
        )  # fmt: skip
    return rows


def _bucket_series(data: PeriodData, level: str, key: str) -> dict[date, dict]:
    return {r["bucket"]: r for r in data.of("buckets", level, key).iter_rows(named=True)}


def bucket_position(starts: list[date], step: int, day: date) -> float | None:
    """Where a day falls on a chart whose bars (one per bucket) sit at 0, 1, ...; None outside the buckets."""
    for i, start in enumerate(starts):
        offset = (day - start).days
        if 0 <= offset < step:
            return i - 0.5 + (offset + 0.5) / step
    return None


def trend_chart(data: PeriodData, level: str, key: str, ref_level: str | None, ref_key: str | None,
                self_label: str, ref_label: str, markers: list[date] | None = None) -> charts.Chart:  # fmt: skip
    """Score per bucket (mean for the subject, median for the reference) over the subject's tier counts, with
    `markers` (coaching session days) drawn on the timeline."""
    starts = data.period.bucket_starts()
    own = _bucket_series(data, level, key)
    ref = _bucket_series(data, ref_level, ref_key) if ref_level and ref_key else None
    column = "agent_id" if level == "agent" else "team"
    tickets = data.tickets if level == "all" else data.tickets.filter(pl.col(column) == key)
    index = {d: i for i, d in enumerate(starts)}
    points = [
        (index[b], s) for b, s in zip(tickets["bucket"], tickets["qa_score"], strict=True) if b in index
    ]
    prefix = "" if data.period.bucket_days == 1 else "from "
    labels = [f"{prefix}{d.day} {d:%b}" for d in starts]
    return charts.trend_chart(
        labels,
        {tier: [own.get(d, {}).get(tier, 0) for d in starts] for tier in ("red", "yellow", "green")},
        [own[d]["score_mean"] if d in own else None for d in starts],
        [ref[d]["score_median"] if d in ref else None for d in starts] if ref is not None else None,
        points, self_label, ref_label, data.period.bucket_name,
        [x for x in (bucket_position(starts, data.period.bucket_days, d) for d in markers or []) if x is not None],
    )  # fmt: skip


def _failed_rules(
    data: PeriodData, rulebook: Rulebook, agent_id: str, ref_level: str, ref_key: str
) -> list[FailedRule]:
    """The agent's most-failed rules, each with its tip, the reference's failure rate and masked excerpts."""
    team_rules = {r["rule_id"]: r for r in data.of("rules", ref_level, ref_key).iter_rows(named=True)}
    examples = data.examples.filter(pl.col("agent_id") == agent_id)
    agent_rules = {r["rule_id"]: r for r in data.of("rules", "agent", agent_id).iter_rows(named=True)}
    result = []
    for rule_id in top_failed_rules(data.of("rules", "agent", agent_id))["rule_id"]:
        row = agent_rules[rule_id]
        team = team_rules.get(rule_id)
        views = _example_views(examples.filter(pl.col("rule_id") == rule_id))
        applicable = row["passes"] + row["fails"]
        result.append(
            FailedRule(
                rulebook.note(rule_id, row["category"], row["weight"], row["critical"]), row["fails"], applicable,
                row["fails"] / applicable, rate(team["fails"], team["passes"] + team["fails"]) if team else None, views,
            )
        )  # fmt: skip
    return result


def _evidence_spans(ticket: dict) -> dict[int, tuple[int, int]]:
    """turn index -> the first span a tier reason points at in that turn."""
    spans: dict[int, tuple[int, int]] = {}
    try:
        evidence = json.loads(ticket["tier_evidence"] or "[]")
    except (TypeError, ValueError):
        evidence = []
    for item in evidence:
        if isinstance(item, dict) and item.get("turn_index") is not None and item.get("start") is not None:
            spans.setdefault(int(item["turn_index"]), (int(item["start"]), int(item["end"])))
    return spans


def conversation(data: PeriodData, ticket_id: str) -> Conversation:
    """The ticket's header and a short masked transcript: first and last turns plus those the tier reasons cite."""
    ticket = data.tickets.filter(pl.col("ticket_id") == ticket_id).row(0, named=True)
    turns = data.pick_turns.filter(pl.col("ticket_id") == ticket_id).rows(named=True)
    spans = _evidence_spans(ticket)
    keep = {t["turn_index"] for t in turns[:2]} | {t["turn_index"] for t in turns[-2:]}
    keep |= set(list(spans)[: max(0, TRANSCRIPT_TURNS - len(keep))])
    for t in turns:  # fill up to TRANSCRIPT_TURNS from the start
        if len(keep) >= TRANSCRIPT_TURNS:
            break
        keep.add(t["turn_index"])
    views, skipped = [], 0
    for t in turns:
        if t["turn_index"] not in keep:
            skipped += 1
            continue
        text = excerpt(
            t["text"],
            ticket["language"],
            spans.get(t["turn_index"]),
            radius=TURN_CHARS // 2,
            limit=TURN_CHARS,
        )
        views.append(TurnView(t["turn_index"], t["speaker"], t["sentiment"], t["emotion"], text, skipped))
        skipped = 0
    return Conversation(
        ticket_id, ticket["day"], ticket["channel"], ticket["language"], ticket["tier"], ticket["qa_score"],
        list(ticket["tier_reasons"] or []), views, skipped,
    )  # fmt: skip


def _channel_rows(data: PeriodData, agent_id: str, ref_level: str, ref_key: str) -> list[ChannelRow]:
    ref = {r["channel"]: r for r in data.of("channels", ref_level, ref_key).iter_rows(named=True)}
    rows = []
    for r in data.of("channels", "agent", agent_id).sort("channel").iter_rows(named=True):
        other = ref.get(r["channel"])
        sla_measured = r["measured"] if r["sla_s"] is not None else 0
        ref_measured = other["measured"] if other and other["sla_s"] is not None else 0
        rows.append(
            ChannelRow(
                r["channel"], r["tickets"], r["measured"], r["median_s"], r["p90_s"], r["sla_s"], r["met"],
                rate(r["met"], sla_measured), rate(other["met"], ref_measured) if other else None,
                other["median_s"] if other else None,
            )
        )  # fmt: skip
    return rows


def _mood_chart(data: PeriodData, agent_id: str) -> charts.Chart:
    mine = data.tickets.filter(pl.col("agent_id") == agent_id)
    points = [
        (s, e, tier)
        for s, e, tier in zip(
            mine["customer_sentiment_start"], mine["customer_sentiment_end"], mine["tier"], strict=True
        )
        if s is not None and e is not None
    ]
    return charts.mood_chart(points)


def emotion_rows(data: PeriodData, level: str, key: str, ref_level: str, ref_key: str) -> list[EmotionRow]:
    """The share of customer turns per emotion, for the subject and the reference."""

    def shares(lv: str, k: str) -> dict[str, float | None]:
        counts = {r["emotion"]: r["turns"] for r in data.of("emotions", lv, k).iter_rows(named=True)}
        total = sum(counts.values())
        return {e: rate(counts.get(e, 0), total) for e in EMOTIONS}

    own, ref = shares(level, key), shares(ref_level, ref_key)
    return [EmotionRow(e, own[e], ref[e]) for e in EMOTIONS]


def _response_chart(data: PeriodData, agent_id: str, channels: list[ChannelRow]) -> charts.Chart | None:
    mine = data.tickets.filter((pl.col("agent_id") == agent_id) & pl.col("first_response_s").is_not_null())
    if not mine.height:
        return None
    rows = [
        (c.channel, mine.filter(pl.col("channel") == c.channel)["first_response_s"].to_list(), c.sla_s)
        for c in channels
        if c.measured
    ]
    return charts.response_chart(rows)


def _example_views(frame: pl.DataFrame) -> list[ExampleView]:
    return [
        ExampleView(
            ex["ticket_id"], ex["day"], ex["channel"], ex["language"], ex["note"] or ex["detail"] or "",
            excerpt(ex["turn_text"], ex["language"],
                    (ex["span_start"], ex["span_end"]) if ex["span_start"] is not None else None,
                    radius=RULE_EXCERPT_CHARS // 3, limit=RULE_EXCERPT_CHARS),
        )
        for ex in frame.iter_rows(named=True)
    ]  # fmt: skip


def session_views(data: PeriodData, rulebook: Rulebook, agent_id: str) -> list[SessionView]:
    """The agent's coaching sessions that touch the period, each with its focus rules' before/after effect and,
    when it assigned practice, the scenario set (the agent's own failing excerpts per focus rule)."""
    coaching = data.coaching
    effects = coaching.effects.get(agent_id, [])
    scenarios = coaching.scenarios
    views = []
    for session in coaching.sessions.get(agent_id, []):
        practice = assigns_practice(session)
        scenario_sets = []
        if practice and scenarios.height:
            mine = scenarios.filter(pl.col("agent_id") == agent_id)
            scenario_sets = [(rulebook.note(r), _example_views(mine.filter(pl.col("rule_id") == r)))
                             for r in session.focus_rules]  # fmt: skip
        views.append(
            SessionView(
                session.session_date, [rulebook.note(r) for r in session.focus_rules], session.note, session.coach,
                practice, [EffectView(rulebook.note(e.rule_id), e) for e in effects if e.session_id == session.session_id],
                scenario_sets, [(n.note, n.coach, n.created_at.date()) for n in session.notes[:-1]],
            )
        )  # fmt: skip
    return views


def build_agent_report(
    data: PeriodData, rulebook: Rulebook, agent_id: str, last_day: date | None, draw: bool = True
) -> AgentReport:
    """Everything the agent template shows; `draw=False` skips the charts (for tests of the numbers)."""
    summary = data.summary_of("agent", agent_id)
    team = summary["main_team"] if summary else None
    has_team = team is not None and team != NO_TEAM
    ref_level, ref_key = ("team", team) if has_team else ("all", "all")
    team_label = f"team {team}" if has_team else "all agents"
    report = AgentReport(
        agent_id=agent_id, team=team if has_team else None, team_label=team_label,
        period_label=data.period.label(), bucket_name=data.period.bucket_name, last_day=last_day,
        escalation_red=rulebook.escalation_red, period_end=data.period.end,
        currency=data.kpis.settings.currency if data.kpis is not None else None,
    )  # fmt: skip
    if summary is None:
        return report
    reference = data.summary_of(ref_level, ref_key)
    report.summary, report.reference = summary, reference
    report.dissatisfied = dissatisfied_share(
        data, rulebook.likely_dissatisfied, "agent", agent_id, ref_level, ref_key
    )
    agent_rules = data.of("rules", "agent", agent_id)
    ref_rules = data.of("rules", ref_level, ref_key)
    report.practise = practise_items(agent_rules, ref_rules, summary, reference, rulebook, team_label)
    report.categories = category_rows(
        data.of("categories", "agent", agent_id), data.of("categories", ref_level, ref_key)
    )
    report.failed_rules = _failed_rules(data, rulebook, agent_id, ref_level, ref_key)
    picks = {
        r["pick"]: r["ticket_id"]
        for r in data.picks.filter(pl.col("agent_id") == agent_id).iter_rows(named=True)
    }
    report.best = conversation(data, picks["best"]) if "best" in picks else None
    if "worst" in picks and picks.get("worst") != picks.get("best"):
        report.worst = conversation(data, picks["worst"])
    report.channels = _channel_rows(data, agent_id, ref_level, ref_key)
    report.emotions = emotion_rows(data, "agent", agent_id, ref_level, ref_key)
    report.reasons = reason_rows(data, "agent", agent_id, ref_level, ref_key)
    if data.kpis is not None:
        peers = data.summary.filter((pl.col("level") == "agent") & (pl.col("main_team") == team))[
            "key"
        ].to_list()
        if not has_team:
            peers = data.of_level("agent")
        median = median_of_agents(data.kpis, peers)
        report.kpis = kpi_views(data.kpis, "agent", agent_id, median)
        report.kpi_reference_label = (
            f"median of the {len(peers)} agent{'s' if len(peers) != 1 else ''} of {team_label}"
        )
        own = data.kpis.row("agent", agent_id)
        if own is not None:
            report.account = {"own": own, "median": median}
    report.sessions = session_views(data, rulebook, agent_id)
    if draw:
        report.trend = trend_chart(
            data,
            "agent",
            agent_id,
            ref_level,
            ref_key,
            f"{agent_id} (mean)",
            f"{team_label} (median)",
            [s.session_date for s in report.sessions],
        )
        report.mood = _mood_chart(data, agent_id)
        report.response = _response_chart(data, agent_id, report.channels)
    return report
