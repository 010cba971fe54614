"""Denied requests, on record: the `audit_log` table and the `qa_engine.web.audit` logger.

Who tried what and why it was refused (no session, a bad CSRF token, a role that may not, a ticket out of scope, a
wrong password). Passwords and tokens are never written. Writing the record must not turn a refusal into an error:
if the store cannot take it, the logger still has it.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from qa_engine.review.db import ReviewDB

logger = logging.getLogger("qa_engine.web.audit")
MAX_FIELD = 500


def record_denied(
    db: ReviewDB,
    *,
    username: str | None,
    method: str,
    path: str,
    status: int,
    code: str,
    reason: str,
    client: str | None,
) -> None:
    path, reason = path[:MAX_FIELD], reason[:MAX_FIELD]
    logger.warning(
        "denied %s %s -> %d %s (%s) user=%s client=%s",
        method,
        path,
        status,
        code,
        reason,
        username or "-",
        client,
    )
    try:
        with db.write() as con:
            con.execute(
                "INSERT INTO audit_log (logged_at, username, method, path, status, code, reason, client) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [datetime.now(UTC), username, method, path, status, code, reason, client],
            )
    except Exception:  # the refusal stands either way; the logger line above is the fallback record
        logger.exception("could not write the audit record of %s %s", method, path)
