"""Server-rendered pages for people: /login, / (the queue), /tickets/{id}, /calibration, and their forms.

Plain HTML forms, no JavaScript: every form carries the session's CSRF token as a hidden field (the login form a
token of its own, in a cookie and the form). After a successful post the browser is redirected (303), so a reload
never posts twice. A stale review is answered 409 with the form filled in again, so the reviewer's words are kept.
"""

from __future__ import annotations

import hmac
import secrets
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from qa_engine.auth.sessions import Session, end_session, find_session
from qa_engine.errors import QAError
from qa_engine.review.calibration import calibration
from qa_engine.review.db import ReviewDB
from qa_engine.review.keyissues import CONTACT_REASONS, taxonomy_sub_reasons
from qa_engine.review.models import CoachingIn, DisputeIn, ResolutionIn, ReviewIn
from qa_engine.review.queue import fetch_queue, parse_queue_params
from qa_engine.review.reviews import add_dispute, add_review, resolve_dispute
from qa_engine.review.scope import Scope
from qa_engine.review.scoped_coaching import (
    COACHING_ROLES,
    agents_in_scope,
    record_session,
    sessions_in_scope,
    stored_rule_ids,
)
from qa_engine.review.scoped_kpis import BY_CHOICES, check_narrowing, parse_kpi_params, scoped_kpis
from qa_engine.review.thresholds import tier_thresholds
from qa_engine.review.tickets import load_ticket, pieces
from qa_engine.schema import CHANNELS, OUTCOMES, TIERS
from qa_engine.web.auth import login_user, set_session_cookie
from qa_engine.web.body import BodyInvalid, form_body, form_lists, validate_form
from qa_engine.web.deps import (
    CSRF_FIELD,
    SESSION_COOKIE,
    check_csrf,
    check_ticket_id,
    current_session,
    get_db,
    require_role,
    user_scope,
)
from qa_engine.web.errors import audit, validation_message
from qa_engine.web.kpi_display import kpi_helpers
from qa_engine.web.rendering import render

router = APIRouter(include_in_schema=False)
LOGIN_CSRF_COOKIE = "qa_login_csrf"
RULE_FIELD = "rule:"  # review form: one select per rule, named rule:<rule_id>

Db = Annotated[ReviewDB, Depends(get_db)]
SignedIn = Annotated[Session, Depends(current_session)]
UserScope = Annotated[Scope, Depends(user_scope)]


def _safe_next(target: str | None) -> str:
    """Only a path on this site (no scheme, no //host): a login link cannot send anyone elsewhere."""
    if target and target.startswith("/") and not target.startswith(("//", "/\\")) and len(target) < 2000:
        return target
    return "/"


def _see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


# login ------------------------------------------------------------------------------------------------------------
@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, db: Db, next: str | None = None) -> Response:
    token = request.cookies.get(SESSION_COOKIE)
    if token and find_session(db, token):
        return _see_other(_safe_next(next))
    return _login_form(request, next, status=200)


def _login_form(
    request: Request, next_url: str | None, status: int, error: str = "", username: str = ""
) -> Response:
    login_csrf = secrets.token_urlsafe(32)
    response = render(
        request, "login.html", status=status, login_csrf=login_csrf, next_url=_safe_next(next_url), error=error,
        username=username,
    )  # fmt: skip
    response.set_cookie(
        LOGIN_CSRF_COOKIE, login_csrf, max_age=3600, httponly=True, samesite="strict", path="/login",
        secure=request.url.scheme == "https",
    )  # fmt: skip
    return response


@router.post("/login")
async def login_submit(request: Request) -> Response:
    form = await form_body(request)
    cookie = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    sent = form.get(CSRF_FIELD, "")
    if not (cookie and sent and hmac.compare_digest(cookie.encode(), sent.encode("utf-8", "replace"))):
        raise QAError("Q612")
    username, password = form.get("username", ""), form.get("password", "")
    if not username or not password or len(username) > 64 or len(password) > 1024:
        return _login_form(request, form.get("next"), 422, "Give a username and a password.", username[:64])
    try:
        token, _session = await login_user(request, username, password)
    except QAError as exc:
        if exc.code == "Q623":  # throttled: the form again, with the wait, and the header a script can read
            message = str(exc).split("] ", 1)[-1]
            await audit(request, exc.status, "Q623", message)
            response = _login_form(request, form.get("next"), 429, message + ".", username)
            response.headers["Retry-After"] = str(exc.fields["seconds"])
            return response
        if exc.code != "Q611":
            raise
        await audit(request, 401, "Q611", "wrong username or password")
        return _login_form(request, form.get("next"), 401, "Wrong username or password.", username)
    response = _see_other(_safe_next(form.get("next")))
    set_session_cookie(request, response, token, request.app.state.session_ttl)
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/login")
    return response


