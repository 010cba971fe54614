"""The coaching loop in the reports: each recorded session on the agent's timeline, whether its focus rules moved,
and the practice scenarios a session assigned.

Whether a focus rule moved is `qa_engine.kpi.coaching_effect`'s answer (pass rate and QA score in the 14 days
before vs the 14 days after the session, with ticket counts, "too few tickets" below 10), never recomputed here,
so a report and the review app agree. A report shows the sessions whose comparison touches its period: held in
the period or in the 14 days before it.

A session assigns practice when the coach said so (`qa coaching add ... --practice`, or the box on the review
app's coaching form). Its scenario set is the agent's own most recent failing excerpts for the session's focus rules, up to the period's end.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta

import polars as pl

from qa_engine.errors import QAError
from qa_engine.kpi.coaching_loop import (
    WINDOW_DAYS,
    CoachingEffect,
    CoachingSession,
    coaching_effect,
    list_sessions,
)
from qa_engine.reports.period import Period
from qa_engine.reports.rulebook import Rulebook, RuleNote
from qa_engine.store import Store

SCENARIOS_PER_RULE = 3
MOVED = ("improved", "declined")

_SCENARIOS = """
SELECT w.agent_id, w.rule_id, r.ticket_id, t.language, t.channel, CAST(timezone('UTC', t.started_at) AS DATE) AS day,
       r.detail, r.evidence."start" AS span_start, r.evidence."end" AS span_end, r.evidence.note AS note,
       u.text AS turn_text
FROM wanted_practice w
JOIN tickets t ON t.agent_id = w.agent_id
JOIN rule_results r ON r.ticket_id = t.ticket_id AND r.rule_id = w.rule_id AND r.outcome = 'fail'
LEFT JOIN turns u ON u.ticket_id = r.ticket_id AND u.turn_index = r.evidence.turn_index
WHERE t.started_at < ?
QUALIFY row_number() OVER (
    PARTITION BY w.agent_id, w.rule_id ORDER BY (u.text IS NOT NULL) DESC, t.started_at DESC, r.ticket_id
) <= ?
ORDER BY w.agent_id, w.rule_id, t.started_at DESC, r.ticket_id
"""


@dataclass
class CoachingData:
    """The coaching sessions that touch a period, their effects, and the practice scenarios they assigned."""

    # agent -> sessions (oldest first), and agent -> the effects of their focus rules
    sessions: dict[str, list[CoachingSession]] = field(default_factory=dict)
    effects: dict[str, list[CoachingEffect]] = field(default_factory=dict)
    scenarios: pl.DataFrame = field(default_factory=pl.DataFrame)  # agent_id, rule_id, ticket and excerpt

    def all_effects(self, agent_ids: Sequence[str] | None = None) -> list[CoachingEffect]:
        return [e for a, found in self.effects.items() if agent_ids is None or a in agent_ids for e in found]


def assigns_practice(session: CoachingSession) -> bool:
    """True when the coach assigned practice with the session."""
    return session.practice


def touches(session: CoachingSession, period: Period) -> bool:
    """The session's after-window overlaps the period: held in it, or in the WINDOW_DAYS before it."""
    return period.start - timedelta(days=WINDOW_DAYS) <= session.session_date <= period.end


def load_coaching(store: Store, period: Period, agent_ids: Sequence[str] | None = None) -> CoachingData:
    """Sessions of these agents (all when None) that touch the period, their effects and practice scenarios."""
    wanted = None if agent_ids is None else set(agent_ids)
    sessions: dict[str, list[CoachingSession]] = {}
    for session in list_sessions(store):
        if touches(session, period) and (wanted is None or session.agent_id in wanted):
            sessions.setdefault(session.agent_id, []).append(session)
    effects = {}
    for agent_id, found in sessions.items():
        ids = {s.session_id for s in found}
        try:
            effects[agent_id] = [e for e in coaching_effect(store, agent_id) if e.session_id in ids]
        except QAError:  # the agent's tickets were removed since: sessions without a comparison
            effects[agent_id] = []
    pairs = sorted({(s.agent_id, r) for found in sessions.values() for s in found if assigns_practice(s)
                    for r in s.focus_rules})  # fmt: skip
    scenarios = pl.DataFrame()
    if pairs:
        with store.connect(read_only=True) as con:
            con.register("wanted_practice", pl.DataFrame(pairs, schema=["agent_id", "rule_id"], orient="row"))
            scenarios = con.sql(_SCENARIOS, params=[period.bounds()[1], SCENARIOS_PER_RULE]).pl()
    return CoachingData(sessions, effects, scenarios)


@dataclass(frozen=True)
class FocusRow:
    """One focus rule across the sessions of a team: how often it moved, and by how much on average."""

    note: RuleNote
    sessions: int
    improved: int
    declined: int
    no_clear_change: int
    too_few: int
    pass_change: float | None  # mean of after - before pass rate, over the comparisons with enough tickets
    score_change: float | None  # the same for the QA score

    @property
    def verdict(self) -> str:
        if self.improved > self.declined:
            return "better"
        return "worse" if self.declined > self.improved else "same"


def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


def focus_rows(effects: Sequence[CoachingEffect], rulebook: Rulebook) -> list[FocusRow]:
    """Per focus rule (most sessions first): verdict counts and the mean change where tickets sufficed."""
    by_rule: dict[str, list[CoachingEffect]] = {}
    for effect in effects:
        by_rule.setdefault(effect.rule_id, []).append(effect)
    rows = []
    for rule_id, found in by_rule.items():
        enough = [e for e in found if not e.too_few_tickets]
        verdicts = [e.verdict for e in found]
        rows.append(
            FocusRow(
                rulebook.note(rule_id), len(found), verdicts.count("improved"), verdicts.count("declined"),
                verdicts.count("no clear change"), verdicts.count("too few tickets"),
                _mean([e.after_pass_rate - e.before_pass_rate for e in enough
                       if e.after_pass_rate is not None and e.before_pass_rate is not None]),
                _mean([e.after_qa_score - e.before_qa_score for e in enough
                       if e.after_qa_score is not None and e.before_qa_score is not None]),
            )
        )  # fmt: skip
    return sorted(rows, key=lambda r: (-r.sessions, -(r.improved - r.declined), r.note.rule_id))
