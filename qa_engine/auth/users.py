"""Review-app users: who they are, what role they have, and their argon2id password hashes.

The role and the agent id or team decide what a user sees (`qa_engine.review.scope`); they are checked when the user is created,
so a coach without a team or an agent without an agent id cannot exist and silently see nothing.

Hashes: argon2id at RFC 9106's low-memory parameters (64 MiB, 3 passes). `QA_ARGON2_FAST=1` swaps in cheap ones
(1 MiB, one pass) for test suites that sign in hundreds of times, and only there: it is honoured while pytest runs a
test (`PYTEST_CURRENT_TEST`) or when a test marks a process it starts with `QA_TESTING=1`; set anywhere else it is
refused (Q629), so a production server can never be told to make weak hashes. A stored hash is rehashed at login only
to make it stronger (a cheap one meets a real server), never weaker: a test server over a copy of a real store
leaves the real hashes as they are.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache

from argon2 import PasswordHasher, extract_parameters
from argon2.exceptions import InvalidHashError, VerificationError

from qa_engine.errors import QAError
from qa_engine.review.audit import Actor, record_action
from qa_engine.review.db import ReviewDB

ROLES: tuple[str, ...] = ("qa_lead", "coach", "agent")
MIN_PASSWORD = 8
MAX_PASSWORD = 1024  # argon2 takes any length; a cap keeps a login request from costing much
_USERNAME = re.compile(r"[A-Za-z0-9._@-]{1,64}")
FAST_HASH_ENV = "QA_ARGON2_FAST"
TESTING_ENV = "QA_TESTING"  # set by a test for a server or command process it starts


def make_hasher(fast: bool = False) -> PasswordHasher:
    """argon2id with the library's recommended parameters (RFC 9106 low-memory: 64 MiB, 3 passes). `fast` (1 MiB,
    one pass) is for test suites that sign in hundreds of times; a hash made with it is upgraded at the next login
    on a server that runs without it."""
    if fast:
        return PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    return PasswordHasher()


def fast_hashing(env: Mapping[str, str] = os.environ) -> bool:
    """Whether to hash with the cheap test parameters: `QA_ARGON2_FAST=1` inside a test run; Q629 outside one."""
    if env.get(FAST_HASH_ENV) != "1":
        return False
    if env.get("PYTEST_CURRENT_TEST") or env.get(TESTING_ENV) == "1":
        return True
    raise QAError("Q629", env=FAST_HASH_ENV, testing=TESTING_ENV)


@cache
def _hasher_for(fast: bool) -> PasswordHasher:
    return make_hasher(fast)


def _hasher() -> PasswordHasher:
    return _hasher_for(fast_hashing())


@cache
def _dummy_hash_for(fast: bool) -> str:
    return _hasher_for(fast).hash("not a password of anyone")


def should_rehash(stored: str, hasher: PasswordHasher) -> bool:
    """Whether to rehash `stored` with `hasher` at login: when its parameters differ and none of its costs (memory,
    passes) is above the hasher's, so a rehash only ever makes a hash stronger."""
    if not hasher.check_needs_rehash(stored):
        return False
    try:
        old = extract_parameters(stored)
    except InvalidHashError:
        return False
    return old.memory_cost <= hasher.memory_cost and old.time_cost <= hasher.time_cost


def _dummy_hash() -> str:
    # Verified when the username is unknown, so a wrong name costs as long as a wrong password (no user enumeration).
    return _dummy_hash_for(fast_hashing())


@dataclass(frozen=True)
class User:
    username: str
    role: str
    agent_id: str | None = None
    team: str | None = None
    # the password hash a login verified: its session starts only while the user still has it (`start_session`)
    verified_hash: str | None = field(default=None, repr=False, compare=False)

    def as_dict(self) -> dict[str, str | None]:
        return {"username": self.username, "role": self.role, "agent_id": self.agent_id, "team": self.team}


def validate_user(username: str, password: str, role: str, agent_id: str | None, team: str | None) -> None:
    """Raise the Q60x error of the first thing wrong with a new user."""
    if not _USERNAME.fullmatch(username):
        raise QAError("Q601", username=username)
    validate_scope(role, agent_id, team)
    validate_password(username, password)