@router.post("/logout")
async def logout_submit(request: Request, session: SignedIn) -> Response:
    form = await form_body(request)
    check_csrf(session, form.get(CSRF_FIELD))
    await run_in_threadpool(end_session, request.app.state.db, request.cookies.get(SESSION_COOKIE, ""))
    response = _see_other("/login")
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


# queue ------------------------------------------------------------------------------------------------------------
@router.get("/", response_class=HTMLResponse)
def queue_page(request: Request, db: Db, session: SignedIn, scope: UserScope) -> Response:
    params = dict(request.query_params)
    filters, limit, cursor = parse_queue_params(params)
    page = fetch_queue(db, scope, filters, limit, cursor)
    return render(
        request, "queue.html", page=page, filters=filters, params=params, limit=limit, is_first=cursor is None,
        tiers=TIERS, channels=CHANNELS, filter_query=filters.as_query(), contact_reasons=CONTACT_REASONS,
        sub_reasons=taxonomy_sub_reasons(),
    )  # fmt: skip


# ticket -----------------------------------------------------------------------------------------------------------
def _ticket_view(request: Request, db: ReviewDB, scope: Scope, ticket_id: str, status: int = 200, **extra):
    ticket = load_ticket(db, scope, check_ticket_id(ticket_id))
    if ticket is None:
        raise QAError("Q614", ticket_id=ticket_id)
    for turn in ticket["turns"]:
        turn["pieces"] = pieces(turn["text"], turn["highlights"])
    human = ticket["human"]["rule_outcomes"] if ticket["human"] else {}
    for rule in ticket["rule_results"]:
        rule["human"] = human.get(rule["rule_id"])
    form = extra.pop("form", None) or {
        "tier": ticket["human"]["tier"] if ticket["human"] else ticket["tier"], "overrides": {}, "comment": "",
    }  # fmt: skip
    return render(
        request, "ticket.html", status=status, ticket=ticket, tiers=TIERS, outcomes=OUTCOMES, form=form,
        rule_field=RULE_FIELD, notice=extra.pop("notice", ""), **extra,
    )  # fmt: skip


@router.get("/tickets/{ticket_id:path}", response_class=HTMLResponse)
def ticket_page(request: Request, ticket_id: str, db: Db, session: SignedIn, scope: UserScope) -> Response:
    return _ticket_view(request, db, scope, ticket_id)


def _ticket_url(ticket_id: str, anchor: str = "") -> str:
    return f"/tickets/{quote(ticket_id, safe='')}" + (f"#{anchor}" if anchor else "")


@router.post("/tickets/{ticket_id:path}/reviews")
async def review_submit(
    request: Request,
    ticket_id: str,
    session: Annotated[Session, Depends(require_role("qa_lead", action="review tickets"))],
    scope: UserScope,
) -> Response:
    form = await form_body(request)
    check_csrf(session, form.get(CSRF_FIELD))
    overrides = {k[len(RULE_FIELD) :]: v for k, v in form.items() if k.startswith(RULE_FIELD) and v}
    data = {"tier": form.get("tier"), "rule_overrides": overrides, "comment": form.get("comment", "")}
    version = form.get("version", "")
    data["version"] = int(version) if version.isascii() and version.isdigit() else version
    review = validate_form(ReviewIn, data)
    db = request.app.state.db
    try:
        await run_in_threadpool(add_review, db, session.user, scope, ticket_id, review)
    except QAError as exc:
        if exc.code != "Q616":
            raise
        # Someone saved first: show their review, keep this reviewer's choices, and let them save again knowingly.
        form_state = {"tier": review.tier, "overrides": review.rule_overrides, "comment": review.comment}
        notice = str(exc).split("] ", 1)[-1]
        return await run_in_threadpool(
            lambda: _ticket_view(request, db, scope, ticket_id, status=409, form=form_state, notice=notice)
        )
    return _see_other(_ticket_url(ticket_id, "reviews"))


@router.post("/tickets/{ticket_id:path}/disputes")
async def dispute_submit(
    request: Request,
    ticket_id: str,
    session: Annotated[Session, Depends(require_role("agent", action="dispute reviews"))],
    scope: UserScope,
) -> Response:
    form = await form_body(request)
    check_csrf(session, form.get(CSRF_FIELD))
    dispute = validate_form(DisputeIn, {"comment": form.get("comment", "")})
    await run_in_threadpool(add_dispute, request.app.state.db, session.user, scope, ticket_id, dispute)
    return _see_other(_ticket_url(ticket_id, "disputes"))


