"""Denied requests and administrative actions, on record: the `audit_log` table and the `qa_engine.web.audit` logger.

Administrative actions (a user added, disabled, enabled, given another role, a password reset; `record_action`) are
written at once, one row each, in the transaction that makes the change: `code` names the action (`user.disable`),
`username` who did it (a QA lead in the app, `cli:<login>` from `qa users`), `reason` what changed. Refusals, below,
are counted and aggregated instead.

Who tried what and why it was refused (no session, a bad CSRF token, a cross-site request, a role that may not, a
ticket out of scope, a wrong password, a throttled login). Passwords and tokens are never written. Writing the record
must not turn a refusal into an error: if the store cannot take it, the logger still has it.

A refusal is cheap to provoke, so it must not cost a store write each: a loop of anonymous requests would queue
writers one behind the other, and every reader of the app (and the nightly job) behind them. `AuditLog` counts in
memory and writes aggregates instead:

- Refusals are grouped by key: user (none when anonymous), client address, method, status, code and path prefix
  (`/api/<name>` or `/<name>`: `/api/tickets/R-1/reviews` counts under `/api/tickets`).
- An anonymous refusal is written at once only when it is the first of its key in the interval (60 s), and at most
  `burst_anonymous` such rows per interval for all clients together; the others are counted.
- A signed-in user's refusal is written at once, up to `burst_per_user` rows per user and interval (they are rarer
  and say who tried what); past that it is counted too.
- When the interval ends, each key's count becomes one row: `n` is the number of requests it stands for, `path` the
  prefix followed by `*`, `logged_at` the first of them, the reason ends with the times of the first and the last.
  At most `max_keys` keys are counted per interval; refusals past that share one row whose client is `*`.
  The app writes the counts every interval and when it stops; a crash loses at most one interval's counts (the
  logger has one line per written row).
- Retention: rows older than `retention` (90 days) are deleted, and the oldest beyond `max_rows` (1,000,000) too;
  checked when counts are written, at most once every `prune_every` (an hour).
"""

from __future__ import annotations

import getpass
import logging
import threading
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import NamedTuple

from qa_engine.nlp.redact import mask_payment_in_path
from qa_engine.review.db import ReviewDB

logger = logging.getLogger("qa_engine.web.audit")
MAX_FIELD = 500
MAX_PREFIX = 64


class _Key(NamedTuple):
    username: str | None
    client: str | None
    method: str | None
    status: int | None
    code: str | None
    prefix: str


_OVERFLOW = _Key(None, "*", None, None, None, "*")


@dataclass
class _Count:
    reason: str
    n: int = 0
    first: datetime | None = None
    last: datetime | None = None


@dataclass(frozen=True)
class Actor:
    """Who made an administrative change, and through what: the app's request, or a `qa users` command."""

    username: str
    method: str
    path: str
    client: str | None = None

    @classmethod
    def cli(cls, command: str) -> Actor:
        """The person at the server's shell, as `cli:<login>` (the store has no account for them)."""
        try:
            login = getpass.getuser()
        except Exception:  # no login name in this environment (a container without one): still on record
            login = "unknown"
        return cls(f"cli:{login}"[:MAX_FIELD], "CLI", command[:MAX_FIELD])


def record_action(con, actor: Actor, code: str, reason: str) -> None:
    """Write one administrative action to `audit_log` on the caller's open write connection, so the record and the
    change commit together (and neither without the other); also to the logger. Never a password."""
    path = mask_payment_in_path(actor.path)
    logger.info("%s by %s via %s %s: %s", code, actor.username, actor.method, path, reason)
    con.execute(
        "INSERT INTO audit_log (logged_at, username, method, path, status, code, reason, client, n) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, 1)",
        [datetime.now(UTC), actor.username, actor.method, path, 200 if actor.method != "CLI" else None,
         code, reason[:MAX_FIELD], actor.client],
    )  # fmt: skip


def path_prefix(path: str) -> str:
    """`/api/<name>` for the API, `/<name>` for pages: what a request was after, without ids or queries."""
    parts = path.split("?", 1)[0].split("/")
    keep = 3 if len(parts) > 2 and parts[1] == "api" else 2
    return "/".join(parts[:keep])[:MAX_PREFIX] or "/"


