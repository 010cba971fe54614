"""Structural checks on one JSON record, the ones Great Expectations cannot express: does the line decode, is it JSON,
is it an object, does it have a list of turn objects, are the fields of the right JSON type.

A record that fails here never reaches the value checks (there is no table to check yet): it is quarantined with
its structural reasons, all of them at once.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from qa_engine.validation.quarantine import join_details
from qa_engine.validation.raw import TICKET_FIELDS

# Fields that must be JSON strings when given; `csat` (a number), `metadata` (an object) and `escalated` (a boolean)
# are checked apart.
TICKET_TEXT_FIELDS: tuple[str, ...] = (
    "ticket_id",
    "channel",
    "language",
    "agent_id",
    "team",
    "customer_id",
    "created_at",
)
TURN_TEXT_FIELDS: tuple[str, ...] = ("speaker", "text", "ts", "agent_id")


@dataclass(frozen=True)
class Problem:
    """Why a record cannot be used: a reason code (see reasons.REASONS) and one human line."""

    reason: str
    detail: str


@dataclass(frozen=True)
class JsonTicket:
    """A structurally sound ticket, every value as text: ticket-level fields (TICKET_FIELDS plus ticket_id) and
    one (turn_index, speaker, text, ts, agent_id) tuple per turn."""

    ticket_id: str | None
    fields: dict[str, str | None]
    turns: list[tuple[str, str | None, str | None, str | None, str | None]]


def json_type(value: Any) -> str:
    """The JSON name of a parsed value's type, for messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


def decode_record(data: bytes) -> str | Problem:
    """The line as text, or why it is binary junk. NUL bytes count as junk even though they are valid UTF-8."""
    nul = data.find(b"\x00")
    if nul >= 0:
        return Problem("invalid_encoding", f"the line holds a NUL byte at byte {nul + 1}")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        return Problem("invalid_encoding", f"byte {error.start + 1} (0x{data[error.start]:02x}) is not UTF-8")


def parse_object(text: str) -> dict[str, Any] | Problem:
    """The JSON object on a line, or why it is not one."""
    try:
        value = json.loads(text)
    except json.JSONDecodeError as error:
        return Problem("malformed_json", f"{error.msg} (column {error.colno})")
    except RecursionError:
        return Problem("malformed_json", "the JSON is nested too deeply to read")
    if not isinstance(value, dict):
        return Problem("not_an_object", f"the record is a JSON {json_type(value)}, not an object")
    if "\\u" in text and _SURROGATE_ESCAPE.search(text):
        value = repair_surrogates(value)
    return value


_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


def repair_surrogates(value: Any) -> Any:
    """JSON may escape a lone UTF-16 surrogate (\\ud800), which no UTF-8 tool can hold: replace it with U+FFFD
    (a valid pair is joined), so the turn is kept and scored instead of crashing the run."""
    if isinstance(value, str):
        return value.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    if isinstance(value, dict):
        return {repair_surrogates(k): repair_surrogates(v) for k, v in value.items()}
    if isinstance(value, list):
        return [repair_surrogates(v) for v in value]
    return value


def _text_or_problem(value: Any, path: str, problems: list[str]) -> str | None:
    if value is None or isinstance(value, str):
        return value
    problems.append(f"{path} is a JSON {json_type(value)}, expected text")
    return None


def _csat_text(value: Any, problems: list[str]) -> str | None:
    # Numbers keep their JSON spelling ("4", "4.0", "3.5"): whether it is a whole number 1..5 is a value check.
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return json.dumps(value)
    problems.append(f"csat is a JSON {json_type(value)}, expected a number")
    return None


def _escalated_text(value: Any, problems: list[str]) -> str | None:
    # A JSON boolean as "true"/"false"; text is kept as written and checked with the values ("yes" is no boolean).
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    problems.append(f"escalated is a JSON {json_type(value)}, expected true or false")
    return None


def _metadata_text(value: Any, problems: list[str]) -> str | None:
    if value is None:
        return None
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    problems.append(f"metadata is a JSON {json_type(value)}, expected an object")
    return None


def flatten_ticket(obj: dict[str, Any]) -> JsonTicket | list[Problem]:
    """Check the shape of one ticket object and flatten it to text values, or list every structural problem."""
    turns = obj.get("turns")
    if "turns" not in obj or turns is None:
        return [Problem("missing_turns", "the ticket has no turns field")]
    if not isinstance(turns, list):
        return [Problem("turns_not_a_list", f"turns is a JSON {json_type(turns)}, not a list")]
    if not turns:
        return [Problem("empty_turns", "turns is an empty list")]

    wrong_types: list[str] = []
    fields: dict[str, str | None] = {name: None for name in TICKET_FIELDS}
    ticket_id = _text_or_problem(obj.get("ticket_id"), "ticket_id", wrong_types)
    for name in TICKET_TEXT_FIELDS[1:]:
        # The ticket's own agent_id is kept apart from the turns' agent_id.
        target = "ticket_agent_id" if name == "agent_id" else name
        fields[target] = _text_or_problem(obj.get(name), name, wrong_types)
    fields["csat"] = _csat_text(obj.get("csat"), wrong_types)
    fields["metadata"] = _metadata_text(obj.get("metadata"), wrong_types)
    fields["escalated"] = _escalated_text(obj.get("escalated"), wrong_types)

    not_objects: list[str] = []
    rows = []
    for index, turn in enumerate(turns):
        if not isinstance(turn, dict):
            not_objects.append(f"turns[{index}] is a JSON {json_type(turn)}, not an object")
            continue
        values = tuple(turn.get(name) for name in TURN_TEXT_FIELDS)
        if not all(value is None or type(value) is str for value in values):  # rare: name each wrong field
            values = tuple(
                _text_or_problem(value, f"turns[{index}].{name}", wrong_types)
                for name, value in zip(TURN_TEXT_FIELDS, values, strict=True)
            )
        rows.append((str(index), *values))

    problems = [
        Problem(reason, join_details(items))
        for reason, items in (("turn_not_an_object", not_objects), ("wrong_type", wrong_types))
        if items
    ]
    return problems or JsonTicket(ticket_id=ticket_id, fields=fields, turns=rows)