@router.post("/tickets/{ticket_id:path}/disputes/{dispute_id}/resolution")
async def resolution_submit(
    request: Request,
    ticket_id: str,
    dispute_id: str,
    session: Annotated[Session, Depends(require_role("qa_lead", action="resolve disputes"))],
    scope: UserScope,
) -> Response:
    form = await form_body(request)
    check_csrf(session, form.get(CSRF_FIELD))
    resolution = validate_form(
        ResolutionIn, {"decision": form.get("decision"), "comment": form.get("comment", "")}
    )
    await run_in_threadpool(
        resolve_dispute, request.app.state.db, session.user, scope, ticket_id, dispute_id[:200], resolution
    )
    return _see_other(_ticket_url(ticket_id, "disputes"))


# calibration ------------------------------------------------------------------------------------------------------
@router.get("/calibration", response_class=HTMLResponse)
def calibration_page(
    request: Request,
    db: Db,
    scope: UserScope,
    session: Annotated[Session, Depends(require_role("qa_lead", "coach", action="see calibration"))],
) -> Response:
    thresholds = tier_thresholds(db) if session.user.role == "qa_lead" else None
    return render(
        request, "calibration.html", result=calibration(db, scope), tiers=TIERS, thresholds=thresholds
    )


# KPIs -------------------------------------------------------------------------------------------------------------
@router.get("/kpi", response_class=HTMLResponse)
def kpi_page(request: Request, db: Db, session: SignedIn, scope: UserScope) -> Response:
    query = parse_kpi_params(dict(request.query_params))
    check_narrowing(db, session, scope, query)
    return render(
        request, "kpi.html", kpi=scoped_kpis(db, scope, query), query=query, by_choices=BY_CHOICES,
        agents=agents_in_scope(db, scope) if session.user.role != "agent" else [], **kpi_helpers(),
    )  # fmt: skip


# coaching ---------------------------------------------------------------------------------------------------------
def _coaching_view(
    request: Request, db: ReviewDB, session: Session, scope: Scope, status: int = 200, **extra
):
    agent_id = request.query_params.get("agent_id") or None
    if agent_id is not None and len(agent_id) > 256:
        raise QAError("Q615", field="agent_id", detail="longer than 256 characters")
    form = extra.pop("form", None) or {
        "agent_id": agent_id or "", "date": "", "focus_rules": [], "note": "", "practice": False,
    }  # fmt: skip
    can_record = session.user.role in COACHING_ROLES
    return render(
        request, "coaching.html", status=status, sessions=sessions_in_scope(db, session.user, scope, agent_id),
        agent_id=agent_id, agents=agents_in_scope(db, scope), rule_ids=stored_rule_ids(db) if can_record else [],
        can_record=can_record, form=form, error=extra.pop("error", ""), notice=extra.pop("notice", ""),
    )  # fmt: skip


@router.get("/coaching", response_class=HTMLResponse)
def coaching_page(request: Request, db: Db, session: SignedIn, scope: UserScope) -> Response:
    notice = "Session recorded." if request.query_params.get("recorded") == "1" else ""
    return _coaching_view(request, db, session, scope, notice=notice)


@router.post("/coaching")
async def coaching_submit(
    request: Request,
    session: Annotated[Session, Depends(require_role(*COACHING_ROLES, action="record coaching sessions"))],
    scope: UserScope,
) -> Response:
    form = await form_body(request)
    check_csrf(session, form.get(CSRF_FIELD))
    lists = form_lists(request)
    data = {
        "agent_id": form.get("agent_id", ""), "date": form.get("date", ""),
        "focus_rules": lists.get("focus_rules", []), "note": form.get("note", ""),
        "practice": form.get("practice") == "on",
    }  # fmt: skip
    db = request.app.state.db
    try:
        body = validate_form(CoachingIn, data)
        await run_in_threadpool(record_session, db, session.user, scope, body)
    except (BodyInvalid, QAError) as exc:
        if isinstance(exc, QAError) and exc.code != "Q615":
            raise
        # the coach's entries come back with the reason, so nothing typed is lost
        message = (
            validation_message(exc.errors) if isinstance(exc, BodyInvalid) else str(exc).split("] ", 1)[-1]
        )
        return await run_in_threadpool(
            lambda: _coaching_view(request, db, session, scope, status=422, form=data, error=message)
        )
    return _see_other(f"/coaching?agent_id={quote(body.agent_id, safe='')}&recorded=1")