class AuditLog:
    """The app's record of refusals (see the module docstring); one per app, safe across its threads."""

    def __init__(
        self,
        interval: timedelta = timedelta(seconds=60),
        burst_anonymous: int = 20,
        burst_per_user: int = 30,
        max_keys: int = 200,
        retention: timedelta = timedelta(days=90),
        max_rows: int = 1_000_000,
        prune_every: timedelta = timedelta(hours=1),
    ) -> None:
        self.interval, self.retention, self.prune_every = interval, retention, prune_every
        self.burst_anonymous, self.burst_per_user = burst_anonymous, burst_per_user
        self.max_keys, self.max_rows = max_keys, max_rows
        self._lock = threading.Lock()
        self._started: datetime | None = None
        self._counts: dict[_Key, _Count] = {}
        self._anonymous_rows = 0
        self._user_rows: Counter[str] = Counter()
        self._pruned: datetime | None = None

    def record(
        self,
        db: ReviewDB,
        *,
        username: str | None,
        method: str,
        path: str,
        status: int,
        code: str,
        reason: str,
        client: str | None,
        now: datetime | None = None,
    ) -> None:
        """Note one refusal: written at once while its budget lasts, else counted for the interval's row."""
        now = now or datetime.now(UTC)
        path, reason = mask_payment_in_path(path)[:MAX_FIELD], reason[:MAX_FIELD]
        key = _Key(username, client, method, status, code, path_prefix(path))
        with self._lock:
            ended = self._roll(now, force=False)
            at_once = self._admit(key, reason, now)
        if ended:
            self._write_counts(db, ended, now)
        if at_once:
            logger.warning(
                "denied %s %s -> %d %s (%s) user=%s client=%s", method, path, status, code, reason,
                username or "-", client,
            )  # fmt: skip
            self._insert(db, [(now, username, method, path, status, code, reason, client, 1)])

    def flush(self, db: ReviewDB, now: datetime | None = None, force: bool = False) -> None:
        """Write the counts of an interval that has ended (any interval with `force`: the app is stopping)."""
        now = now or datetime.now(UTC)
        with self._lock:
            ended = self._roll(now, force)
        self._write_counts(db, ended, now)

    def _roll(self, now: datetime, force: bool) -> list[tuple[_Key, _Count]]:
        """Under the lock: start a new interval when the current one is over, and hand back its counts."""
        if self._started is None:
            self._started = now
        if not force and now - self._started < self.interval:
            return []
        ended = [(key, count) for key, count in self._counts.items() if count.n]
        self._started, self._counts, self._anonymous_rows = now, {}, 0
        self._user_rows.clear()
        return ended

    def _admit(self, key: _Key, reason: str, now: datetime) -> bool:
        """Under the lock: True when this refusal gets a row of its own now, else it is counted."""
        count = self._counts.get(key)
        if count is None and len(self._counts) >= self.max_keys:
            key, count = _OVERFLOW, self._counts.get(_OVERFLOW)
        if key.username is not None:
            at_once = self._user_rows[key.username] < self.burst_per_user
            self._user_rows[key.username] += at_once
        else:
            at_once = count is None and key != _OVERFLOW and self._anonymous_rows < self.burst_anonymous
            self._anonymous_rows += at_once
        if count is None:
            count = self._counts[key] = _Count(reason)
        if not at_once:
            count.n += 1
            count.first = count.first or now
            count.last = now
        return at_once

    def _write_counts(self, db: ReviewDB, ended: list[tuple[_Key, _Count]], now: datetime) -> None:
        rows = []
        for key, count in ended:
            span = f"{count.first:%H:%M:%S}-{count.last:%H:%M:%S} UTC"
            reason = f"{count.reason} ({count.n} requests, {span})"[:MAX_FIELD]
            path = key.prefix if key == _OVERFLOW else key.prefix + "*"
            logger.warning(
                "denied %d x %s %s -> %s %s (%s) user=%s client=%s", count.n, key.method, path, key.status,
                key.code, reason, key.username or "-", key.client,
            )  # fmt: skip
            rows.append((count.first, key.username, key.method, path, key.status, key.code, reason, key.client,
                         count.n))  # fmt: skip
        if rows:
            self._insert(db, rows)
        if self._pruned is None or now - self._pruned >= self.prune_every:
            self._pruned = now
            self._prune(db, now)

    def _insert(self, db: ReviewDB, rows: list[tuple]) -> None:
        try:
            with db.write() as con:
                con.executemany(
                    "INSERT INTO audit_log (logged_at, username, method, path, status, code, reason, client, n) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    rows,
                )
        except Exception:  # the refusal stands either way; the logger lines above are the fallback record
            logger.exception("could not write %d audit record(s)", len(rows))

    def _prune(self, db: ReviewDB, now: datetime) -> None:
        """Retention: rows older than `retention` go, then the oldest beyond `max_rows`."""
        try:
            with db.write() as con:
                con.execute("DELETE FROM audit_log WHERE logged_at < ?", [now - self.retention])
                (total,) = con.execute("SELECT count(*) FROM audit_log").fetchone()
                if total > self.max_rows:
                    con.execute(
                        "DELETE FROM audit_log WHERE logged_at <= (SELECT logged_at FROM audit_log "
                        "ORDER BY logged_at DESC LIMIT 1 OFFSET ?)",
                        [self.max_rows],
                    )
        except Exception:
            logger.exception("could not apply the audit log's retention")
