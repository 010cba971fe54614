"""Signing in, shared by the JSON login and the login form: check the password, start a session, set the cookie."""

from __future__ import annotations

from datetime import timedelta

from fastapi import Request, Response
from starlette.concurrency import run_in_threadpool

from qa_engine.auth.sessions import Session, end_session, start_session
from qa_engine.auth.throttle import LoginThrottle, Refusal
from qa_engine.auth.users import User, authenticate
from qa_engine.errors import QAError
from qa_engine.review.db import ReviewDB
from qa_engine.web.deps import SESSION_COOKIE


async def login_user(request: Request, username: str, password: str) -> tuple[str, Session]:
    """(cookie token, session) when the password matches, else Q611; this browser's previous session ends.
    Q623 (429) without checking the password after too many failures (auth/throttle.py); Q625 (503) when too
    many passwords are being checked at once."""
    db: ReviewDB = request.app.state.db
    throttle: LoginThrottle = request.app.state.login_throttle
    client = request.client.host if request.client else None
    attempt = await run_in_threadpool(throttle.begin, db, username, client)
    if isinstance(attempt, Refusal):
        raise QAError(
            "Q623",
            who=attempt.who,
            minutes=int(throttle.window.total_seconds() // 60),
            seconds=attempt.seconds,
        )
    try:
        user = await run_in_threadpool(_check_password, throttle, db, username, password)
    except Exception:  # busy (Q625) or the store failed: no password was judged, so no failure either
        await run_in_threadpool(throttle.withdraw, db, attempt)
        raise
    if user is None:
        raise QAError("Q611")  # the attempt stays on record as a failure
    await run_in_threadpool(throttle.succeeded, db, attempt)
    old = request.cookies.get(SESSION_COOKIE)
    if old:
        await run_in_threadpool(end_session, db, old)
    return await run_in_threadpool(start_session, db, user, request.app.state.session_ttl)


def _check_password(throttle: LoginThrottle, db: ReviewDB, username: str, password: str) -> User | None:
    with throttle.hashing.turn():
        return authenticate(db, username, password)


def set_session_cookie(request: Request, response: Response, token: str, ttl: timedelta) -> None:
    """HttpOnly (no script reads it), SameSite=Lax (no cross-site post carries it), Secure behind HTTPS."""
    response.set_cookie(
        SESSION_COOKIE, token, max_age=int(ttl.total_seconds()), httponly=True, samesite="lax",
        secure=request.url.scheme == "https", path="/",
    )  # fmt: skip
