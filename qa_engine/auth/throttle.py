"""Login throttling: failed logins within 15 minutes are counted three ways, and past a limit further attempts are
refused (429 with Retry-After) until the oldest of those failures leaves the window.

- For one username from one client address: 5. Someone mistyping at their own desk, or a guesser at one address.
- From one client address, any username: 20. A guesser trying many names; higher than 5 because an office behind
  one NAT address shares it.
- For one username, from any address: 5. A guesser spread over many addresses. This lock does not apply to an
  address that signed in successfully as the user within 90 days (`login_known_clients`): a stranger's wrong
  guesses, one every 3 minutes or a thousand, lock out only addresses the user has not used, never the user at
  one they have. (They do lock the user out of a new address, a new laptop at home, for as long as the guessing
  goes on; that is the price of stopping a guesser with many addresses.)

Atomic: `begin` checks the counts and records the attempt *as a failure*, before its password is hashed, in one
store write; a matching password removes it again (`succeeded`). A write connection is exclusive (in this process
by ReviewDB's lock, across processes by DuckDB's file lock), so parallel guesses cannot all pass a check that none
of them has recorded yet: at most the limit get their password checked. Failures live in the store
(`login_failures`), like sessions, so a restart or a second server process does not reset the count. A refused
attempt checks no password and is not itself counted: each refusal costs no argon2 hash and no store write, and
hammering does not extend a lock. A successful login does not clear the earlier failures (the rule is "5 failures
within 15 minutes", and clearing them would let someone who owns one account reset their address's count between
guesses at another).

Hashing is bounded too (`HashGate`): argon2 costs 64 MiB a hash, so at most 2 run at once in this process and 16
more attempts wait for a turn, 10 seconds at most; past that an attempt is withdrawn (not counted) and answered 503
with Retry-After, and many names from many addresses at once cannot exhaust the server's memory.
"""

from __future__ import annotations

import contextlib
import math
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from qa_engine.errors import QAError
from qa_engine.nlp.redact import mask_payment
from qa_engine.review.db import ReviewDB

MAX_FAILURES = 5
MAX_CLIENT_FAILURES = 20
WINDOW = timedelta(minutes=15)
KNOWN_FOR = timedelta(days=90)
WHO = {
    "username_client": "for this username from this address",
    "client": "from this address",
    "username": "for this username",
}


@dataclass(frozen=True)
class Refusal:
    """Why and for how long the next attempt is refused."""

    seconds: int  # for Retry-After
    by: str  # a key of WHO

    @property
    def who(self) -> str:
        return WHO[self.by]


@dataclass(frozen=True)
class Attempt:
    """A login whose password is being checked, on record as a failure until it succeeds."""

    attempt_id: str
    username: str  # the throttle's key: case-folded
    client: str | None


class HashGate:
    """At most `slots` password hashes at once in this process; `queue` more wait up to `wait_s` seconds, others
    are refused with Q625 (503)."""

    def __init__(self, slots: int = 2, queue: int = 16, wait_s: float = 10.0) -> None:
        self.slots, self.queue, self.wait_s = slots, queue, wait_s
        self._running = threading.BoundedSemaphore(slots)
        self._guard = threading.Lock()
        self._inside = 0  # hashing or waiting

    @contextlib.contextmanager
    def turn(self) -> Iterator[None]:
        with self._guard:
            if self._inside >= self.slots + self.queue:
                raise QAError("Q625", seconds=2)
            self._inside += 1
        try:
            if not self._running.acquire(timeout=self.wait_s):
                raise QAError("Q625", seconds=math.ceil(self.wait_s))
            try:
                yield
            finally:
                self._running.release()
        finally:
            with self._guard:
                self._inside -= 1


