"""Login sessions: a random token in an HttpOnly cookie, its SHA-256 in the store, a CSRF token, an expiry.

Sessions live in the store, not in server memory, so they survive a restart and work across server processes.
Only the token's hash is stored: someone who copies the store file cannot use it to open a session.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from qa_engine.auth.users import User
from qa_engine.errors import QAError
from qa_engine.review.db import ReviewDB

DEFAULT_TTL = timedelta(hours=8)  # one working day; then the user logs in again


@dataclass(frozen=True)
class Session:
    user: User
    csrf_token: str
    expires_at: datetime


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()


def start_session(db: ReviewDB, user: User, ttl: timedelta = DEFAULT_TTL) -> tuple[str, Session]:
    """(cookie token, session); expired sessions of everyone are cleared on the way.

    After a login (`user.verified_hash` set), only while the user is still enabled and has the very password hash
    the login verified: a disable or a password reset that lands between the check and here ends every session
    of that user, and this one must not start after it (Q611, as a wrong password)."""
    token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    now = datetime.now(UTC)
    with db.write() as con:
        con.execute("DELETE FROM sessions WHERE expires_at <= ?", [now])
        if user.verified_hash is not None:
            (still,) = con.execute(
                "SELECT count(*) FROM users WHERE username = ? AND password_hash = ? "
                "AND NOT coalesce(disabled, false)",
                [user.username, user.verified_hash],
            ).fetchone()
            if not still:
                raise QAError("Q611")
        con.execute(
            "INSERT INTO sessions (token_hash, username, csrf_token, created_at, expires_at) VALUES (?, ?, ?, ?, ?)",
            [_hash(token), user.username, csrf, now, now + ttl],
        )
    return token, Session(user, csrf, now + ttl)


def find_session(db: ReviewDB, token: str) -> Session | None:
    """The live session of this cookie token, or None (unknown, expired, or its user was removed or disabled)."""
    if not token or len(token) > 256:
        return None
    with db.read() as con:
        row = con.execute(
            "SELECT u.username, u.role, u.agent_id, u.team, s.csrf_token, s.expires_at FROM sessions s "
            "JOIN users u USING (username) WHERE s.token_hash = ? AND s.expires_at > ? "
            "AND NOT coalesce(u.disabled, false)",
            [_hash(token), datetime.now(UTC)],
        ).fetchone()
    if row is None:
        return None
    return Session(User(row[0], row[1], row[2], row[3]), row[4], row[5])


def end_user_sessions(con, username: str) -> int:
    """Delete every session of this user on an open write connection (inside the caller's transaction, so a
    disable or a password reset and the end of the sessions land together); how many there were."""
    (n,) = con.execute("SELECT count(*) FROM sessions WHERE username = ?", [username]).fetchone()
    con.execute("DELETE FROM sessions WHERE username = ?", [username])
    return int(n)


def end_session(db: ReviewDB, token: str) -> None:
    with db.write() as con:
        con.execute("DELETE FROM sessions WHERE token_hash = ?", [_hash(token)])
