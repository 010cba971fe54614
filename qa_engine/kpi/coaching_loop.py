"""The coaching loop: record a coaching session (agent, date, focus rules, note) and show whether it worked.

Whether it worked is a before/after comparison per focus rule: the rule's pass rate (pass / (pass + fail), na left
out) and the agent's mean QA score over the tickets that started in the 14 days before the session day vs the 14
days after it (the session day itself is in neither). Fewer than 10 judged tickets on either side is "too few
tickets"; otherwise a two-proportion z-test at the 5% level says "improved", "declined" or "no clear change", so
a lucky week does not read as a success.
"""

from __future__ import annotations

import difflib
import hashlib
import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import duckdb
import polars as pl

from qa_engine.errors import QAError
from qa_engine.kpi.facts import ticket_starts
from qa_engine.nlp.redact import mask_payment
from qa_engine.store import Store

WINDOW_DAYS = 14
MIN_TICKETS = 10
Z_CRITICAL = 1.96  # two-sided 5%
VERDICTS = ("improved", "declined", "no clear change", "too few tickets")


@dataclass(frozen=True)
class CoachingNote:
    """One note recorded for a session, by whom and when."""

    note: str
    coach: str | None
    created_at: datetime


@dataclass(frozen=True)
class CoachingSession:
    session_id: str
    agent_id: str
    session_date: date
    focus_rules: tuple[str, ...]
    note: str | None  # the latest note
    coach: str | None
    created_at: datetime
    practice: bool = False  # the coach assigned practice on the focus rules (a role-play set in the report)
    notes: tuple[
        CoachingNote, ...
    ] = ()  # every note recorded for the session, oldest first (the latest is `note`)


@dataclass(frozen=True)
class CoachingEffect:
    """One focus rule of one session: the agent before vs after it."""

    session_id: str
    agent_id: str
    session_date: date
    rule_id: str
    before_from: date
    before_to: date
    after_from: date
    after_to: date
    before_tickets: int  # the agent's tickets in the window (the QA score's base)
    after_tickets: int
    before_judged: int  # of those, tickets where the rule passed or failed (the pass rate's base)
    after_judged: int
    before_pass_rate: float | None
    after_pass_rate: float | None
    before_qa_score: float | None
    after_qa_score: float | None
    too_few_tickets: bool  # fewer than MIN_TICKETS judged tickets before or after
    verdict: str  # one of VERDICTS


def _store(db: str | Path | Store) -> Store:
    return db if isinstance(db, Store) else Store(db)


def _has_sessions_table(con: duckdb.DuckDBPyConnection) -> bool:
    return _has_table(con, "coaching_sessions")


def _has_table(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    rows = con.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()"
    ).fetchall()
    return name in {row[0] for row in rows}


def _notes(con: duckdb.DuckDBPyConnection, session_ids: Sequence[str]) -> dict[str, tuple[CoachingNote, ...]]:
    """session_id -> its notes, oldest first (none for a store from before the notes history)."""
    if not session_ids or not _has_table(con, "coaching_notes"):
        return {}
    notes: dict[str, list[CoachingNote]] = {}
    for sid, note, coach, created in con.execute(
        "SELECT session_id, note, coach, created_at FROM coaching_notes WHERE session_id IN (SELECT unnest(?)) "
        "ORDER BY created_at, rowid",
        [list(session_ids)],
    ).fetchall():
        notes.setdefault(sid, []).append(CoachingNote(note, coach, created))
    return {sid: tuple(found) for sid, found in notes.items()}


def _require_agent(con: duckdb.DuckDBPyConnection, db: Path, agent_id: str) -> None:
    found = con.execute("SELECT count(*) FROM tickets WHERE agent_id = ?", [agent_id]).fetchone()[0]
    if found:
        return
    agents = [
        row[0]
        for row in con.execute("SELECT DISTINCT agent_id FROM tickets WHERE agent_id IS NOT NULL").fetchall()
    ]
    near = difflib.get_close_matches(agent_id, agents, n=3, cutoff=0.6)
    hint = f" (did you mean {', '.join(near)}?)" if near else ""
    raise QAError("Q805", agent_id=agent_id, db=db, hint=hint)


def require_agent(db: str | Path | Store, agent_id: str) -> None:
    """Q805 unless the store holds a ticket of this agent (with the nearest known ids as a hint)."""
    store = _store(db)
    with store.connect(read_only=True) as con:
        _require_agent(con, store.path, agent_id)


def pack_rule_ids(pack: str | Path | None = None) -> set[str]:
    """Rule ids of a rule pack (file or folder), read by `qa_engine.pack`: fast, no rule kinds compiled."""
    from qa_engine.pack import load_pack

    return {entry.id for entry in load_pack(pack)}


