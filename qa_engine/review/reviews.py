"""Human decisions: reviews (versioned), disputes of a review, and their resolution.

A review is appended, never updated: version n+1 is accepted only from someone who saw version n, so when two QA leads
save the same ticket at once the second is told (Q616, HTTP 409) and nothing is lost. Each review keeps the machine's
verdict as it stood, and the reviewer's full verdict (the machine's rule outcomes with the overrides applied), so
calibration can compare people with the machine and with each other even after a re-score, and the agent and
content it was made on, so a ticket id re-imported for another agent does not carry it over (`binding`).
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

from qa_engine.auth.users import User, require_unchanged
from qa_engine.errors import QAError
from qa_engine.review.binding import CURRENT_REVIEW
from qa_engine.review.db import ReviewDB
from qa_engine.review.models import DisputeIn, ResolutionIn, ReviewIn
from qa_engine.review.queue import iso
from qa_engine.review.scope import Scope


def _require(user: User, role: str, action: str) -> None:
    if user.role != role:
        raise QAError("Q613", role=user.role, action=action)


def _ticket_in_scope(con, scope: Scope, ticket_id: str) -> tuple:
    """(ticket_id, tier, agent_id, content_hash) of a ticket within scope; Q614 otherwise."""
    row = con.execute(
        "SELECT t.ticket_id, t.tier, t.agent_id, t.content_hash FROM tickets t "
        f"WHERE t.ticket_id = ? AND ({scope.sql})",
        [ticket_id, *scope.params],
    ).fetchone()
    if row is None:
        raise QAError("Q614", ticket_id=ticket_id)
    return row


def _current_version(con, ticket_id: str) -> int:
    return con.execute(
        "SELECT coalesce(max(version), 0) FROM reviews WHERE ticket_id = ?", [ticket_id]
    ).fetchone()[0]


def add_review(db: ReviewDB, user: User, scope: Scope, ticket_id: str, review: ReviewIn) -> dict:
    """Store a QA lead's review as version `review.version + 1`; Q616 when someone else saved first."""
    _require(user, "qa_lead", "review tickets")
    now = datetime.now(UTC)
    with db.write() as con:
        con.begin()
        try:
            require_unchanged(con, user)
            _, machine_tier, agent_id, content_hash = _ticket_in_scope(con, scope, ticket_id)
            machine = dict(
                con.execute(
                    "SELECT rule_id, outcome FROM rule_results WHERE ticket_id = ?", [ticket_id]
                ).fetchall()
            )
            unknown = sorted(set(review.rule_overrides) - set(machine))
            if unknown:
                raise QAError(
                    "Q615", field="rule_overrides",
                    detail=f"no result of rule {unknown[0]!r} on ticket {ticket_id!r} (known: {', '.join(sorted(machine))})",
                )  # fmt: skip
            current = _current_version(con, ticket_id)
            if review.version != current:
                raise QAError("Q616", ticket_id=ticket_id, sent=review.version, current=current)
            row = {
                "review_id": uuid.uuid4().hex, "ticket_id": ticket_id, "version": current + 1,
                "reviewer": user.username, "tier": review.tier,
                "rule_overrides": dict(sorted(review.rule_overrides.items())),
                "rule_outcomes": dict(sorted({**machine, **review.rule_overrides}.items())),
                "machine_tier": machine_tier, "machine_outcomes": dict(sorted(machine.items())),
                "comment": review.comment, "created_at": now,
                # what was reviewed (`binding`): '' for a ticket without a hash, so null still means "older store"
                "agent_id": agent_id, "content_hash": content_hash or "",
            }  # fmt: skip
            con.execute(
                "INSERT INTO reviews (review_id, ticket_id, version, reviewer, tier, rule_overrides, rule_outcomes, "
                "machine_tier, machine_outcomes, comment, created_at, agent_id, content_hash) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    row["review_id"], ticket_id, row["version"], user.username, review.tier,
                    json.dumps(row["rule_overrides"]), json.dumps(row["rule_outcomes"]), machine_tier,
                    json.dumps(row["machine_outcomes"]), review.comment, now, agent_id, row["content_hash"],
                ],
            )  # fmt: skip
            con.commit()
        except BaseException:
            con.rollback()
            raise
    return {**row, "created_at": iso(now)}


def add_dispute(db: ReviewDB, user: User, scope: Scope, ticket_id: str, dispute: DisputeIn) -> dict:
    """The ticket's agent disputes its latest review; Q617 when it has none made on this agent's conversation (a
    review of an earlier conversation under the same id, with another agent, is not theirs: `binding`)."""
    _require(user, "agent", "dispute reviews")
    now = datetime.now(UTC)
    with db.write() as con:
        con.begin()
        try:
            require_unchanged(con, user)
            _, _, agent_id, _ = _ticket_in_scope(con, scope, ticket_id)
            if agent_id != user.agent_id:  # scope says so already; a hand-off must not widen it
                raise QAError("Q614", ticket_id=ticket_id)
            latest = con.execute(
                "SELECT r.review_id, r.version FROM reviews r JOIN tickets t USING (ticket_id) "
                f"WHERE r.ticket_id = ? AND {CURRENT_REVIEW} ORDER BY r.version DESC LIMIT 1",
                [ticket_id],
            ).fetchone()
            if latest is None:
                raise QAError("Q617", ticket_id=ticket_id)
            row = {
                "dispute_id": uuid.uuid4().hex, "ticket_id": ticket_id, "review_id": latest[0],
                "review_version": latest[1], "username": user.username, "comment": dispute.comment,
                "created_at": now, "status": "open", "resolved_by": None, "resolution_comment": None,
                "resolved_at": None,
            }  # fmt: skip
            con.execute(
                "INSERT INTO disputes (dispute_id, ticket_id, review_id, review_version, username, comment, "
                "created_at, status) VALUES (?, ?, ?, ?, ?, ?, ?, 'open')",
                [row["dispute_id"], ticket_id, latest[0], latest[1], user.username, dispute.comment, now],
            )
            con.commit()
        except BaseException:
            con.rollback()
            raise
    return {**row, "created_at": iso(now)}


def resolve_dispute(
    db: ReviewDB, user: User, scope: Scope, ticket_id: str, dispute_id: str, resolution: ResolutionIn
) -> dict:
    """A QA lead accepts or rejects an open dispute; Q619 when it was resolved already."""
    _require(user, "qa_lead", "resolve disputes")
    now = datetime.now(UTC)
    with db.write() as con:
        con.begin()
        try:
            require_unchanged(con, user)
            _ticket_in_scope(con, scope, ticket_id)
            row = con.execute(
                "SELECT status FROM disputes WHERE dispute_id = ? AND ticket_id = ?", [dispute_id, ticket_id]
            ).fetchone()
            if row is None:
                raise QAError("Q618", dispute_id=dispute_id, ticket_id=ticket_id)
            if row[0] != "open":
                raise QAError("Q619", dispute_id=dispute_id, status=row[0])
            con.execute(
                "UPDATE disputes SET status = ?, resolved_by = ?, resolution_comment = ?, resolved_at = ? "
                "WHERE dispute_id = ?",
                [resolution.decision, user.username, resolution.comment, now, dispute_id],
            )
            con.commit()
        except BaseException:
            con.rollback()
            raise
    return {
        "dispute_id": dispute_id, "ticket_id": ticket_id, "status": resolution.decision,
        "resolved_by": user.username, "resolution_comment": resolution.comment, "resolved_at": iso(now),
    }  # fmt: skip