def validate_scope(role: str, agent_id: str | None, team: str | None) -> None:
    """A known role with the key its scope needs (an agent id for an agent, a team for a coach)."""
    if role not in ROLES:
        raise QAError("Q606", role=role, known=", ".join(ROLES))
    if role == "agent" and not agent_id:
        raise QAError("Q603", role=role, option="--agent-id")
    if role == "coach" and not team:
        raise QAError("Q603", role=role, option="--team")


def validate_password(username: str, password: str) -> None:
    """Present, at least MIN_PASSWORD and at most MAX_PASSWORD characters."""
    if not password:
        raise QAError("Q604")
    if len(password) < MIN_PASSWORD:
        raise QAError("Q605", username=username, minimum=MIN_PASSWORD)
    if len(password) > MAX_PASSWORD:
        raise QAError("Q615", field="password", detail=f"longer than {MAX_PASSWORD} characters")


def add_user(
    db: ReviewDB,
    username: str,
    password: str,
    role: str,
    agent_id: str | None = None,
    team: str | None = None,
    actor: Actor | None = None,
) -> User:
    """Create a user (the store's tables are created when missing); an existing username is an error. With an
    `actor` (`qa users add`), the audit log records who added whom."""
    validate_user(username, password, role, agent_id, team)
    password_hash = hash_password(password)
    db.init()
    with db.write() as con:
        if con.execute("SELECT 1 FROM users WHERE username = ?", [username]).fetchone():
            raise QAError("Q602", username=username, db=db.path)
        con.begin()  # the user and their audit record land together
        try:
            con.execute(
                "INSERT INTO users (username, password_hash, role, agent_id, team, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                [username, password_hash, role, agent_id or None, team or None, datetime.now(UTC)],
            )
            if actor is not None:
                scope = f", team {team}" if team else ""
                scope += f", agent_id {agent_id}" if agent_id else ""
                record_action(con, actor, "user.add", f"added user '{username}' ({role}{scope})")
            con.commit()
        except BaseException:
            con.rollback()
            raise
    return User(username, role, agent_id or None, team or None)


def authenticate(db: ReviewDB, username: str, password: str) -> User | None:
    """The user when the password matches and the user is not disabled, else None; the hash is upgraded when the
    parameters moved up."""
    if len(password) > MAX_PASSWORD:
        return None
    with db.read() as con:
        row = con.execute(
            "SELECT password_hash, role, agent_id, team, coalesce(disabled, false) FROM users WHERE username = ?",
            [username],
        ).fetchone()
    hasher = _hasher()
    try:
        hasher.verify(row[0] if row else _dummy_hash(), password)
    except (VerificationError, InvalidHashError):
        return None
    if row is None or row[4]:  # a disabled user is refused like a wrong password, after the same work
        return None
    verified = row[0]
    if should_rehash(verified, hasher):
        stronger = hasher.hash(password)
        with db.write() as con:
            # only over the hash just verified: a reset that landed meanwhile must not be undone by the old password
            (changed,) = con.execute(
                "SELECT count(*) FROM users WHERE username = ? AND password_hash = ?", [username, verified]
            ).fetchone()
            if changed:
                con.execute(
                    "UPDATE users SET password_hash = ? WHERE username = ? AND password_hash = ?",
                    [stronger, username, verified],
                )
                verified = stronger
    return User(username, row[1], row[2], row[3], verified_hash=verified)


def require_unchanged(con, user: User) -> None:
    """Q610 unless `user` is still enabled with the role and scope its session was checked with. Called first in a
    write, under the app's write lock: a request can pass its session check, then wait for the lock while a QA
    lead disables the user or changes their role, and its write must not land after that."""
    (same,) = con.execute(
        "SELECT count(*) FROM users WHERE username = ? AND NOT coalesce(disabled, false) AND role = ? "
        "AND agent_id IS NOT DISTINCT FROM ? AND team IS NOT DISTINCT FROM ?",
        [user.username, user.role, user.agent_id, user.team],
    ).fetchone()
    if not same:
        raise QAError("Q610")


def hash_password(password: str) -> str:
    """The argon2id hash a new or reset password is stored as."""
    return _hasher().hash(password)


def count_users(db: ReviewDB) -> int:
    with db.read() as con:
        return con.execute("SELECT count(*) FROM users").fetchone()[0]
