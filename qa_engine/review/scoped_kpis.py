"""Service KPIs as the review app shows them: per group against targets, the week-over-week trend and the SLA per
channel, over the tickets the reader may see.

The figures are the contract's (CONTRACT.md section 5), computed by `qa_engine.kpi` from the same per-ticket facts
`qa kpi` uses; only the set of tickets differs. An agent gets their own tickets, a coach their team's, a QA lead
all. That is why this module calls `load_facts` / `compute_kpis` with the ids in scope rather than `kpi_table`,
which has no ticket filter: filtering `kpi_table`'s rows afterwards would be right for `--by agent` but would leak
other agents' tickets into an agent's per-channel figures. A ticket's facts do not depend on which others are
chosen (FCR still looks at all of the customer's stored tickets), so a QA lead's rows equal `qa kpi --json`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import polars as pl

from qa_engine.auth.sessions import Session
from qa_engine.errors import QAError
from qa_engine.kpi.catalog import KPI_NAMES, higher_is_better
from qa_engine.kpi.definitions import GROUPINGS, compute_kpis
from qa_engine.kpi.facts import in_period, load_facts
from qa_engine.kpi.targets import KpiSettings, load_settings
from qa_engine.review.db import ReviewDB
from qa_engine.review.queue import MAX_FILTER
from qa_engine.review.scope import Scope

# `by` values: the CLI's (`qa kpi --by reason`) and the column's own name for the contact reason
BY_ALIASES: dict[str, str] = {"contact_reason": "reason"}
BY_CHOICES: tuple[str, ...] = (*GROUPINGS, *BY_ALIASES)
DEFAULT_BY = "agent"
WEEK = timedelta(days=7)
SLA_COLUMNS = ("channel", "tickets", "first_response_median_s", "sla_attainment")


@dataclass(frozen=True)
class KpiQuery:
    """What a reader asked for: grouping, period (inclusive UTC days), and optional narrowing to an agent or team."""

    by: str = DEFAULT_BY
    start: date | None = None
    end: date | None = None
    agent_id: str | None = None
    team: str | None = None

    @property
    def column(self) -> str:
        return GROUPINGS[BY_ALIASES.get(self.by, self.by)]

    def as_query(self) -> dict[str, str]:
        out = {
            "by": self.by,
            "from": self.start,
            "to": self.end,
            "agent_id": self.agent_id,
            "team": self.team,
        }
        return {k: v.isoformat() if isinstance(v, date) else v for k, v in out.items() if v is not None}


def _text(params: Mapping[str, str | None], name: str) -> str | None:
    value = params.get(name)
    if value is None or value == "":
        return None
    if len(value) > MAX_FILTER or any(ord(c) < 32 or ord(c) == 127 for c in value):
        raise QAError("Q615", field=name, detail=f"not a plain value of at most {MAX_FILTER} characters")
    return value


def parse_day(value: str | None, name: str) -> date | None:
    """YYYY-MM-DD or nothing; anything else is a Q615 naming the field."""
    if value is None:
        return None
    try:
        if len(value) != 10:
            raise ValueError(value)
        return datetime.strptime(value, "%Y-%m-%d").date()
    except ValueError as exc:
        raise QAError("Q615", field=name, detail=f"{value[:20]!r} is not a date YYYY-MM-DD") from exc


def parse_kpi_params(params: Mapping[str, str | None]) -> KpiQuery:
    by = _text(params, "by") or DEFAULT_BY
    if by not in BY_CHOICES:
        raise QAError("Q615", field="by", detail=f"{by!r} is not one of {', '.join(BY_CHOICES)}")
    start, end = parse_day(_text(params, "from"), "from"), parse_day(_text(params, "to"), "to")
    if start and end and start > end:
        raise QAError("Q615", field="from", detail=f"{start} is after to={end}")
    return KpiQuery(by, start, end, _text(params, "agent_id"), _text(params, "team"))


def check_narrowing(db: ReviewDB, session: Session, scope: Scope, query: KpiQuery) -> None:
    """An agent may not ask for another agent, nor a coach for an agent or a team outside their team (Q613, 403:
    audited). A QA lead may ask for anything; an unknown agent or team just has no tickets."""
    user = session.user
    if user.role == "qa_lead":
        return
    if query.agent_id is not None and query.agent_id != user.agent_id:
        with db.read() as con:
            coached = con.execute(
                f"SELECT 1 FROM tickets t WHERE t.agent_id = ? AND ({scope.sql}) LIMIT 1",
                [query.agent_id, *scope.params],
            ).fetchone()
        if user.role == "agent" or coached is None:
            raise QAError("Q613", role=user.role, action=f"see the KPIs of agent {query.agent_id!r}")
    if query.team is not None and user.role == "coach" and query.team != user.team:
        raise QAError("Q613", role=user.role, action=f"see the KPIs of team {query.team!r}")


def _scoped_ids(db: ReviewDB, scope: Scope, query: KpiQuery) -> list[str] | None:
    """The ids the figures may use; None for every ticket (a QA lead who narrowed nothing)."""
    conds, params = [f"({scope.sql})"], list(scope.params)
    for column in ("agent_id", "team"):
        if getattr(query, column) is not None:
            conds.append(f"t.{column} = ?")
            params.append(getattr(query, column))
    if conds == ["(TRUE)"]:
        return None
    with db.read() as con:
        rows = con.execute(
            f"SELECT t.ticket_id FROM tickets t WHERE {' AND '.join(conds)}", params
        ).fetchall()
    return [r[0] for r in rows]


def _clean(value: Any) -> Any:
    if isinstance(value, float) and value != value:  # NaN never reaches JSON
        return None
    return value.isoformat() if isinstance(value, date) else value


def _records(frame: pl.DataFrame) -> list[dict[str, Any]]:
    return [{k: _clean(v) for k, v in row.items()} for row in frame.to_dicts()]


def _better(settings: KpiSettings, kpi: str) -> bool | None:
    target = settings.targets.get(kpi)
    if target is not None:
        return target.bound == "at_least"
    return higher_is_better(kpi)


def _trend(facts: pl.DataFrame, end_day: date, settings: KpiSettings) -> dict[str, Any]:
    """The last 7 days up to `end_day` against the 7 before: each KPI's change and whether that is better."""
    weeks = {
        "this_week": (end_day - WEEK + timedelta(days=1), end_day),
        "last_week": (end_day - 2 * WEEK + timedelta(days=1), end_day - WEEK),
    }
    out: dict[str, Any] = {}
    for name, (lo, hi) in weeks.items():
        chosen = facts.filter(in_period(pl.col("started_at"), lo, hi))
        figures = _records(compute_kpis(chosen, None, settings.agent_hour_cost))[0]
        out[name] = {"from": lo.isoformat(), "to": hi.isoformat(), **figures}
    change, direction = {}, {}
    for kpi in KPI_NAMES:
        now, before = out["this_week"][kpi], out["last_week"][kpi]
        change[kpi] = None if now is None or before is None else now - before
        better = _better(settings, kpi)
        if change[kpi] is None or better is None:
            direction[kpi] = None
        else:
            direction[kpi] = (
                "same" if change[kpi] == 0 else "better" if (change[kpi] > 0) == better else "worse"
            )
    return {**out, "change": change, "direction": direction}


