"""Server-rendered pages: one Jinja2 environment with autoescaping always on.

Everything a transcript or a person wrote reaches the page through `{{ ... }}` and is escaped; no template marks text
safe. Highlights are built as pieces of plain text plus a CSS class (`qa_engine.review.tickets.pieces`), so the
markup around evidence never comes from the data.
"""

from __future__ import annotations

from datetime import datetime
from functools import cache
from importlib import resources
from urllib.parse import urlencode

import jinja2
from fastapi import Request
from fastapi.responses import HTMLResponse

from qa_engine.web.deps import CSRF_FIELD


@cache
def environment() -> jinja2.Environment:
    folder = resources.files("qa_engine.web").joinpath("templates")
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(folder)),
        autoescape=True,
        undefined=jinja2.StrictUndefined,  # a misspelt variable fails the test suite, not the reader
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["qs"] = lambda params: urlencode({k: v for k, v in params.items() if v not in (None, "")})
    env.filters["when"] = _when
    env.filters["signed"] = lambda v: "" if v is None else f"{v:+.2f}"
    env.globals["csrf_field"] = CSRF_FIELD
    return env


def _when(value: str | datetime | None) -> str:
    """An ISO time as 'YYYY-MM-DD HH:MM UTC' (the store keeps UTC)."""
    if not value:
        return ""
    if isinstance(value, str):
        value = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return value.strftime("%Y-%m-%d %H:%M UTC")


def render(request: Request, template: str, status: int = 200, **context) -> HTMLResponse:
    session = getattr(request.state, "session", None)
    html = (
        environment()
        .get_template(template)
        .render(
            user=session.user if session else None,
            csrf_token=session.csrf_token if session else "",
            path=request.url.path,
            **context,
        )
    )
    return HTMLResponse(html, status_code=status, headers={"Cache-Control": "no-store"})


def render_error(request: Request, status: int, code: str, message: str) -> HTMLResponse:
    return render(request, "error.html", status=status, status_code=status, code=code, message=message)
