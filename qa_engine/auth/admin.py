"""User administration (CONTRACT.md section 2): list, disable, enable, change role and scope, reset a password.

One function per action, shared by `qa users` and the app's users page for QA leads. Each one changes the user, ends
what must end and writes its audit record (`audit.record_action`) in one transaction: a disabled user or a reset
password never leaves a live session behind, and no change lands without its record.

- Disabling ends the user's sessions at once and refuses their logins (as a wrong password, so a guesser learns
  nothing); enabling lets them sign in again (no session comes back).
- A password reset ends every session of the user, a stolen cookie's included.
- A role change takes effect at the user's next request: sessions read the role from `users` each time.
"""

from __future__ import annotations

from dataclasses import dataclass

from qa_engine.auth.sessions import end_user_sessions
from qa_engine.auth.users import User, hash_password, validate_password, validate_scope
from qa_engine.errors import QAError
from qa_engine.review.audit import Actor, record_action
from qa_engine.review.db import ReviewDB

FIELDS = ("username", "role", "team", "agent_id", "disabled")  # `qa users list --json`, in this order


@dataclass(frozen=True)
class UserRow:
    """A user as an administrator sees them (never the password hash)."""

    username: str
    role: str
    team: str | None
    agent_id: str | None
    disabled: bool

    def as_dict(self) -> dict[str, str | bool | None]:
        return {name: getattr(self, name) for name in FIELDS}


def _row(con, username: str) -> UserRow:
    row = con.execute(
        "SELECT username, role, team, agent_id, coalesce(disabled, false) FROM users WHERE username = ?",
        [username],
    ).fetchone()
    if row is None:
        raise QAError("Q640", username=username)
    return UserRow(*row)


def list_users(db: ReviewDB) -> list[UserRow]:
    """Every user, by username."""
    with db.read() as con:
        rows = con.execute(
            "SELECT username, role, team, agent_id, coalesce(disabled, false) FROM users ORDER BY username"
        ).fetchall()
    return [UserRow(*row) for row in rows]


def get_user(db: ReviewDB, username: str) -> UserRow:
    """One user; Q640 when there is none of that name."""
    with db.read() as con:
        return _row(con, username)


@dataclass(frozen=True)
class Change:
    """What an action did: the user afterwards, and how many of their sessions it ended."""

    user: UserRow
    sessions_ended: int = 0


def _in_transaction(db: ReviewDB, work, actor: Actor) -> Change:
    with db.write() as con:
        con.begin()
        try:
            if actor.method != "CLI":  # a QA lead in the app: still one, now that the write lock is held
                (lead,) = con.execute(
                    "SELECT count(*) FROM users WHERE username = ? AND role = 'qa_lead' "
                    "AND NOT coalesce(disabled, false)",
                    [actor.username],
                ).fetchone()
                if not lead:
                    raise QAError("Q610")
            change = work(con)
            con.commit()
        except BaseException:
            con.rollback()
            raise
    return change


def set_disabled(db: ReviewDB, username: str, disabled: bool, actor: Actor) -> Change:
    """Disable (their sessions end now, their logins are refused) or enable a user."""

    def work(con) -> Change:
        before = _row(con, username)
        con.execute("UPDATE users SET disabled = ? WHERE username = ?", [disabled, username])
        ended = end_user_sessions(con, username) if disabled else 0
        if disabled:
            reason = f"disabled user '{username}' ({before.role}); {ended} session(s) ended"
        else:
            reason = f"enabled user '{username}' ({before.role})"
        if before.disabled == disabled:
            reason += " (it already was)"
        record_action(con, actor, "user.disable" if disabled else "user.enable", reason)
        return Change(_row(con, username), ended)

    return _in_transaction(db, work, actor)


def set_role(
    db: ReviewDB,
    username: str,
    role: str,
    actor: Actor,
    team: str | None = None,
    agent_id: str | None = None,
) -> Change:
    """Give a user another role and scope. A team or agent id that is not given keeps its current value; the new
    role must have the key its scope needs (Q603), so no one is left seeing nothing (or everything) by mistake."""

    def work(con) -> Change:
        before = _row(con, username)
        new_team = team if team else before.team
        new_agent = agent_id if agent_id else before.agent_id
        validate_scope(role, new_agent, new_team)
        con.execute(
            "UPDATE users SET role = ?, team = ?, agent_id = ? WHERE username = ?",
            [role, new_team, new_agent, username],
        )
        record_action(
            con, actor, "user.set_role",
            f"user '{username}': role {before.role} -> {role}, team {before.team} -> {new_team}, "
            f"agent_id {before.agent_id} -> {new_agent}",
        )  # fmt: skip
        return Change(_row(con, username))

    return _in_transaction(db, work, actor)


def reset_password(db: ReviewDB, username: str, password: str, actor: Actor) -> Change:
    """Store a new password hash and end every session of the user."""
    validate_password(username, password)
    new_hash = hash_password(password)  # slow on purpose: outside the write lock

    def work(con) -> Change:
        _row(con, username)
        con.execute("UPDATE users SET password_hash = ? WHERE username = ?", [new_hash, username])
        ended = end_user_sessions(con, username)
        reason = f"reset the password of '{username}'; {ended} session(s) ended"
        record_action(con, actor, "user.reset_password", reason)
        return Change(_row(con, username), ended)

    return _in_transaction(db, work, actor)


def as_user(row: UserRow) -> User:
    return User(row.username, row.role, row.agent_id, row.team)
