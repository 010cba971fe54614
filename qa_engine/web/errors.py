"""Every refusal and failure as a status code and a one-line message: JSON under /api, a page elsewhere.

Coded errors (`QAError`) answer with the status the table in `qa_engine.errors` gives them. Refusals (no session, bad CSRF token, a cross-site
request, wrong role, wrong password, a ticket outside the user's scope) go to the audit log, which counts them and
writes aggregates (`qa_engine.review.audit`). Nothing ever shows a traceback: an unexpected exception is logged with
a reference and answered with that reference only.
"""

from __future__ import annotations

import logging
import uuid
from urllib.parse import quote

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from qa_engine.errors import ERRORS, MESSAGES, QAError
from qa_engine.web.body import BodyInvalid
from qa_engine.web.rendering import render_error

logger = logging.getLogger("qa_engine.web")

DENIED = {"Q610", "Q611", "Q612", "Q613", "Q623", "Q627"}
# Their `seconds` go out as Retry-After; Q625's 503 says only that the server is busy, so its message is kept.
RETRY_LATER = {"Q623", "Q625"}


def is_api(request: Request) -> bool:
    """JSON answers (no redirect to /login) for the API and its schema."""
    return request.url.path.startswith("/api/") or request.url.path in ("/api", "/openapi.json")


def _message(exc: QAError) -> str:
    """The message without its "[Q6xx] " prefix (the code travels in its own field)."""
    return str(exc).split("] ", 1)[1] if str(exc).startswith("[") else str(exc)


async def _out_of_scope(request: Request, exc: QAError) -> bool:
    """A ticket the user may not see is answered as unknown; the audit log still learns it exists."""
    ticket_id = exc.fields.get("ticket_id")
    if exc.code != "Q614" or not isinstance(ticket_id, str):
        return False
    db = request.app.state.db

    def exists() -> bool:
        try:
            with db.read() as con:
                return (
                    con.execute("SELECT 1 FROM tickets WHERE ticket_id = ?", [ticket_id]).fetchone()
                    is not None
                )
        except Exception:  # the 404 stands either way; only the audit detail is lost
            logger.exception("could not check whether ticket %r exists", ticket_id)
            return False

    return await run_in_threadpool(exists)


async def audit(request: Request, status: int, code: str, reason: str) -> None:
    session = getattr(request.state, "session", None)
    user = session.user if session else None
    client = request.client.host if request.client else None
    path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    db = request.app.state.db
    username = user.username if user else None

    def write() -> None:
        request.app.state.audit_log.record(
            db, username=username, method=request.method, path=path, status=status, code=code, reason=reason,
            client=client,
        )  # fmt: skip

    await run_in_threadpool(write)


def error_response(
    request: Request, status: int, code: str, message: str, errors: list | None = None
) -> Response:
    if is_api(request):
        body: dict = {"detail": message, "code": code}
        if errors:
            body["errors"] = errors
        return JSONResponse(body, status_code=status, headers={"Cache-Control": "no-store"})
    if status == 401:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        next_part = f"?next={quote(target, safe='')}" if request.method == "GET" and target != "/" else ""
        return RedirectResponse(f"/login{next_part}", status_code=303)
    return render_error(request, status, code, message)


async def handle_qa_error(request: Request, exc: QAError) -> Response:
    status = exc.status
    message = _message(exc)
    if exc.code in DENIED:
        await audit(request, status, exc.code, message)
    elif await _out_of_scope(request, exc):
        await audit(request, status, exc.code, "ticket outside the user's scope")
    if status >= 500 and exc.code not in RETRY_LATER:  # details (a file path, a lock holder) are for the log
        ref = uuid.uuid4().hex[:12]
        logger.error("%s %s -> %d %s (reference %s)", request.method, request.url.path, status, exc, ref)
        message = f"The store is busy or unavailable; try again shortly (reference {ref})"
    response = error_response(request, status, exc.code, message)
    if exc.code in RETRY_LATER:
        response.headers["Retry-After"] = str(exc.fields["seconds"])
    return response


def _validation_errors(errors: list) -> list[dict]:
    """pydantic's errors without the raw input (it may be long, or a password)."""
    return [{"loc": [str(p) for p in e.get("loc", ())], "msg": str(e.get("msg", ""))} for e in errors]


def validation_message(errors: list[dict]) -> str:
    first = errors[0] if errors else {"loc": [], "msg": "invalid request"}
    where = ".".join(p for p in first["loc"] if p not in ("body", "query", "path"))
    where = where or ("body" if first["loc"][:1] == ["body"] else "request")
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return MESSAGES["Q615"].format(field=where, detail=first["msg"]) + more


async def handle_validation_error(request: Request, exc: RequestValidationError) -> Response:
    errors = _validation_errors(list(exc.errors()))
    return error_response(request, ERRORS["Q615"].status, "Q615", validation_message(errors), errors)


async def handle_body_invalid(request: Request, exc: BodyInvalid) -> Response:
    return error_response(request, ERRORS["Q615"].status, "Q615", validation_message(exc.errors), exc.errors)


async def handle_http_error(request: Request, exc: StarletteHTTPException) -> Response:
    if exc.status_code == 404:
        return error_response(
            request, ERRORS["Q622"].status, "Q622", MESSAGES["Q622"].format(path=request.url.path[:200])
        )
    detail = exc.detail if isinstance(exc.detail, str) else "request refused"
    response = error_response(request, exc.status_code, f"HTTP{exc.status_code}", detail)
    for key, value in (exc.headers or {}).items():
        response.headers[key] = value
    return response


async def handle_unexpected(request: Request, exc: Exception) -> Response:
    ref = uuid.uuid4().hex[:12]
    logger.error("unexpected error %s on %s %s", ref, request.method, request.url.path, exc_info=exc)
    return error_response(request, ERRORS["Q621"].status, "Q621", MESSAGES["Q621"].format(ref=ref))


def install(app) -> None:
    app.add_exception_handler(QAError, handle_qa_error)
    app.add_exception_handler(RequestValidationError, handle_validation_error)
    app.add_exception_handler(BodyInvalid, handle_body_invalid)
    app.add_exception_handler(StarletteHTTPException, handle_http_error)
    app.add_exception_handler(Exception, handle_unexpected)