@dataclass(frozen=True)
class LoginThrottle:
    max_failures: int = MAX_FAILURES  # per username and address; per username from unknown addresses
    max_client_failures: int = MAX_CLIENT_FAILURES
    window: timedelta = WINDOW
    known_for: timedelta = KNOWN_FOR
    hashing: HashGate = field(default_factory=HashGate, compare=False)

    @staticmethod
    def key(username: str) -> str:
        # what was typed as a name is kept: a card number or "password: ..." typed there is masked first
        return (mask_payment(username) or username).casefold()[:64]

    def check(
        self, db: ReviewDB, username: str, client: str | None, now: datetime | None = None
    ) -> Refusal | None:
        """A Refusal when one of the three counts is at its limit (a read: nothing is recorded)."""
        now = now or datetime.now(UTC)
        with db.read() as con:
            return self._decide(con, self.key(username), client, now)

    def begin(
        self, db: ReviewDB, username: str, client: str | None, now: datetime | None = None
    ) -> Attempt | Refusal:
        """The Refusal, or the Attempt, recorded as a failure in the same store write as its check."""
        now = now or datetime.now(UTC)
        refusal = self.check(db, username, client, now)  # most refusals end here, without a write
        if refusal is not None:
            return refusal
        attempt = Attempt(uuid.uuid4().hex, self.key(username), client)
        with db.write() as con:
            refusal = self._decide(con, attempt.username, client, now)
            if refusal is not None:
                return refusal
            con.execute("DELETE FROM login_failures WHERE failed_at <= ?", [now - self.window])
            con.execute(
                "INSERT INTO login_failures (failed_at, username, client, attempt_id) VALUES (?, ?, ?, ?)",
                [now, attempt.username, client, attempt.attempt_id],
            )
        return attempt

    def succeeded(self, db: ReviewDB, attempt: Attempt, now: datetime | None = None) -> None:
        """The password matched: the attempt is no failure, and its address is now known for this user."""
        now = now or datetime.now(UTC)
        with db.write() as con:
            con.execute("DELETE FROM login_failures WHERE attempt_id = ?", [attempt.attempt_id])
            if attempt.client is not None:
                con.execute(
                    "INSERT INTO login_known_clients (username, client, last_login_at) VALUES (?, ?, ?) "
                    "ON CONFLICT (username, client) DO UPDATE SET last_login_at = excluded.last_login_at",
                    [attempt.username, attempt.client, now],
                )
                con.execute(
                    "DELETE FROM login_known_clients WHERE last_login_at <= ?", [now - self.known_for]
                )

    def withdraw(self, db: ReviewDB, attempt: Attempt) -> None:
        """The password was never checked (the server was busy): the attempt does not count."""
        with db.write() as con:
            con.execute("DELETE FROM login_failures WHERE attempt_id = ?", [attempt.attempt_id])

    def record_failure(
        self, db: ReviewDB, username: str, client: str | None, now: datetime | None = None
    ) -> None:
        """One failure on record, as `begin` leaves it (for tools and tests that set up a history)."""
        now = now or datetime.now(UTC)
        with db.write() as con:
            con.execute(
                "INSERT INTO login_failures (failed_at, username, client, attempt_id) VALUES (?, ?, ?, ?)",
                [now, self.key(username), client, uuid.uuid4().hex],
            )

    def _decide(self, con, username: str, client: str | None, now: datetime) -> Refusal | None:
        rows = con.execute(
            "SELECT failed_at, username = ?, coalesce(client = ?, FALSE) FROM login_failures "
            "WHERE failed_at > ? AND (username = ? OR client = ?) ORDER BY failed_at",
            [username, client, now - self.window, username, client],
        ).fetchall()
        known = client is not None and con.execute(
            "SELECT 1 FROM login_known_clients WHERE username = ? AND client = ? AND last_login_at > ?",
            [username, client, now - self.known_for],
        ).fetchone() is not None  # fmt: skip
        counts = [
            ("username_client", [r[0] for r in rows if r[1] and r[2]], self.max_failures),
            ("client", [r[0] for r in rows if r[2]], self.max_client_failures),
            ("username", [] if known else [r[0] for r in rows if r[1]], self.max_failures),
        ]
        waits = []
        for by, times, limit in counts:
            if len(times) >= limit:
                # allowed again once enough failures left the window to bring the count below the limit
                free_at = times[len(times) - limit] + self.window
                waits.append(Refusal(max(1, math.ceil((free_at - now).total_seconds())), by))
        return max(waits, key=lambda r: r.seconds) if waits else None
