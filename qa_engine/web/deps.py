"""Auth as a chain of small dependencies (FastAPI's habit): the store -> the session -> its CSRF token -> the role.

Each link refuses with a coded error (`qa_engine.errors`); `errors.py` turns it into the status code, the audit
record and, for pages, the redirect to /login. Endpoints only ask for what they need: `Annotated[Session,
Depends(api_session)]`, `Depends(require_role("qa_lead"))`.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Request

from qa_engine.auth.sessions import Session, find_session
from qa_engine.errors import QAError
from qa_engine.review.db import ReviewDB
from qa_engine.review.scope import Scope, scope_for

SESSION_COOKIE = "qa_session"
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"
MAX_TICKET_ID = 256


def get_db(request: Request) -> ReviewDB:
    return request.app.state.db


def current_session(request: Request, db: Annotated[ReviewDB, Depends(get_db)]) -> Session:
    """The signed-in user's live session; Q610 (401, or a redirect to /login on pages) without one."""
    token = request.cookies.get(SESSION_COOKIE)
    session = find_session(db, token) if token else None
    if session is None:
        raise QAError("Q610")
    request.state.session = session  # for the audit record of a later refusal, and the pages' header
    return session


def csrf_ok(session: Session, sent: str | None) -> bool:
    return bool(sent) and hmac.compare_digest(
        session.csrf_token.encode(), str(sent).encode("utf-8", "replace")
    )


def check_csrf(session: Session, sent: str | None) -> None:
    if not csrf_ok(session, sent):
        raise QAError("Q612")


def api_csrf(request: Request, session: Annotated[Session, Depends(current_session)]) -> Session:
    """A mutating API call: the session plus its CSRF token in the X-CSRF-Token header."""
    check_csrf(session, request.headers.get(CSRF_HEADER))
    return session


def require_role(*roles: str, action: str) -> Callable[[Session], Session]:
    """A dependency that lets these roles through and refuses the others with Q613 (403)."""

    def dependency(session: Annotated[Session, Depends(current_session)]) -> Session:
        if session.user.role not in roles:
            raise QAError("Q613", role=session.user.role, action=action)
        return session

    return dependency


def check_ticket_id(ticket_id: str) -> str:
    """A ticket id from a path: any text, but not an essay (unknown ids are 404 later, like out-of-scope ones)."""
    if len(ticket_id) > MAX_TICKET_ID:
        raise QAError("Q615", field="ticket_id", detail=f"longer than {MAX_TICKET_ID} characters")
    return ticket_id


def user_scope(session: Annotated[Session, Depends(current_session)]) -> Scope:
    """The tickets this user may see, as a SQL condition (scope.py)."""
    return scope_for(session.user)