def _sla_by_channel(facts: pl.DataFrame, settings: KpiSettings) -> list[dict[str, Any]]:
    frame = compute_kpis(facts, "channel", settings.agent_hour_cost).select(SLA_COLUMNS)
    measured = facts.group_by("channel").agg(measured=pl.col("sla_met").is_not_null().sum().cast(pl.Int64))
    rows = _records(frame.join(measured, on="channel", how="left", nulls_equal=True))
    for row in rows:
        row["sla_seconds"] = settings.sla_seconds.get(row["channel"]) if row["channel"] != "phone" else None
        row["status"] = settings.status("sla_attainment", row["sla_attainment"])
    return rows


def scoped_kpis(
    db: ReviewDB,
    scope: Scope,
    query: KpiQuery,
    settings: KpiSettings | None = None,
    today: date | None = None,
) -> dict[str, Any]:
    """The KPI page's figures (also `GET /api/kpi`): rows per group with their status against the targets, the
    figures over everything in the period, the week-over-week trend ending on the period's last day (or on the
    latest ticket's day) and the SLA per channel."""
    settings = settings if settings is not None else load_settings()
    ids = _scoped_ids(db, scope, query)
    # the trend may look up to 13 days before the period's end, even when the period starts later
    load_start = min(query.start, query.end - 2 * WEEK) if query.start and query.end else None
    with db.reading() as store:
        facts, undated = load_facts(
            store,
            settings.sla_seconds,
            load_start,
            query.end,
            ids,
            settings.active_cap,
            settings.business_hours,
        )
    period = facts.filter(in_period(pl.col("started_at"), query.start, query.end))
    rows = _records(compute_kpis(period, query.column, settings.agent_hour_cost))
    for row in rows:
        row["status"] = {kpi: settings.status(kpi, row[kpi]) for kpi in KPI_NAMES}
    overall = _records(compute_kpis(period, None, settings.agent_hour_cost))[0]
    overall["status"] = {kpi: settings.status(kpi, overall[kpi]) for kpi in KPI_NAMES}
    latest = facts["started_at"].max() if facts.height else None
    end_day = query.end or (latest.astimezone(UTC).date() if latest else (today or datetime.now(UTC).date()))
    return {
        "by": query.by,
        "column": query.column,
        "from": _clean(query.start),
        "to": _clean(query.end),
        "agent_id": query.agent_id,
        "team": query.team,
        "targets": {
            kpi: {"bound": t.bound, "value": t.value, "text": t.describe()}
            for kpi, t in settings.targets.items()
        },
        "currency": settings.currency,
        "rows": rows,
        "overall": overall,
        "trend": _trend(facts, end_day, settings),
        "sla_by_channel": _sla_by_channel(period, settings),
        "undated_tickets": undated if ids is None else None,
    }
