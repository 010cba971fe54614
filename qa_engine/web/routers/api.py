"""The JSON API under /api (CONTRACT.md section 4), described at /openapi.json.

Handlers are thin: auth comes from `deps`, the body from `body`, the work from `qa_engine.review`; the store is
touched on the thread pool, never on the event loop.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, PlainTextResponse
from starlette.concurrency import run_in_threadpool

from qa_engine.auth.sessions import Session, end_session
from qa_engine.errors import QAError
from qa_engine.review.calibration import calibration, calibration_csv
from qa_engine.review.db import ReviewDB
from qa_engine.review.models import CoachingIn, DisputeIn, LoginIn, ResolutionIn, ReviewIn
from qa_engine.review.queue import fetch_queue, parse_queue_params
from qa_engine.review.reviews import add_dispute, add_review, resolve_dispute
from qa_engine.review.scope import Scope
from qa_engine.review.scoped_coaching import COACHING_ROLES, find_session, record_session, sessions_in_scope
from qa_engine.review.scoped_kpis import BY_CHOICES, check_narrowing, parse_kpi_params, scoped_kpis
from qa_engine.review.tickets import load_ticket
from qa_engine.web.auth import login_user, set_session_cookie
from qa_engine.web.body import json_body, require_json
from qa_engine.web.deps import (
    SESSION_COOKIE,
    api_csrf,
    check_ticket_id,
    current_session,
    get_db,
    require_role,
    user_scope,
)

router = APIRouter(prefix="/api", tags=["api"])

Db = Annotated[ReviewDB, Depends(get_db)]
WithCsrf = Annotated[Session, Depends(api_csrf)]
UserScope = Annotated[Scope, Depends(user_scope)]
SignedIn = Annotated[Session, Depends(current_session)]


def _body_doc(model) -> dict:
    """OpenAPI for a body the handler reads itself (after auth; see body.py)."""
    return {
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {
                    "schema": model.model_json_schema(ref_template="#/components/schemas/{model}")
                }
            },
        }
    }


@router.post("/login", openapi_extra=_body_doc(LoginIn), summary="Start a session")
async def login(request: Request) -> JSONResponse:
    """Returns the CSRF token for mutating calls and sets the HttpOnly session cookie; 401 on bad credentials;
    415 unless the body is sent as `application/json`."""
    require_json(request)
    body = await json_body(request, LoginIn)
    token, session = await login_user(request, body.username, body.password)
    response = JSONResponse({"csrf_token": session.csrf_token, "user": session.user.as_dict()})
    set_session_cookie(request, response, token, request.app.state.session_ttl)
    return response


@router.post("/logout", summary="End the session")
def logout(request: Request, db: Db, session: WithCsrf) -> JSONResponse:
    end_session(db, request.cookies.get(SESSION_COOKIE, ""))
    response = JSONResponse({"ok": True})
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/tickets", summary="The review queue")
def list_tickets(
    request: Request,
    db: Db,
    scope: UserScope,
    tier: Annotated[str | None, Query(description="red, yellow or green")] = None,
    agent_id: Annotated[str | None, Query()] = None,
    team: Annotated[str | None, Query()] = None,
    language: Annotated[str | None, Query()] = None,
    channel: Annotated[str | None, Query(description="chat, email, phone, social or other")] = None,
    rule_id: Annotated[str | None, Query(description="tickets that failed this rule")] = None,
    q: Annotated[str | None, Query(description="text in any turn, case-insensitive")] = None,
    date_from: Annotated[str | None, Query(alias="from", description="YYYY-MM-DD, inclusive")] = None,
    date_to: Annotated[str | None, Query(alias="to", description="YYYY-MM-DD, inclusive")] = None,
    limit: Annotated[str | None, Query(description="1-200, default 50")] = None,
    cursor: Annotated[str | None, Query(description="next_cursor of the previous page")] = None,
    contact_reason: Annotated[
        str | None,
        Query(description="presales, order, payment, logistics, returns, complaint, account or other"),
    ] = None,
    contact_sub_reason: Annotated[
        str | None, Query(description="a sub-reason of the taxonomy, e.g. logistics.lost")
    ] = None,
    min_escalation_risk: Annotated[
        str | None, Query(description="0-1: tickets whose escalation_risk is at least this")
    ] = None,
    sort: Annotated[
        str | None,
        Query(description="tier (default: newest first in each tier) or risk (likeliest dissatisfied first)"),
    ] = None,
) -> dict:
    """Red, then yellow, then green, newest first: `{items, next_cursor, counts}`; counts are for the same filters.
    Each item also carries its key issue: `contact_reason`, `contact_sub_reason`, `contact_reason_score`,
    `escalation_risk`, `escalation_signals` and `escalation_level` (high >= 0.5, elevated >= 0.25, low), and
    `dissatisfaction_risk`; `sort=risk` orders each tier by it, likeliest dissatisfied first."""
    filters, size, after = parse_queue_params(dict(request.query_params))
    return fetch_queue(db, scope, filters, size, after).as_dict()


@router.get("/tickets/{ticket_id:path}", summary="One ticket with its evidence and reviews")
def get_ticket(ticket_id: str, db: Db, scope: UserScope) -> dict:
    """Turns with sentiment and emotion, rule results with evidence, tier reasons, reviews, disputes, `version`."""
    ticket = load_ticket(db, scope, check_ticket_id(ticket_id))
    if ticket is None:
        raise QAError("Q614", ticket_id=ticket_id)
    return ticket


@router.post(
    "/tickets/{ticket_id:path}/reviews",
    status_code=201,
    openapi_extra=_body_doc(ReviewIn),
    summary="Review a ticket (QA leads)",
    responses={409: {"description": "`version` is stale: someone reviewed the ticket meanwhile"}},
)
async def post_review(
    request: Request,
    ticket_id: str,
    _csrf: WithCsrf,
    session: Annotated[Session, Depends(require_role("qa_lead", action="review tickets"))],
    scope: UserScope,
) -> JSONResponse:
    check_ticket_id(ticket_id)
    body = await json_body(request, ReviewIn)
    review = await run_in_threadpool(add_review, request.app.state.db, session.user, scope, ticket_id, body)
    return JSONResponse(review, status_code=201)


@router.post(
    "/tickets/{ticket_id:path}/disputes",
    status_code=201,
    openapi_extra=_body_doc(DisputeIn),
    summary="Dispute the latest review (the ticket's agent)",
    responses={409: {"description": "the ticket has no review"}},
)
async def post_dispute(
    request: Request,
    ticket_id: str,
    _csrf: WithCsrf,
    session: Annotated[Session, Depends(require_role("agent", action="dispute reviews"))],
    scope: UserScope,
) -> JSONResponse:
    check_ticket_id(ticket_id)
    body = await json_body(request, DisputeIn)
    dispute = await run_in_threadpool(add_dispute, request.app.state.db, session.user, scope, ticket_id, body)
    return JSONResponse(dispute, status_code=201)


@router.post(
    "/tickets/{ticket_id:path}/disputes/{dispute_id}/resolution",
    openapi_extra=_body_doc(ResolutionIn),
    summary="Accept or reject a dispute (QA leads)",
    responses={409: {"description": "the dispute was resolved already"}},
)
async def post_resolution(
    request: Request,
    ticket_id: str,
    dispute_id: str,
    _csrf: WithCsrf,
    session: Annotated[Session, Depends(require_role("qa_lead", action="resolve disputes"))],
    scope: UserScope,
) -> dict:
    check_ticket_id(ticket_id)
    body = await json_body(request, ResolutionIn)
    return await run_in_threadpool(
        resolve_dispute, request.app.state.db, session.user, scope, ticket_id, dispute_id[:200], body
    )


@router.get("/calibration", summary="Agreement: machine vs human, human vs human (QA leads and coaches)")
def get_calibration(
    db: Db,
    scope: UserScope,
    _role: Annotated[Session, Depends(require_role("qa_lead", "coach", action="see calibration"))],
    format: Annotated[str | None, Query(description="json (default) or csv")] = None,
):
    """Per rule and for the tier: counts, confusion matrix (rows: first rater), observed agreement, Cohen's kappa."""
    if format not in (None, "", "json", "csv"):
        raise QAError("Q615", field="format", detail=f"{format[:20]!r} is not json or csv")
    result = calibration(db, scope)
    if format == "csv":
        return PlainTextResponse(
            calibration_csv(result),
            media_type="text/csv",
            headers={"Content-Disposition": 'attachment; filename="calibration.csv"'},
        )
    return result


