"""The review app: `create_app(db)` wires the store, the routers, the error handlers, the cross-site check
(`origin.py`), the security headers and the audit log's writer.

No build step and nothing from a CDN: pages are Jinja2 templates, the one stylesheet is served from
`qa_engine/web/static/`, and FastAPI's interactive docs (which load scripts from a CDN) are off. The OpenAPI schema
stays at /openapi.json, for signed-in users only like every page and call but the login (FastAPI's own, open route
is off; tests/review/test_routes.py walks every route without a session).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from datetime import timedelta
from importlib import resources
from pathlib import Path

from fastapi import Depends, FastAPI, Request
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from starlette.concurrency import run_in_threadpool

from qa_engine.auth.sessions import DEFAULT_TTL
from qa_engine.auth.throttle import LoginThrottle
from qa_engine.auth.users import fast_hashing
from qa_engine.errors import QAError
from qa_engine.review.audit import AuditLog
from qa_engine.review.db import ReviewDB
from qa_engine.web import errors
from qa_engine.web.deps import current_session
from qa_engine.web.origin import is_cross_site
from qa_engine.web.routers import api, pages, users

# Pages use no script at all; styles come from our own stylesheet only; nothing may frame the app.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}
HSTS = "max-age=31536000"  # under HTTPS: a year of HTTPS only for this host (not its subdomains: not ours to say)
logger = logging.getLogger("qa_engine.web")


async def _write_audit_counts(audit_log: AuditLog, store: ReviewDB) -> None:
    """Every half interval, write the counts of an interval that has ended (a flood that stopped included)."""
    while True:
        await asyncio.sleep(audit_log.interval.total_seconds() / 2)
        try:
            await run_in_threadpool(audit_log.flush, store)
        except Exception:  # the next round tries again; the logger has the refusals meanwhile
            logger.exception("could not write the audit log's counts")


@contextlib.asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    audit_log, store = app.state.audit_log, app.state.db
    writer = asyncio.create_task(_write_audit_counts(audit_log, store))
    try:
        yield
    finally:
        writer.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await writer
        await run_in_threadpool(audit_log.flush, store, force=True)  # what the last interval counted


def create_app(
    db: str | Path,
    session_ttl: timedelta = DEFAULT_TTL,
    login_throttle: LoginThrottle | None = None,
    audit_log: AuditLog | None = None,
) -> FastAPI:
    """The app over the store at `db` (its review tables are created when missing); logins are throttled
    (5 failures per username or address in 15 minutes unless `login_throttle` says otherwise); refusals are
    counted and written in aggregate (`audit_log`, see qa_engine.review.audit)."""
    fast_hashing()  # Q629 at start-up, not at the first login, when the test-only cheap hashes are asked for
    store = ReviewDB(db)
    store.init()
    app = FastAPI(
        title="qa-engine review app",
        version="1",
        summary="Review queue, conversation view, overrides, disputes and calibration over the qa-engine store.",
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
        lifespan=_lifespan,
    )
    app.state.db = store
    app.state.session_ttl = session_ttl
    app.state.login_throttle = login_throttle or LoginThrottle()
    app.state.audit_log = audit_log or AuditLog()
    errors.install(app)

    @app.middleware("http")
    async def refuse_cross_site(request: Request, call_next):  # inside security_headers: its answer gets them
        if is_cross_site(request):
            return await errors.handle_qa_error(request, QAError("Q627", method=request.method))
        return await call_next(request)

    @app.middleware("http")
    async def security_headers(request: Request, call_next):
        response = await call_next(request)
        for key, value in SECURITY_HEADERS.items():
            response.headers.setdefault(key, value)
        if request.url.scheme == "https":  # served over TLS, or by a trusted proxy that ended it
            response.headers.setdefault("Strict-Transport-Security", HSTS)
        if not request.url.path.startswith("/static/"):  # transcripts and verdicts stay out of shared caches
            response.headers.setdefault("Cache-Control", "no-store")
        return response

    @app.get("/openapi.json", include_in_schema=False, dependencies=[Depends(current_session)])
    def openapi_schema() -> JSONResponse:
        return JSONResponse(app.openapi())

    static = resources.files("qa_engine.web").joinpath("static")
    app.mount("/static", StaticFiles(directory=str(static)), name="static")
    app.include_router(api.router)
    app.include_router(users.api_router)
    app.include_router(pages.router)
    app.include_router(users.page_router)
    return app
