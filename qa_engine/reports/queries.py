"""Every number a report shows, computed by SQL over the store, once per period.

`load_period` reads the period's scored tickets with the per-ticket facts the reports need (first and last
customer mood, first response time and its SLA), then aggregates them at three levels at once: per agent, per
team and for everyone. A report (or all of them, in `render_all`) then only filters these small frames, so
rendering fifty agents costs one pass over the store, not fifty.

Definitions follow CONTRACT.md section 5 where it defines the figure: a ticket starts at `created_at`, else at its
first turn's `ts`; the first response is from the first customer turn to the first agent turn after it, measured
only when every turn of the ticket carries `ts`; service recovery is a first customer turn that is negative and a
last one that is not. Pass rates count `pass` and `fail` outcomes; `na` never counts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

import duckdb
import polars as pl

from qa_engine.errors import QAError
from qa_engine.reports.coaching_section import CoachingData
from qa_engine.reports.kpi_section import KpiData
from qa_engine.reports.period import Period
from qa_engine.reports.rulebook import DEFAULT_ESCALATION_RED, DEFAULT_LIKELY_DISSATISFIED
from qa_engine.store import Store

NO_TEAM = "(no team)"
# level -> the grouping expression over the period's tickets (`pt`)
LEVELS: dict[str, str] = {"agent": "pt.agent_id", "team": "pt.team", "all": "'all'"}
KNOWN_SHOWN = 12  # how many known ids an unknown-id error lists

_PERIOD_TICKETS = """
WITH p AS (
    SELECT ticket_id, agent_id, coalesce(team, ?) AS team, channel, language, started_at,
           CAST(timezone('UTC', started_at) AS DATE) AS day,
           tier, qa_score, customer_sentiment_start, customer_sentiment_end, emotional_balance,
           tier_reasons, tier_evidence, {key_issues},
           escalation_risk >= ? AS escalated, dissatisfaction_risk >= ? AS dissatisfied
    FROM tickets
    WHERE tier IS NOT NULL AND started_at >= ? AND started_at < ? {scope}
), facts AS (
    SELECT u.ticket_id,
           min(u.turn_index) FILTER (WHERE u.speaker = 'customer') AS first_customer,
           max(u.turn_index) FILTER (WHERE u.speaker = 'customer') AS last_customer,
           bool_and(u.ts IS NOT NULL) AS all_ts
    FROM turns u JOIN p USING (ticket_id)
    GROUP BY u.ticket_id
), reply AS (
    SELECT u.ticket_id, min(u.turn_index) AS reply_turn
    FROM turns u JOIN facts f USING (ticket_id)
    WHERE u.speaker = 'agent' AND u.turn_index > f.first_customer
    GROUP BY u.ticket_id
)
SELECT p.*,
       -- a date less a whole number of days: a date in both dialects (DuckDB's INTERVAL (expr) DAY is not SQL)
       CAST(? AS DATE) - CAST(? - 1 + ? * (date_diff('day', p.day, CAST(? AS DATE)) // ?) AS INTEGER) AS bucket,
       CASE WHEN p.day >= CAST(? AS DATE) THEN 'this' WHEN p.day >= CAST(? AS DATE) THEN 'last' END AS week,
       fc.sentiment AS first_mood, lc.sentiment AS last_mood,
       CASE WHEN f.all_ts THEN date_diff('millisecond', fc.ts, r.ts) / 1000.0 END AS first_response_s,
       s.sla_s
FROM p
LEFT JOIN facts f USING (ticket_id)
LEFT JOIN turns fc ON fc.ticket_id = p.ticket_id AND fc.turn_index = f.first_customer
LEFT JOIN turns lc ON lc.ticket_id = p.ticket_id AND lc.turn_index = f.last_customer
LEFT JOIN reply ON reply.ticket_id = p.ticket_id
LEFT JOIN turns r ON r.ticket_id = p.ticket_id AND r.turn_index = reply.reply_turn
LEFT JOIN slas s ON s.channel = p.channel
ORDER BY p.started_at, p.ticket_id
"""

# The ticket-level figures of a group; {key} and {extra} are fixed identifiers from this module, never user input.
_SUMMARY = """
SELECT {key} AS key, {extra} count(*) AS tickets,
       count(*) FILTER (WHERE tier = 'red') AS red,
       count(*) FILTER (WHERE tier = 'yellow') AS yellow,
       count(*) FILTER (WHERE tier = 'green') AS green,
       avg(qa_score) AS score_mean, median(qa_score) AS score_median,
       avg(customer_sentiment_start) AS mood_start, avg(customer_sentiment_end) AS mood_end,
       avg(emotional_balance) AS balance_mean,
       count(*) FILTER (WHERE first_mood = 'negative') AS negative_start,
       count(*) FILTER (WHERE first_mood = 'negative' AND last_mood <> 'negative') AS recovered,
       count(*) FILTER (WHERE first_mood = 'negative' AND last_mood = 'positive') AS turned_positive,
       count(first_response_s) FILTER (WHERE sla_s IS NOT NULL) AS sla_measured,
       count(*) FILTER (WHERE first_response_s <= sla_s) AS sla_met,
       median(first_response_s) AS first_response_median_s,
       count(escalation_risk) AS risk_measured, count(*) FILTER (WHERE escalated) AS escalated,
       count(dissatisfaction_risk) AS risk_judged, count(*) FILTER (WHERE dissatisfied) AS dissatisfied,
       mode(team) AS main_team
FROM pt {where}
GROUP BY ALL
"""

_RULES = """
SELECT {key} AS key, r.rule_id, any_value(r.category) AS category, max(r.weight) AS weight,
       bool_or(r.critical) AS critical,
       count(*) FILTER (WHERE r.outcome = 'pass') AS passes,
       count(*) FILTER (WHERE r.outcome = 'fail') AS fails,
       count(*) FILTER (WHERE r.outcome = 'na') AS nas,
       count(*) FILTER (WHERE r.outcome = 'fail' AND pt.week = 'this') AS fails_this_week,
       (list(pt.ticket_id ORDER BY pt.started_at DESC, pt.ticket_id) FILTER (WHERE r.outcome = 'fail'))[1:3]
           AS recent_fails,
       -- the most recent failure's suggestion (what the agent could have written), and its ticket
       (list(r.suggestion ORDER BY pt.started_at DESC, pt.ticket_id)
           FILTER (WHERE r.outcome = 'fail' AND r.suggestion IS NOT NULL))[1] AS suggestion,
       (list(pt.ticket_id ORDER BY pt.started_at DESC, pt.ticket_id)
           FILTER (WHERE r.outcome = 'fail' AND r.suggestion IS NOT NULL))[1] AS suggestion_ticket
FROM rule_results r JOIN pt USING (ticket_id)
GROUP BY ALL
"""

_CATEGORIES = """
SELECT {key} AS key, {extra} r.category,
       count(*) FILTER (WHERE r.outcome = 'pass') AS passes,
       count(*) FILTER (WHERE r.outcome = 'fail') AS fails
FROM rule_results r JOIN pt USING (ticket_id) {where}
GROUP BY ALL
"""

_EMOTIONS = """
SELECT {key} AS key, u.emotion, count(*) AS turns
FROM turns u JOIN pt USING (ticket_id)
WHERE u.speaker = 'customer' AND u.emotion IS NOT NULL
GROUP BY ALL
"""

_CHANNELS = """
SELECT {key} AS key, channel, count(*) AS tickets, count(first_response_s) AS measured,
       median(first_response_s) AS median_s, quantile_cont(first_response_s, 0.9) AS p90_s,
       any_value(sla_s) AS sla_s, count(*) FILTER (WHERE first_response_s <= sla_s) AS met
FROM pt
GROUP BY ALL
"""

_DIMENSION = """
SELECT {key} AS key, {dim} AS value, count(*) AS tickets,
       count(*) FILTER (WHERE tier = 'red') AS red,
       count(*) FILTER (WHERE tier = 'yellow') AS yellow,
       count(*) FILTER (WHERE tier = 'green') AS green,
       avg(qa_score) AS score_mean,
       count(escalation_risk) AS risk_measured, count(*) FILTER (WHERE escalated) AS escalated
FROM pt
GROUP BY ALL
"""

# contact reasons per week (weeks end on the period's last day, whatever the report's buckets)
_REASON_WEEKS = """
SELECT {key} AS key, week_start, contact_reason AS value, count(*) AS tickets
FROM pt
GROUP BY ALL
"""

# escalation signals: tickets that raised each, this week and last, and among the high-risk tickets
_SIGNALS = """
SELECT {key} AS key, signal, count(*) AS tickets,
       count(*) FILTER (WHERE week = 'this') AS this_week, count(*) FILTER (WHERE week = 'last') AS last_week,
       count(*) FILTER (WHERE escalated) AS escalated
FROM (SELECT DISTINCT ticket_id, agent_id, team, week, escalated, unnest(escalation_signals) AS signal FROM pt) AS pt
GROUP BY ALL
"""

_BUCKETS = """
SELECT {key} AS key, bucket, count(*) AS tickets,
       count(*) FILTER (WHERE tier = 'red') AS red,
       count(*) FILTER (WHERE tier = 'yellow') AS yellow,
       count(*) FILTER (WHERE tier = 'green') AS green,
       avg(qa_score) AS score_mean, median(qa_score) AS score_median
FROM pt
GROUP BY ALL
"""

_EXAMPLES = """
SELECT w.agent_id, w.rule_id, r.ticket_id, pt.language, pt.channel, pt.day, r.detail,
       r.evidence.turn_index AS turn_index, r.evidence."start" AS span_start, r.evidence."end" AS span_end,
       r.evidence.note AS note, u.text AS turn_text, u.speaker
FROM wanted w
JOIN pt ON pt.agent_id = w.agent_id
JOIN rule_results r ON r.ticket_id = pt.ticket_id AND r.rule_id = w.rule_id AND r.outcome = 'fail'
LEFT JOIN turns u ON u.ticket_id = r.ticket_id AND u.turn_index = r.evidence.turn_index
QUALIFY row_number() OVER (
    PARTITION BY w.agent_id, w.rule_id
    -- an excerpt that points at words beats one that points at a whole turn; then the most recent
    ORDER BY (u.text IS NOT NULL) DESC,
             (r.evidence."end" - r.evidence."start" < length(u.text)) DESC,
             pt.started_at DESC, r.ticket_id
) <= ?
ORDER BY w.agent_id, w.rule_id, pt.started_at DESC
"""

_PICKS = """
-- per agent, the conversation to praise and the one to discuss: tier first, then score, then the customer's mood
WITH ranked AS (
    SELECT agent_id, ticket_id, started_at, qa_score, customer_sentiment_end,
           CASE tier WHEN 'green' THEN 0 WHEN 'yellow' THEN 1 ELSE 2 END AS tier_rank
    FROM pt
)
SELECT agent_id, 'best' AS pick, ticket_id FROM ranked
QUALIFY row_number() OVER (PARTITION BY agent_id ORDER BY tier_rank, qa_score DESC,
                           customer_sentiment_end DESC NULLS LAST, started_at DESC, ticket_id) = 1
UNION ALL
SELECT agent_id, 'worst' AS pick, ticket_id FROM ranked
QUALIFY row_number() OVER (PARTITION BY agent_id ORDER BY tier_rank DESC, qa_score,
                           customer_sentiment_end NULLS LAST, started_at DESC, ticket_id) = 1
"""

_TURNS = """
SELECT u.ticket_id, u.turn_index, u.speaker, u.text, u.sentiment, u.emotion
FROM turns u JOIN wanted_tickets USING (ticket_id)
ORDER BY u.ticket_id, u.turn_index
"""


_STORE_FACTS = """
SELECT agent_id, list(DISTINCT coalesce(team, $1) ORDER BY coalesce(team, $1)) AS teams,
       max(CAST(timezone('UTC', started_at) AS DATE)) AS last_day
FROM tickets WHERE tier IS NOT NULL AND agent_id IS NOT NULL
GROUP BY agent_id
"""
EXAMPLES_PER_RULE = 2
TOP_RULES = 3


@dataclass(frozen=True)
class StoreFacts:
    """Who and when the store knows about, over all time: to tell an unknown id from an idle one."""

    agent_teams: dict[str, list[str]]  # agents that own scored tickets -> their teams
    agent_last_day: dict[str, date]
    other_agents: set[str]  # agents that only wrote turns (a hand-off) and own no scored ticket
    latest_day: date | None

    @property
    def agents(self) -> set[str]:
        return set(self.agent_teams) | self.other_agents

    @property
    def teams(self) -> set[str]:
        return {team for teams in self.agent_teams.values() for team in teams}

    def check_agent(self, agent_id: str, db: object) -> None:
        if agent_id not in self.agents:
            raise QAError("Q805", agent_id=agent_id, db=db, hint=f". Known agents: {_listing(self.agents)}")

    def check_team(self, team: str, db: object) -> None:
        if team not in self.teams:
            raise QAError("Q502", team=team, db=db, known=_listing(self.teams))


def _listing(ids: set[str]) -> str:
    if not ids:
        return "none (the store has no scored tickets)"
    shown = sorted(ids)[:KNOWN_SHOWN]
    more = len(ids) - len(shown)
    return ", ".join(shown) + (f" and {more} more" if more else "")


def store_facts(store: Store) -> StoreFacts:
    with store.connect(read_only=True) as con:
        rows = con.execute(_STORE_FACTS, [NO_TEAM]).fetchall()  # $1 twice: the same expression
        writers = con.execute("SELECT DISTINCT agent_id FROM turns WHERE agent_id IS NOT NULL").fetchall()
        # over every scored ticket, those no agent owns too: the default period must not end before them
        (latest,) = con.execute(
            "SELECT max(CAST(timezone('UTC', started_at) AS DATE)) FROM tickets WHERE tier IS NOT NULL"
        ).fetchone()
    agent_teams = {agent: list(teams) for agent, teams, _ in rows}
    last_days = {agent: day for agent, _, day in rows}
    return StoreFacts(
        agent_teams=agent_teams,
        agent_last_day=last_days,
        other_agents={w for (w,) in writers} - set(agent_teams),
        latest_day=latest,
    )


@dataclass
class PeriodData:
    """The period's aggregates; most frames have `level` (agent/team/all) and `key` (agent id, team or 'all')."""

    period: Period
    tickets: pl.DataFrame  # one row per scored ticket in the period, with its derived facts
    summary: pl.DataFrame
    # the summary per (level, key, week) for the period's last seven days ('this') and the seven before ('last')
    weekly: pl.DataFrame
    rules: pl.DataFrame
    categories: pl.DataFrame
    weekly_categories: pl.DataFrame
    emotions: pl.DataFrame
    channels: pl.DataFrame
    languages: pl.DataFrame
    channel_mix: pl.DataFrame
    buckets: pl.DataFrame
    reasons: pl.DataFrame  # per contact reason (`value`, null before reasons existed): tiers, score, risk
    reason_weeks: pl.DataFrame  # tickets per week (`week_start`) and contact reason
    signals: pl.DataFrame  # per escalation signal: tickets that raised it, this and last week, high-risk ones
    examples: pl.DataFrame  # per agent, up to two failing excerpts of each of its most-failed rules
    picks: pl.DataFrame  # per agent, the best and the worst ticket
    pick_turns: pl.DataFrame  # the turns of the picked tickets
    kpis: KpiData | None = None  # the service KPIs (kpis.load_kpis), set by build.py
    coaching: CoachingData = field(
        default_factory=CoachingData
    )  # sessions touching the period (coaching_section.py)

    def of(self, frame: str, level: str, key: str) -> pl.DataFrame:
        """One group's rows of a frame, e.g. `of("rules", "agent", "a-17")`."""
        table: pl.DataFrame = getattr(self, frame)
        return table.filter((pl.col("level") == level) & (pl.col("key") == key))

    def of_level(self, level: str) -> list[str]:
        """The keys (agent ids or teams) with scored tickets in the period."""
        return self.summary.filter(pl.col("level") == level)["key"].to_list()

    def summary_of(self, level: str, key: str) -> dict | None:
        rows = self.of("summary", level, key)
        return rows.row(0, named=True) if rows.height else None


def _levels(con: duckdb.DuckDBPyConnection, template: str, **fields: str) -> pl.DataFrame:
    """Run a grouped query once per level and stack the results with a `level` column."""
    frames = []
    for level, key in LEVELS.items():
        frame = con.sql(template.format(key=key, **fields)).pl()
        frames.append(frame.with_columns(level=pl.lit(level), key=pl.col("key").cast(pl.String)))
    return pl.concat(frames, how="diagonal_relaxed")


# the key-issue columns (qa_engine.reasons); a store written before them and not opened for writing since lacks them
KEY_ISSUE_COLUMNS: dict[str, str] = {
    "contact_reason": "VARCHAR", "contact_sub_reason": "VARCHAR", "escalation_risk": "DOUBLE",
    "escalation_signals": "VARCHAR[]", "dissatisfaction_risk": "DOUBLE",
}  # fmt: skip


def _key_issue_columns(con: duckdb.DuckDBPyConnection) -> str:
    """The key-issue columns to select: the store's own, or typed nulls where it has none (shown as unknown)."""
    present = set(con.table("tickets").columns)
    return ", ".join(
        name if name in present else f"NULL::{kind} AS {name}" for name, kind in KEY_ISSUE_COLUMNS.items()
    )


def top_failed_rules(rules: pl.DataFrame, limit: int = TOP_RULES) -> pl.DataFrame:
    """Per agent, the rules failed most often: most fails, then the higher failure rate, critical, heavier."""
    return (
        rules.filter((pl.col("level") == "agent") & (pl.col("fails") > 0))
        .with_columns(fail_rate=pl.col("fails") / (pl.col("passes") + pl.col("fails")))
        .sort(["key", "fails", "fail_rate", "critical", "weight", "rule_id"],
              descending=[False, True, True, True, True, False])
        .group_by("key", maintain_order=True)
        .head(limit)
        .select(agent_id="key", rule_id="rule_id")
    )  # fmt: skip


def load_period(
    store: Store,
    period: Period,
    slas: dict[str, float],
    teams: Sequence[str] | None = None,
    escalation_red: float = DEFAULT_ESCALATION_RED,
    likely_dissatisfied: float = DEFAULT_LIKELY_DISSATISFIED,
) -> PeriodData:
    """Read and aggregate the period's scored tickets (all of them, or those of `teams`) in one connection.
    A ticket is `escalated` when its escalation risk is at least `escalation_red`, and `dissatisfied` when its
    dissatisfaction risk is at least `likely_dissatisfied` (each null when the ticket has no such risk)."""
    start, end = period.bounds()
    scope, scope_params = "", []
    if teams is not None:
        scope = "AND list_contains(?, coalesce(team, ?))"
        scope_params = [list(teams), NO_TEAM]
    step, last_day = period.bucket_days, period.end
    params = [NO_TEAM, escalation_red, likely_dissatisfied, start, end, *scope_params, last_day, step, step, last_day, step,
              period.this_week_start, period.last_week_start]  # fmt: skip
    with store.connect(read_only=True) as con:
        con.register("slas", pl.DataFrame({"channel": list(slas), "sla_s": list(slas.values())}).to_arrow())
        query = _PERIOD_TICKETS.format(scope=scope, key_issues=_key_issue_columns(con))
        tickets = con.sql(query, params=params).pl()
        weeks_back = (pl.lit(period.end) - pl.col("day")).dt.total_days() // 7
        tickets = tickets.with_columns(
            pl.col("bucket").cast(pl.Date),
            week_start=pl.lit(period.end) - pl.duration(days=6 + 7 * weeks_back),
        )
        con.register("pt", tickets.to_arrow())
        rules = _levels(con, _RULES)
        con.register("wanted", top_failed_rules(rules).to_arrow())
        examples = con.sql(_EXAMPLES, params=[EXAMPLES_PER_RULE]).pl()
        picks = con.sql(_PICKS).pl()
        con.register("wanted_tickets", picks.select("ticket_id").unique().to_arrow())
        pick_turns = con.sql(_TURNS).pl()
        weekly = {"extra": "week,", "where": "WHERE week IS NOT NULL"}
        return PeriodData(
            period=period,
            tickets=tickets,
            summary=_levels(con, _SUMMARY, extra="", where=""),
            weekly=_levels(con, _SUMMARY, **weekly),
            rules=rules,
            categories=_levels(con, _CATEGORIES, extra="", where=""),
            weekly_categories=_levels(
                con, _CATEGORIES, extra="pt.week AS week,", where="WHERE pt.week IS NOT NULL"
            ),
            emotions=_levels(con, _EMOTIONS),
            channels=_levels(con, _CHANNELS),
            languages=_levels(con, _DIMENSION, dim="language"),
            channel_mix=_levels(con, _DIMENSION, dim="channel"),
            reasons=_levels(con, _DIMENSION, dim="contact_reason"),
            reason_weeks=_levels(con, _REASON_WEEKS),
            signals=_levels(con, _SIGNALS),
            buckets=_levels(con, _BUCKETS),
            examples=examples,
            picks=picks,
            pick_turns=pick_turns,
        )
