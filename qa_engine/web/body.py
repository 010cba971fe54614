"""Reading request bodies with a size cap, into the review models, after auth has run.

Endpoints read their body themselves instead of declaring it to FastAPI, so the order of refusals is always the
contract's: no session (401), then CSRF and role (403), then a malformed body (422). A body is never read past
`MAX_BODY` bytes, whatever Content-Length claims.
"""

from __future__ import annotations

import json
from typing import TypeVar

from fastapi import Request
from pydantic import BaseModel, ValidationError

from qa_engine.errors import QAError

MAX_BODY = 64 * 1024
M = TypeVar("M", bound=BaseModel)


class BodyInvalid(Exception):
    """A body that does not fit its model: pydantic's errors, for a 422 that lists them."""

    def __init__(self, errors: list[dict]) -> None:
        super().__init__(errors[0]["msg"] if errors else "invalid body")
        self.errors = errors


async def read_body(request: Request, limit: int = MAX_BODY) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > limit):
        raise QAError("Q620", limit=limit)
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise QAError("Q620", limit=limit)
        chunks.append(chunk)
    body = b"".join(chunks)
    request._body = body  # starlette reads a form from here afterwards
    return body


def require_json(request: Request) -> None:
    """Q626 (415) unless the body is declared `application/json`: a cross-site HTML form can only send form
    encodings or text/plain, so a call that takes JSON alone cannot be posted by another site's page."""
    declared = request.headers.get("content-type", "")
    if declared.split(";", 1)[0].strip().lower() != "application/json":
        raise QAError("Q626", got=repr(declared[:60]) if declared else "(none)")


def _errors(exc: ValidationError) -> list[dict]:
    return [{"loc": ["body", *map(str, e["loc"])], "msg": e["msg"]} for e in exc.errors(include_input=False)]


async def json_body(request: Request, model: type[M]) -> M:
    """The JSON body as `model` (strict); Q615-style 422 errors for anything else."""
    raw = await read_body(request)
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise BodyInvalid(
            [{"loc": ["body"], "msg": f"not valid JSON ({str(exc).splitlines()[0][:120]})"}]
        ) from exc
    if not isinstance(data, dict):
        raise BodyInvalid([{"loc": ["body"], "msg": "send a JSON object"}])
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise BodyInvalid(_errors(exc)) from exc


async def form_body(request: Request) -> dict[str, str]:
    """The form fields as strings (the last value of a repeated field); files are refused. Every value of a
    repeated field (checkboxes) is then in `form_lists(request)`."""
    await read_body(request)
    form = await request.form(max_files=0, max_fields=500)
    out: dict[str, str] = {}
    lists: dict[str, list[str]] = {}
    for key, value in form.multi_items():
        if not isinstance(value, str):
            raise BodyInvalid([{"loc": ["body", key], "msg": "files are not accepted"}])
        out[key] = value
        lists.setdefault(key, []).append(value)
    request.state.form_lists = lists
    return out


def form_lists(request: Request) -> dict[str, list[str]]:
    """Every value of each field of the form `form_body` read, in order."""
    return getattr(request.state, "form_lists", {})


def validate_form(model: type[M], data: dict) -> M:
    """A form's fields as `model`: lenient types (forms send strings), the same limits."""
    try:
        return model.model_validate(data, strict=False)
    except ValidationError as exc:
        raise BodyInvalid(_errors(exc)) from exc