def known_rule_ids(db: str | Path | Store, pack: str | Path | None = None) -> set[str]:
    """The rule pack's ids and every rule id with stored results (tickets scored with another pack count too)."""
    with _store(db).connect(read_only=True) as con:
        return pack_rule_ids(pack) | _stored_rule_ids(con)


def _stored_rule_ids(con: duckdb.DuckDBPyConnection) -> set[str]:
    return {row[0] for row in con.execute("SELECT DISTINCT rule_id FROM rule_results").fetchall()}


def session_id(agent_id: str, session_date: date, focus_rules: Sequence[str]) -> str:
    """Derived from what the session is, so recording the same session twice updates it instead of doubling it
    (its notes are kept: `add_session`)."""
    key = "\0".join([agent_id, session_date.isoformat(), *sorted(focus_rules)])
    return "cs-" + hashlib.sha256(key.encode()).hexdigest()[:12]


def add_session(
    db: str | Path | Store,
    agent_id: str,
    session_date: date,
    focus_rules: Sequence[str],
    note: str | None = None,
    coach: str | None = None,
    rules: str | Path | None = None,
    practice: bool = False,
) -> CoachingSession:
    """Record a coaching session (the CLI's `qa coaching add` and the review app's form). The agent must have
    tickets in the store (Q805) and each focus rule must exist (Q806, listing nearby ids).

    Recording the same session again (agent, day, focus) updates it, but never loses a note: every note goes to
    `coaching_notes`, the session shows the latest, and recording it again without a note keeps the last one."""
    store = _store(db)
    focus = tuple(dict.fromkeys(r.strip() for r in focus_rules if r and r.strip()))
    if not focus:
        raise QAError(
            "Q809", agent_id=agent_id, detail="give at least one focus rule id (--focus RULE_ID[,RULE_ID...])"
        )
    with store.connect(read_only=True) as con:
        _require_agent(con, store.path, agent_id)
        known = pack_rule_ids(rules) | _stored_rule_ids(con)
        table_exists = _has_sessions_table(con)
        notes_exist = _has_table(con, "coaching_notes")
    for rule_id in focus:
        if rule_id not in known:
            near = difflib.get_close_matches(rule_id, sorted(known), n=5, cutoff=0.5) or sorted(known)[:8]
            raise QAError("Q806", rule_id=rule_id, nearby=", ".join(near))
    session = CoachingSession(
        session_id=session_id(agent_id, session_date, focus), agent_id=agent_id, session_date=session_date,
        focus_rules=focus, note=mask_payment(note) or None, coach=coach, created_at=datetime.now(UTC),
        practice=practice,
    )  # fmt: skip
    if not table_exists or not notes_exist:
        store.init()  # a store from before coaching (or its notes history) existed gets the tables
    with store.connect() as con:
        con.begin()
        try:
            earlier = con.execute(
                "SELECT note, coach, created_at FROM coaching_sessions WHERE session_id = ?",
                [session.session_id],
            ).fetchone()
            logged = con.execute(
                "SELECT count(*) FROM coaching_notes WHERE session_id = ?", [session.session_id]
            ).fetchone()[0]
            if (
                earlier is not None and earlier[0] and not logged
            ):  # recorded before the history: keep its note
                con.execute("INSERT INTO coaching_notes VALUES (?, ?, ?, ?)", [session.session_id, *earlier])
            if session.note:
                con.execute(
                    "INSERT INTO coaching_notes VALUES (?, ?, ?, ?)",
                    [session.session_id, session.note, coach, session.created_at],
                )
            elif earlier is not None and earlier[0]:
                session = replace(session, note=earlier[0])  # no new note: the last one stays the session's
            con.execute(
                "INSERT INTO coaching_sessions "
                "(session_id, agent_id, session_date, focus_rules, note, coach, created_at, practice) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (session_id) DO UPDATE SET agent_id = excluded.agent_id, "
                "session_date = excluded.session_date, focus_rules = excluded.focus_rules, note = excluded.note, "
                "coach = excluded.coach, created_at = excluded.created_at, practice = excluded.practice",
                [
                    session.session_id, agent_id, session_date, list(focus), session.note, coach,
                    session.created_at, practice,
                ],
            )  # fmt: skip
            con.commit()
        except BaseException:
            con.rollback()
            raise
        return replace(session, notes=_notes(con, [session.session_id]).get(session.session_id, ()))


def list_sessions(db: str | Path | Store, agent_id: str | None = None) -> list[CoachingSession]:
    """Recorded sessions (of one agent, or all), oldest first: the agent report's timeline."""
    with _store(db).connect(read_only=True) as con:
        return _sessions(con, agent_id)


