"""Structural checks on one JSON record."""

from __future__ import annotations

import pytest

from qa_engine.validation.structure import JsonTicket, Problem, decode_record, flatten_ticket, parse_object


@pytest.mark.parametrize(
    ("data", "detail"),
    [
        (b'{"a": 1}\x00\x00', "the line holds a NUL byte at byte 9"),
        (b'{"text": "caf\xe9"}', "byte 14 (0xe9) is not UTF-8"),
    ],
)
def test_binary_junk_is_invalid_encoding(data: bytes, detail: str) -> None:
    assert decode_record(data) == Problem("invalid_encoding", detail)


def test_utf8_text_decodes() -> None:
    assert decode_record('{"text": "快递"}'.encode()) == '{"text": "快递"}'


@pytest.mark.parametrize(
    ("text", "reason", "detail"),
    [
        ('{"ticket_id": ', "malformed_json", "Expecting value (column 15)"),
        ("[1, 2]", "not_an_object", "the record is a JSON array, not an object"),
        ('"T-1"', "not_an_object", "the record is a JSON string, not an object"),
        ("[" * 100_000, "malformed_json", "nested too deeply"),
    ],
)
def test_a_line_that_is_not_a_json_object(text: str, reason: str, detail: str) -> None:
    problem = parse_object(text)
    assert isinstance(problem, Problem) and problem.reason == reason and detail in problem.detail


@pytest.mark.parametrize(
    ("ticket", "problems"),
    [
        ({"ticket_id": "T"}, [("missing_turns", "the ticket has no turns field")]),
        ({"ticket_id": "T", "turns": None}, [("missing_turns", "the ticket has no turns field")]),
        ({"turns": "hello"}, [("turns_not_a_list", "turns is a JSON string, not a list")]),
        ({"turns": []}, [("empty_turns", "turns is an empty list")]),
        (
            {
                "ticket_id": 7,
                "csat": [5],
                "metadata": "x",
                "turns": [1, {"speaker": "agent", "text": None, "ts": 3}],
            },
            [
                ("turn_not_an_object", "turns[0] is a JSON number, not an object"),
                (
                    "wrong_type",
                    "ticket_id is a JSON number, expected text; csat is a JSON array, expected a number; "
                    "metadata is a JSON string, expected an object; turns[1].ts is a JSON number, expected text",
                ),
            ],
        ),
    ],
)
def test_shape_problems_are_all_listed(ticket: dict, problems: list[tuple[str, str]]) -> None:
    assert flatten_ticket(ticket) == [Problem(reason, detail) for reason, detail in problems]


def test_a_sound_ticket_is_flattened_to_text() -> None:
    ticket = flatten_ticket(
        {
            "ticket_id": "T-1",
            "agent_id": "a-1",
            "csat": 4.0,
            "metadata": {"b": 1, "a": "é"},
            "extra": [1],
            "turns": [
                {"speaker": "customer", "text": "hi"},
                {"speaker": "agent", "text": "yo", "agent_id": "a-2"},
            ],
        }
    )
    assert isinstance(ticket, JsonTicket)
    assert ticket.ticket_id == "T-1"
    assert ticket.fields["ticket_agent_id"] == "a-1" and ticket.fields["csat"] == "4.0"
    assert ticket.fields["metadata"] == '{"a":"é","b":1}' and ticket.fields["channel"] is None
    assert ticket.turns == [("0", "customer", "hi", None, None), ("1", "agent", "yo", None, "a-2")]
