"""The error table in qa_engine/errors.py is the only list of codes: read from the source, every code in it is raised
somewhere, every code raised is in it, and each raise site fills in exactly the fields its message names.

A static check over the source (ast), because a dead code or a missing field only shows when a user meets that
error, and many of them (a lost store, a refused TLS key) are hard to provoke in a test.
"""

from __future__ import annotations

import ast
import re
import string
from collections.abc import Iterator
from pathlib import Path

import pytest

from qa_engine.errors import ERRORS, MESSAGES, QAError

ROOT = Path(__file__).resolve().parents[1]
SOURCES = ("qa_engine", "flows", "bench")
CODE = re.compile(r"Q\d{3}")


def _calls() -> Iterator[tuple[str, str, ast.Call]]:
    """(code, "file:line", call) for each call given a code: `QAError("Q…", …)`, `error_response(request, status,
    "Q…", message)`, or a helper that raises the code it is given (`load_model(file, Spec, "Q701", …)`)."""
    for folder in SOURCES:
        for path in sorted((ROOT / folder).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
            for node in ast.walk(tree):
                if not isinstance(node, ast.Call):
                    continue
                for arg in node.args:
                    if (
                        isinstance(arg, ast.Constant)
                        and isinstance(arg.value, str)
                        and CODE.fullmatch(arg.value)
                    ):
                        yield arg.value, f"{path.relative_to(ROOT)}:{node.lineno}", node


CALLS = list(_calls())


def _fields(template: str) -> set[str]:
    return {name.split("!")[0] for _, name, _, _ in string.Formatter().parse(template) if name}


def test_every_code_in_the_table_is_raised_somewhere() -> None:
    raised = {code for code, _, _ in CALLS}
    assert sorted(set(ERRORS) - raised) == []


def test_every_raised_code_is_in_the_table() -> None:
    unknown = sorted(f"{code} at {where}" for code, where, _ in CALLS if code not in ERRORS)
    assert unknown == []


def test_each_qaerror_fills_in_exactly_the_fields_its_message_names() -> None:
    wrong = []
    for code, where, call in CALLS:
        name = getattr(call.func, "id", None) or getattr(call.func, "attr", None)
        if name != "QAError" or code not in ERRORS or any(k.arg is None for k in call.keywords):
            continue  # error_response passes a finished message; **fields cannot be read statically
        given = {k.arg for k in call.keywords}
        if given != _fields(ERRORS[code].message):
            wrong.append(
                f"{code} at {where}: gives {sorted(given)}, needs {sorted(_fields(ERRORS[code].message))}"
            )
    assert wrong == []


def test_codes_are_well_formed_and_statuses_are_http_error_statuses() -> None:
    for code, error in ERRORS.items():
        assert len(code) == 4 and code[0] == "Q" and code[1:].isdigit(), code
        assert 400 <= error.status <= 599, code
        assert error.exit != 0, code
        assert error.message.strip() and "\n" not in error.message, code
    assert {code: error.message for code, error in ERRORS.items()} == MESSAGES


@pytest.mark.parametrize(
    ("code", "status"),
    [("Q610", 401), ("Q612", 403), ("Q613", 403), ("Q614", 404), ("Q615", 422), ("Q616", 409), ("Q617", 409)],
    ids=[
        "no-session",
        "csrf",
        "role",
        "unknown-ticket",
        "malformed",
        "stale-version",
        "no-review-to-dispute",
    ],
)
def test_the_review_app_statuses_the_contract_names(code: str, status: int) -> None:
    assert ERRORS[code].status == status


def test_an_error_carries_its_status_and_exit_code() -> None:
    error = QAError("Q614", ticket_id="t-1")
    assert (str(error), error.status, error.exit_code) == ("[Q614] Unknown ticket id 't-1'", 404, 2)
    failed = QAError("Q976", failed=1, total=3, names="zd")
    assert failed.exit_code == 1 and failed.status == 400