def _sessions(con: duckdb.DuckDBPyConnection, agent_id: str | None) -> list[CoachingSession]:
    if not _has_sessions_table(con):
        return []
    rows = con.execute(
        "SELECT session_id, agent_id, session_date, focus_rules, note, coach, created_at, coalesce(practice, false) "
        "FROM coaching_sessions "
        "WHERE ?::VARCHAR IS NULL OR agent_id = ? ORDER BY session_date, created_at, session_id",
        [agent_id, agent_id],
    ).fetchall()
    notes = _notes(con, [row[0] for row in rows])
    sessions = []
    for sid, agent, day, focus, note, coach, created, practice in rows:
        # a session recorded before the notes history has its one note only in its own row
        history = notes.get(sid) or ((CoachingNote(note, coach, created),) if note else ())
        sessions.append(
            CoachingSession(sid, agent, day, tuple(focus), note, coach, created, bool(practice), history)
        )
    return sessions


def verdict(
    before_pass: int, before_n: int, after_pass: int, after_n: int, min_tickets: int = MIN_TICKETS
) -> str:
    """improved / declined / no clear change (two-proportion z-test, 5%), or too few tickets on either side."""
    if min(before_n, after_n) < min_tickets:
        return "too few tickets"
    pooled = (before_pass + after_pass) / (before_n + after_n)
    spread = math.sqrt(pooled * (1 - pooled) * (1 / before_n + 1 / after_n))
    if spread == 0:  # all passed, or all failed, on both sides
        return "no clear change"
    z = (after_pass / after_n - before_pass / before_n) / spread
    return "improved" if z >= Z_CRITICAL else "declined" if z <= -Z_CRITICAL else "no clear change"


def _agent_outcomes(
    con: duckdb.DuckDBPyConnection, agent_id: str, rule_ids: Sequence[str]
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(the agent's tickets: ticket_id, day, qa_score; their outcomes of these rules: ticket_id, rule_id, outcome)."""
    starts = ticket_starts(con).filter(pl.col("agent_id") == agent_id)
    scores = con.sql("SELECT ticket_id, qa_score FROM tickets WHERE agent_id = ?", params=[agent_id]).pl()
    outcomes = con.sql(
        "SELECT r.ticket_id, r.rule_id, r.outcome FROM rule_results r JOIN tickets t USING (ticket_id) "
        "WHERE t.agent_id = ? AND list_contains(?, r.rule_id)",
        params=[agent_id, list(rule_ids)],
    ).pl()
    tickets = starts.join(scores, on="ticket_id", how="left").select(
        "ticket_id", day=pl.col("started_at").dt.date(), qa_score=pl.col("qa_score").cast(pl.Float64)
    )
    return tickets, outcomes


def coaching_effect(
    db: str | Path | Store, agent_id: str, window_days: int = WINDOW_DAYS, min_tickets: int = MIN_TICKETS
) -> list[CoachingEffect]:
    """Per session of the agent (oldest first) and per focus rule: pass rate and QA score in the `window_days`
    before vs after the session day, with ticket counts and a verdict. Unknown agent: Q805."""
    store = _store(db)
    with store.connect(read_only=True) as con:
        _require_agent(con, store.path, agent_id)
        sessions = _sessions(con, agent_id)
        if not sessions:
            return []
        tickets, outcomes = _agent_outcomes(
            con, agent_id, sorted({r for s in sessions for r in s.focus_rules})
        )
    effects = []
    for session in sessions:
        d = session.session_date
        windows = {
            "before": (d - timedelta(days=window_days), d - timedelta(days=1)),
            "after": (d + timedelta(days=1), d + timedelta(days=window_days)),
        }
        sides = {side: tickets.filter(pl.col("day").is_between(lo, hi)) for side, (lo, hi) in windows.items()}
        for rule_id in session.focus_rules:
            figures = {}
            for side, chosen in sides.items():
                judged = outcomes.join(chosen.select("ticket_id"), on="ticket_id").filter(
                    (pl.col("rule_id") == rule_id) & pl.col("outcome").is_in(["pass", "fail"])
                )
                passed = int((judged["outcome"] == "pass").sum())
                figures[side] = {
                    "tickets": chosen.height,
                    "judged": judged.height,
                    "passed": passed,
                    "pass_rate": passed / judged.height if judged.height else None,
                    "qa_score": chosen["qa_score"].mean() if chosen.height else None,
                }
            before, after = figures["before"], figures["after"]
            effects.append(
                CoachingEffect(
                    session_id=session.session_id, agent_id=agent_id, session_date=d, rule_id=rule_id,
                    before_from=windows["before"][0], before_to=windows["before"][1],
                    after_from=windows["after"][0], after_to=windows["after"][1],
                    before_tickets=before["tickets"], after_tickets=after["tickets"],
                    before_judged=before["judged"], after_judged=after["judged"],
                    before_pass_rate=before["pass_rate"], after_pass_rate=after["pass_rate"],
                    before_qa_score=before["qa_score"], after_qa_score=after["qa_score"],
                    too_few_tickets=min(before["judged"], after["judged"]) < min_tickets,
                    verdict=verdict(before["passed"], before["judged"], after["passed"], after["judged"], min_tickets),
                )
            )  # fmt: skip
    return effects
