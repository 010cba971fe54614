"""Key issues in the reports: what customers contacted us about and which contacts head for escalation.

Pure, like `agent.py` and `team.py`: it arranges the per-reason and per-signal counts `queries.load_period`
computed. A ticket is "high risk" when its escalation risk reaches the rule pack's red threshold (the red tier's
`escalation_risk_at_least` in tiers.yaml): those are the tickets the tier policy sends to a QA lead today.
Tickets scored before contact reasons existed have no reason and no risk: they show as "unknown" and do not count
towards the escalation rate.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import polars as pl

from qa_engine.reasons.taxonomy import REASONS as REASON_ORDER  # the contract's order
from qa_engine.reports.queries import PeriodData
from qa_engine.reports.rulebook import Rulebook

UNKNOWN = "unknown"
TOP_SIGNALS = 6


def rate(part: int | None, whole: int | None) -> float | None:
    """part / whole, or None when there is nothing to measure."""
    return part / whole if whole else None


@dataclass(frozen=True)
class ReasonRow:
    reason: str
    tickets: int
    share: float
    red: int
    yellow: int
    green: int
    score_mean: float | None
    reference_score: float | None  # the reference's mean QA score for the same reason
    high_risk: int
    risk_measured: int

    @property
    def high_risk_rate(self) -> float | None:
        return rate(self.high_risk, self.risk_measured)


def _order(value: str) -> int:
    return REASON_ORDER.index(value) if value in REASON_ORDER else len(REASON_ORDER)


def reason_rows(data: PeriodData, level: str, key: str, ref_level: str | None = None,
                ref_key: str | None = None) -> list[ReasonRow]:  # fmt: skip
    """Per contact reason (most tickets first): tickets, tier mix, mean QA score, high-risk tickets."""
    own = data.of("reasons", level, key)
    ref = {}
    if ref_level is not None and ref_key is not None:
        ref = {r["value"] or UNKNOWN: r for r in data.of("reasons", ref_level, ref_key).iter_rows(named=True)}
    total = int(own["tickets"].sum()) if own.height else 0
    rows = [
        ReasonRow(
            r["value"] or UNKNOWN, r["tickets"], r["tickets"] / total, r["red"], r["yellow"], r["green"],
            r["score_mean"], ref.get(r["value"] or UNKNOWN, {}).get("score_mean"), r["escalated"],
            r["risk_measured"],
        )
        for r in own.iter_rows(named=True)
    ]  # fmt: skip
    return sorted(rows, key=lambda r: (-r.tickets, _order(r.reason), r.reason))


@dataclass(frozen=True)
class SignalRow:
    signal: str
    title: str
    tickets: int  # tickets in the period that raised it
    high_risk: int  # of those, tickets at or above the red threshold
    last_week: int
    this_week: int

    @property
    def delta(self) -> int:
        return self.this_week - self.last_week


def signal_rows(
    data: PeriodData, rulebook: Rulebook, level: str, key: str, limit: int = TOP_SIGNALS
) -> list[SignalRow]:
    """The escalation signals raised most often in the period, with last week vs this week: the root-cause trend."""
    frame = data.of("signals", level, key).sort(
        ["tickets", "escalated", "signal"], descending=[True, True, False]
    )
    return [
        SignalRow(r["signal"], rulebook.signal_title(r["signal"]), r["tickets"], r["escalated"], r["last_week"],
                  r["this_week"])
        for r in frame.head(limit).iter_rows(named=True)
    ]  # fmt: skip


@dataclass(frozen=True)
class Escalation:
    threshold: float
    high_risk: int
    measured: int  # tickets with an escalation risk
    last: float | None  # last week's rate
    this: float | None

    @property
    def rate(self) -> float | None:
        return rate(self.high_risk, self.measured)

    @property
    def verdict(self) -> str:
        if self.last is None or self.this is None or abs(self.this - self.last) < 1e-9:
            return "same"
        return "better" if self.this < self.last else "worse"


def escalation(data: PeriodData, rulebook: Rulebook, level: str, key: str) -> Escalation:
    summary = data.summary_of(level, key) or {"escalated": 0, "risk_measured": 0}
    weeks = {r["week"]: r for r in data.of("weekly", level, key).iter_rows(named=True)}

    def week_rate(week: str) -> float | None:
        row = weeks.get(week)
        return rate(row["escalated"], row["risk_measured"]) if row else None

    return Escalation(rulebook.escalation_red, summary["escalated"], summary["risk_measured"], week_rate("last"),
                      week_rate("this"))  # fmt: skip


def reason_weeks(data: PeriodData, level: str, key: str) -> tuple[list[date], dict[str, list[int]]]:
    """Weeks (oldest first, each ending 7k days before the period's end) and tickets per reason in each."""
    end, days = data.period.end, data.period.days
    starts = [date.fromordinal(end.toordinal() - 6 - 7 * k) for k in reversed(range(-(-days // 7)))]
    frame = data.of("reason_weeks", level, key).with_columns(pl.col("value").fill_null(UNKNOWN))
    counts = {(r["week_start"], r["value"]): r["tickets"] for r in frame.iter_rows(named=True)}
    reasons = sorted(set(frame["value"].to_list()), key=lambda v: (_order(v), v))
    return starts, {reason: [counts.get((d, reason), 0) for d in starts] for reason in reasons}