@router.get("/kpi", summary="Service KPIs against targets, week-over-week trend, SLA per channel")
def get_kpi(
    request: Request,
    db: Db,
    session: SignedIn,
    scope: UserScope,
    by: Annotated[str | None, Query(description=" | ".join(BY_CHOICES) + " (default agent)")] = None,
    date_from: Annotated[str | None, Query(alias="from", description="YYYY-MM-DD, inclusive")] = None,
    date_to: Annotated[str | None, Query(alias="to", description="YYYY-MM-DD, inclusive")] = None,
    agent_id: Annotated[str | None, Query(description="only this agent (within your scope)")] = None,
    team: Annotated[str | None, Query(description="only this team (within your scope)")] = None,
) -> dict:
    """The KPIs of CONTRACT.md section 5 over the tickets you may see (agent: your own; coach: your team's; QA
    lead: all) that start in the period: `rows` per group (the `qa kpi --json` objects plus `status` per KPI:
    met / missed / null), `overall`, `trend` (the last 7 days of the period vs the 7 before), `sla_by_channel`
    and the `targets`. Asking for an agent or team outside your scope is 403."""
    query = parse_kpi_params(dict(request.query_params))
    check_narrowing(db, session, scope, query)
    return scoped_kpis(db, scope, query)


@router.get("/coaching", summary="Coaching sessions with their before/after effect")
def get_coaching(
    db: Db,
    session: SignedIn,
    scope: UserScope,
    agent_id: Annotated[str | None, Query(max_length=256, description="only this agent's sessions")] = None,
) -> dict:
    """Sessions of the agents you may see (agent: your own; coach: your team's; QA lead: all), newest first, each
    with `effects`: per focus rule, pass rate and QA score 14 days before vs after, and a verdict."""
    return {"items": sessions_in_scope(db, session.user, scope, agent_id or None)}


@router.post(
    "/coaching",
    status_code=201,
    openapi_extra=_body_doc(CoachingIn),
    summary="Record a coaching session (coaches and QA leads)",
)
async def post_coaching(
    request: Request,
    _csrf: WithCsrf,
    session: Annotated[Session, Depends(require_role(*COACHING_ROLES, action="record coaching sessions"))],
    scope: UserScope,
) -> JSONResponse:
    """`{"agent_id", "date": "YYYY-MM-DD", "focus_rules": [rule_id, ...], "note"}`; recording the same agent, day
    and focus again updates that session. An agent outside your scope is 403; an unknown rule 422."""
    body = await json_body(request, CoachingIn)
    recorded = await run_in_threadpool(record_session, request.app.state.db, session.user, scope, body)
    return JSONResponse(recorded, status_code=201)


@router.get("/coaching/{session_id}", summary="One coaching session with its effect")
def get_coaching_session(session_id: str, db: Db, session: SignedIn, scope: UserScope) -> dict:
    """404 for an unknown session and for one of an agent outside your scope alike."""
    return find_session(db, session.user, scope, session_id[:256])
