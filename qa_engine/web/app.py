"""The review app: `create_app(db)` wires the store, the routers, the error handlers and the security headers.

No build step and nothing from a CDN: pages are Jinja2 templates, the one stylesheet is served from
`qa_engine/web/static/`, and FastAPI's interactive docs (which load scripts from a CDN) are off; the OpenAPI schema
stays at /openapi.json.
"""

from __future__ import annotations

from datetime import timedelta
from importlib import resources
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.staticfiles import StaticFiles

from qa_engine.review.db import ReviewDB
from qa_engine.review.sessions import DEFAULT_TTL
from qa_engine.review.throttle import LoginThrottle
from qa_engine.review.users import fast_hashing
from qa_engine.web import errors
from qa_engine.web.routers import api, pages

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


def create_app(
    db: str | Path, session_ttl: timedelta = DEFAULT_TTL, login_throttle: LoginThrottle | None = None
) -> FastAPI:
    """The app over the store at `db` (its review tables are created when missing); logins are throttled
    (5 failures per username or address in 15 minutes unless `login_throttle` says otherwise)."""
    fast_hashing()  # Q629 at start-up, not at the first login, when the test-only cheap hashes are asked for
    store = ReviewDB(db)
    store.init()
    app = FastAPI(
        title="qa-engine review app",
        version="1",
        summary="Review queue, conversation view, overrides, disputes and calibration over the qa-engine store.",
        docs_url=None,
        redoc_url=None,
    )
    app.state.db = store
    app.state.session_ttl = session_ttl
    app.state.login_throttle = login_throttle or LoginThrottle()
    errors.install(app)

    @app.middleware("http")
    async def security_headers(request: Request, call_next):
        response = await call_next(request)
        for key, value in SECURITY_HEADERS.items():
            response.headers.setdefault(key, value)
        if not request.url.path.startswith("/static/"):  # transcripts and verdicts stay out of shared caches
            response.headers.setdefault("Cache-Control", "no-store")
        return response

    static = resources.files("qa_engine.web").joinpath("static")
    app.mount("/static", StaticFiles(directory=str(static)), name="static")
    app.include_router(api.router)
    app.include_router(pages.router)
    return app
