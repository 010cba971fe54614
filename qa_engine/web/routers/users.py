"""User administration for QA leads: `/api/users` for scripts and the `/users` page, over `qa_engine.auth.admin`.

The same guards as every other change: a session, the QA lead role (403 for the others), the CSRF token (header or
form field) and the cross-site check (`origin.py`, before any route). A lead may not disable their own account or
change their own role here (409, Q641): the last lead cannot lock everyone out by a slip, and `qa users` on the
server remains for that. Every change is written to the audit log with the lead's name and address.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from qa_engine.auth.admin import Change, list_users, reset_password, set_disabled, set_role
from qa_engine.auth.sessions import Session
from qa_engine.auth.users import ROLES
from qa_engine.errors import QAError
from qa_engine.review.audit import Actor
from qa_engine.review.db import ReviewDB
from qa_engine.review.models import PasswordIn, RoleIn
from qa_engine.web.body import BodyInvalid, form_body, json_body, validate_form
from qa_engine.web.deps import CSRF_FIELD, api_csrf, check_csrf, get_db, require_role
from qa_engine.web.errors import validation_message
from qa_engine.web.rendering import render

api_router = APIRouter(prefix="/api/users", tags=["users"])
page_router = APIRouter(include_in_schema=False)

Db = Annotated[ReviewDB, Depends(get_db)]
Lead = Annotated[Session, Depends(require_role("qa_lead", action="administer users"))]
WithCsrf = Annotated[Session, Depends(api_csrf)]
MAX_USERNAME = 64
# fixed notices after a change (the page never echoes text from its query string)
NOTICES = {
    "disabled": "{user} is disabled; their open sessions ended.",
    "enabled": "{user} may sign in again.",
    "role": "{user}'s role and scope changed.",
    "password": "{user}'s password was reset; their open sessions ended.",
}


def _actor(request: Request, session: Session) -> Actor:
    client = request.client.host if request.client else None
    return Actor(session.user.username, request.method, request.url.path, client)


def _username(username: str) -> str:
    if len(username) > MAX_USERNAME:
        raise QAError("Q615", field="username", detail=f"longer than {MAX_USERNAME} characters")
    return username


def _not_self(session: Session, username: str, action: str) -> None:
    if username == session.user.username:
        raise QAError("Q641", action=action)


def _change(change: Change) -> dict:
    return {"user": change.user.as_dict(), "sessions_ended": change.sessions_ended}


# API --------------------------------------------------------------------------------------------------------------
@api_router.get("", summary="The review-app users (QA leads)")
def api_list(db: Db, _lead: Lead) -> dict:
    """`{"items": [{username, role, team, agent_id, disabled}, ...]}`, by username."""
    return {"items": [row.as_dict() for row in list_users(db)]}


@api_router.post("/{username}/disable", summary="Disable a user; their sessions end at once (QA leads)")
def api_disable(request: Request, username: str, db: Db, _csrf: WithCsrf, lead: Lead) -> dict:
    _not_self(lead, _username(username), "disable")
    return _change(set_disabled(db, username, True, _actor(request, lead)))


@api_router.post("/{username}/enable", summary="Let a disabled user sign in again (QA leads)")
def api_enable(request: Request, username: str, db: Db, _csrf: WithCsrf, lead: Lead) -> dict:
    return _change(set_disabled(db, _username(username), False, _actor(request, lead)))


@api_router.post("/{username}/role", summary="Change a user's role and scope (QA leads)")
async def api_role(request: Request, username: str, _csrf: WithCsrf, lead: Lead) -> dict:
    """`{"role", "team", "agent_id"}`; a team or agent id left out keeps its value; 422 when the role lacks the
    key its scope needs."""
    _not_self(lead, _username(username), "change the role of")
    body = await json_body(request, RoleIn)
    change = await run_in_threadpool(
        set_role, request.app.state.db, username, body.role, _actor(request, lead), body.team, body.agent_id
    )
    return _change(change)


@api_router.post("/{username}/password", summary="Reset a user's password; their sessions end (QA leads)")
async def api_password(request: Request, username: str, _csrf: WithCsrf, lead: Lead) -> dict:
    """`{"password"}`: at least 8 characters."""
    _username(username)
    body = await json_body(request, PasswordIn)
    change = await run_in_threadpool(
        reset_password, request.app.state.db, username, body.password, _actor(request, lead)
    )
    return _change(change)


# page -------------------------------------------------------------------------------------------------------------
def _users_view(request: Request, db: ReviewDB, status: int = 200, error: str = "") -> Response:
    done, who = request.query_params.get("done", ""), request.query_params.get("user", "")[:MAX_USERNAME]
    notice = NOTICES[done].format(user=who) if done in NOTICES and who else ""
    return render(
        request, "users.html", status=status, users=list_users(db), roles=ROLES, notice=notice, error=error,
    )  # fmt: skip


@page_router.get("/users", response_class=HTMLResponse)
def users_page(request: Request, db: Db, _lead: Lead) -> Response:
    return _users_view(request, db)


async def _form_change(
    request: Request, lead: Session, username: str, done: str, work, not_self: str | None = None
) -> Response:
    """Check the form's CSRF token, make the change, and go back to the list (303), or show the list again with
    the reason (422) when the form's values were refused. `not_self`: the action a lead may not take on themself."""
    form = await form_body(request)
    check_csrf(lead, form.get(CSRF_FIELD))
    _username(username)
    if not_self:
        _not_self(lead, username, not_self)
    db = request.app.state.db
    try:
        await run_in_threadpool(work, db, form)
    except (BodyInvalid, QAError) as exc:
        if isinstance(exc, QAError) and exc.code not in ("Q603", "Q604", "Q605", "Q606", "Q615"):
            raise
        message = (
            validation_message(exc.errors) if isinstance(exc, BodyInvalid) else str(exc).split("] ", 1)[-1]
        )
        return await run_in_threadpool(lambda: _users_view(request, db, status=422, error=message))
    return RedirectResponse(f"/users?done={done}&user={quote(username, safe='')}", status_code=303)


@page_router.post("/users/{username}/disable")
async def disable_submit(request: Request, username: str, lead: Lead) -> Response:
    actor = _actor(request, lead)
    return await _form_change(
        request,
        lead,
        username,
        "disabled",
        lambda db, form: set_disabled(db, username, True, actor),
        "disable",
    )


@page_router.post("/users/{username}/enable")
async def enable_submit(request: Request, username: str, lead: Lead) -> Response:
    actor = _actor(request, lead)
    return await _form_change(
        request, lead, username, "enabled", lambda db, form: set_disabled(db, username, False, actor)
    )


@page_router.post("/users/{username}/role")
async def role_submit(request: Request, username: str, lead: Lead) -> Response:
    actor = _actor(request, lead)

    def work(db: ReviewDB, form: dict[str, str]) -> Change:
        data = {
            "role": form.get("role", ""),
            "team": form.get("team") or None,
            "agent_id": form.get("agent_id") or None,
        }
        body = validate_form(RoleIn, data)
        return set_role(db, username, body.role, actor, body.team, body.agent_id)

    return await _form_change(request, lead, username, "role", work, "change the role of")


@page_router.post("/users/{username}/password")
async def password_submit(request: Request, username: str, lead: Lead) -> Response:
    actor = _actor(request, lead)

    def work(db: ReviewDB, form: dict[str, str]) -> Change:
        body = validate_form(PasswordIn, {"password": form.get("password", "")})
        return reset_password(db, username, body.password, actor)

    return await _form_change(request, lead, username, "password", work)
