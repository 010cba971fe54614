"""Which tickets a user may see, as a SQL condition over the `tickets` table aliased `t`.

Every query of the review app goes through this one condition, so the queue, the ticket page, reviews, disputes and
calibration cannot disagree about scope. A ticket outside it is answered as unknown (its existence is not revealed).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from qa_engine.auth.users import User


@dataclass(frozen=True)
class Scope:
    sql: str  # a condition over `t` (tickets)
    params: list = field(default_factory=list)


def scope_for(user: User) -> Scope:
    """QA lead: every ticket; coach: their team's; agent: their own (tickets.agent_id)."""
    if user.role == "qa_lead":
        return Scope("TRUE")
    if user.role == "coach" and user.team:
        return Scope("t.team = ?", [user.team])
    if user.role == "agent" and user.agent_id:
        return Scope("t.agent_id = ?", [user.agent_id])
    return Scope("FALSE")  # a role without its key sees nothing rather than everything
