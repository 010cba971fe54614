"""Login throttling: after 5 failed logins for one username, or from one client address, within 15 minutes,
further attempts are refused (429 with Retry-After) until the oldest of those failures leaves the window.

Failures live in the store (`login_failures`), like sessions, so a restart or a second server process does not
reset the count. A refused attempt checks no password and is not itself counted: an attacker cannot keep a user
locked out beyond the window by hammering, and each refusal costs no argon2 hash. A successful login does not clear
the count, as the rule is "5 failures within 15 minutes" (and clearing it would let someone who owns one account
reset their address's count between guesses at another).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from qa_engine.review.db import ReviewDB

MAX_FAILURES = 5
WINDOW = timedelta(minutes=15)


@dataclass(frozen=True)
class Refusal:
    """Why and for how long the next attempt is refused."""

    seconds: int  # for Retry-After
    by: str  # "username" or "client"

    @property
    def who(self) -> str:
        return "for this username" if self.by == "username" else "from this address"


@dataclass(frozen=True)
class LoginThrottle:
    max_failures: int = MAX_FAILURES
    window: timedelta = WINDOW

    @staticmethod
    def key(username: str) -> str:
        return username.casefold()[:64]

    def check(
        self, db: ReviewDB, username: str, client: str | None, now: datetime | None = None
    ) -> Refusal | None:
        """A Refusal when this username or this client already failed `max_failures` times in the window."""
        now = now or datetime.now(UTC)
        with db.read() as con:
            rows = con.execute(
                "SELECT failed_at, username = ?, coalesce(client = ?, FALSE) FROM login_failures "
                "WHERE failed_at > ? AND (username = ? OR client = ?) ORDER BY failed_at",
                [self.key(username), client, now - self.window, self.key(username), client],
            ).fetchall()
        waits = []
        for by, column in (("username", 1), ("client", 2)):
            times = [r[0] for r in rows if r[column]]
            if len(times) >= self.max_failures:
                # allowed again once enough failures left the window to bring the count below the limit
                free_at = times[len(times) - self.max_failures] + self.window
                waits.append(Refusal(max(1, math.ceil((free_at - now).total_seconds())), by))
        return max(waits, key=lambda r: r.seconds) if waits else None

    def record_failure(
        self, db: ReviewDB, username: str, client: str | None, now: datetime | None = None
    ) -> None:
        now = now or datetime.now(UTC)
        with db.write() as con:
            con.execute("DELETE FROM login_failures WHERE failed_at <= ?", [now - self.window])
            con.execute(
                "INSERT INTO login_failures (failed_at, username, client) VALUES (?, ?, ?)",
                [now, self.key(username), client],
            )
