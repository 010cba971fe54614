"""Coaching sessions in the review app: who may record one for whom, and which sessions a reader may see.

Recording and the before/after comparison are `qa_engine.kpi`'s (`add_session`, `list_sessions`,
`coaching_effect`): the form records exactly what `qa coaching add` records, with the coach's username. This module
adds scope. A session belongs to an agent; a coach's agents are those with tickets in the coach's team, an agent's
only themself, a QA lead's everyone. Asking for an agent outside that is refused (403, audited) whether or not the
agent exists, so the refusal reveals nothing; a session outside it is answered as unknown (404), like a ticket.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from qa_engine.auth.users import User
from qa_engine.errors import QAError
from qa_engine.review.db import ReviewDB
from qa_engine.review.models import CoachingIn
from qa_engine.review.scope import Scope

COACHING_ROLES = ("qa_lead", "coach")


def agents_in_scope(db: ReviewDB, scope: Scope) -> list[str]:
    """The agents whose tickets this reader sees, sorted: the coaching form's choices."""
    with db.read() as con:
        rows = con.execute(
            f"SELECT DISTINCT t.agent_id FROM tickets t WHERE t.agent_id IS NOT NULL AND ({scope.sql}) ORDER BY 1",
            scope.params,
        ).fetchall()
    return [r[0] for r in rows]


def stored_rule_ids(db: ReviewDB) -> list[str]:
    """Rule ids with stored results, sorted: the focus choices (add_session also accepts the pack's other rules)."""
    with db.read() as con:
        return [r[0] for r in con.execute("SELECT DISTINCT rule_id FROM rule_results ORDER BY 1").fetchall()]


def check_agent(db: ReviewDB, user: User, scope: Scope, agent_id: str, action: str) -> None:
    """Q613 (403) unless the reader may see this agent; a QA lead may name any (an unknown one is Q805 later)."""
    if user.role == "qa_lead":
        return
    if user.role == "agent" and agent_id == user.agent_id:
        return
    if user.role == "coach" and agent_id in agents_in_scope(db, scope):
        return
    raise QAError("Q613", role=user.role, action=f"{action} of agent {agent_id[:64]!r}")


def record_session(db: ReviewDB, user: User, scope: Scope, body: CoachingIn) -> dict[str, Any]:
    """Record the session (coaches and QA leads; the caller checked the role) and return it as JSON."""
    from qa_engine.kpi import add_session  # polars and the KPI code load on first use

    check_agent(db, user, scope, body.agent_id, "record coaching sessions")
    try:
        with db.writing() as store:
            session = add_session(
                store,
                body.agent_id,
                body.day,
                body.focus_rules,
                body.note or None,
                user.username,
                practice=body.practice,
            )
    except QAError as exc:  # the library names CLI options; the form and the API name their fields
        if exc.code == "Q806":
            detail = f"unknown rule id {exc.fields['rule_id']!r}; nearby: {exc.fields['nearby']}"
            raise QAError("Q615", field="focus_rules", detail=detail) from None
        if exc.code == "Q805":
            raise QAError(
                "Q615", field="agent_id", detail=f"no stored tickets of agent {body.agent_id!r}"
            ) from None
        raise
    return session_json(session)


def session_json(session: Any) -> dict[str, Any]:
    out = asdict(session)
    out["session_date"] = session.session_date.isoformat()
    out["created_at"] = session.created_at.isoformat().replace("+00:00", "Z")
    out["focus_rules"] = list(session.focus_rules)
    out["notes"] = [  # every note recorded for the session, oldest first; `note` is the latest
        {"note": n.note, "coach": n.coach, "created_at": n.created_at.isoformat().replace("+00:00", "Z")}
        for n in session.notes
    ]
    return out


def _effect_json(effect: Any) -> dict[str, Any]:
    return {k: v.isoformat() if hasattr(v, "isoformat") else v for k, v in asdict(effect).items()}


def sessions_in_scope(
    db: ReviewDB, user: User, scope: Scope, agent_id: str | None = None
) -> list[dict[str, Any]]:
    """The sessions of the agents this reader sees (of one agent when given), newest first, each with its
    before/after effect per focus rule."""
    from qa_engine.kpi import coaching_effect, list_sessions

    if agent_id is not None:
        check_agent(db, user, scope, agent_id, "see the coaching sessions")
    visible = set(agents_in_scope(db, scope))
    with db.reading() as store:
        sessions = [s for s in list_sessions(store, agent_id) if s.agent_id in visible]
        effects: dict[str, list] = {}
        for agent in sorted({s.agent_id for s in sessions}):
            for effect in coaching_effect(store, agent):
                effects.setdefault(effect.session_id, []).append(_effect_json(effect))
    out = [{**session_json(s), "effects": effects.get(s.session_id, [])} for s in sessions]
    return sorted(out, key=lambda s: (s["session_date"], s["created_at"]), reverse=True)


def find_session(db: ReviewDB, user: User, scope: Scope, session_id: str) -> dict[str, Any]:
    """One session in scope, or Q624 (404) for an unknown one and for one outside the reader's scope alike."""
    for session in sessions_in_scope(db, user, scope):
        if session["session_id"] == session_id:
            return session
    raise QAError("Q624", session_id=session_id[:64])
