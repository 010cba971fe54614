"""Suggestions (rules.suggestions): a failed rule gets what the agent could have written, in the ticket's language
(English for a language the pack has no templates for), naming the turn it belongs after and filled with the
ticket's own facts; passed and na rules get none; a broken suggestion fails the pack at load."""

from __future__ import annotations

import json
from typing import Any

import polars as pl
import pytest

from qa_engine.errors import QAError
from qa_engine.rules import evaluate
from qa_engine.rules.suggestions import suggest

SAYS_SORRY = {"kind": "phrase", "mode": "must_say", "phrases": {"*": ["sorry", "抱歉"]}, "languages": "*"}
SUGGESTION = {
    "text": {
        "en": ["Sorry about order {order}, the tracking number is {tracking}.", "Sorry about order {order}.",
               'You wrote "{quote}": I am sorry.', "I am sorry."],
        "zh": ["很抱歉，订单{order}的问题我来处理。", "很抱歉。"],
    },
}  # fmt: skip


def _suggested(make_pack, rule_dict, frames, tickets: list[dict[str, Any]], **fields: Any) -> dict[str, Any]:
    pack = make_pack(rule_dict(**SAYS_SORRY, suggestion={**SUGGESTION, **fields}))
    frame, turns = frames(*tickets)
    frame = frame.with_columns(
        metadata=pl.Series([json.dumps(t["metadata"]) if "metadata" in t else None for t in tickets])
    )
    results = suggest(pack.rules, frame, turns, evaluate(pack, frame, turns))
    return {row["ticket_id"]: row["suggestion"] for row in results.iter_rows(named=True)}


def test_the_first_template_the_ticket_facts_fill_is_used(make_pack, rule_dict, frames) -> None:
    tickets = [
        {"id": "both", "turns": [("customer", "My order 302-1234567-7654321 is late, tracking 1Z999AA10123456784."),
                                 ("agent", "It ships today.")]},
        {"id": "meta", "metadata": {"order_id": "A-77881"}, "turns": [("customer", "Late!"), ("agent", "Ok.")]},
        {"id": "words", "turns": [("customer", "Where is my parcel? It's been weeks."), ("agent", "Ok.")]},
        {"id": "passes", "turns": [("customer", "Hi"), ("agent", "Sorry for the wait.")]},
    ]  # fmt: skip
    got = _suggested(make_pack, rule_dict, frames, tickets)
    assert (
        got["both"]
        == "After turn 0: Sorry about order 302-1234567-7654321, the tracking number is 1Z999AA10123456784."
    )
    assert got["meta"] == "After turn 0: Sorry about order A-77881."
    assert got["words"] == 'After turn 0: You wrote "Where is my parcel?": I am sorry.'
    assert got["passes"] is None  # only failed rules get a suggestion


def test_language_and_turn(make_pack, rule_dict, frames) -> None:
    tickets = [
        {"id": "zh", "language": "zh", "turns": [("customer", "订单号：1234567890 还没到"), ("agent", "好的。"),
                                                  ("customer", "？"), ("agent", "在路上。")]},
        {"id": "th", "language": "th", "turns": [("customer", "พัสดุของฉันอยู่ที่ไหน"), ("agent", "กำลังจัดส่ง")]},
    ]  # fmt: skip
    got = _suggested(make_pack, rule_dict, frames, tickets, after="last")
    assert got["zh"] == "第3轮之后：很抱歉，订单1234567890的问题我来处理。"
    # no Thai templates: English, quoting the customer's own words
    assert got["th"] == 'After turn 1: You wrote "พัสดุของฉันอยู่ที่ไหน": I am sorry.'


def test_previous_names_the_turn_before_the_evidence(make_pack, rule_dict, frames) -> None:
    blame = {"kind": "phrase", "mode": "must_not_say", "phrases": {"en": ["your fault"]}, "languages": ["en"]}
    pack = make_pack(rule_dict(**blame, suggestion={"text": {"en": ["Let me fix it."]}}))
    frame, turns = frames({"id": "t", "turns": [("customer", "Hi"), ("agent", "Hello"), ("customer", "Broken!"),
                                                ("agent", "That is your fault.")]})  # fmt: skip
    results = suggest(pack.rules, frame, turns, evaluate(pack, frame, turns))
    assert results["suggestion"].to_list() == ["After turn 2: Let me fix it."]


@pytest.mark.parametrize(
    ("suggestion", "problem"),
    [
        ({"text": {"de": ["Entschuldigung."]}}, "needs `en` templates"),
        ({"text": {"en": ["Sorry about {order}."]}}, "must name no fact"),
        ({"text": {"en": ["Sorry {name}.", "Sorry."]}}, "names ['name']"),
        ({"after": "somewhere", "text": {"en": ["Sorry."]}}, "suggestion.after"),
    ],
)
def test_a_broken_suggestion_fails_the_pack_at_load(make_pack, rule_dict, suggestion, problem) -> None:
    with pytest.raises(QAError) as error:
        make_pack(rule_dict(**SAYS_SORRY, suggestion=suggestion))
    assert problem in str(error.value)


def test_a_quoted_card_number_is_masked_as_in_the_pipeline(make_pack, rule_dict, frames) -> None:
    """The pipeline masks payment data first and writes suggestions from the masked turns (Engine.score_batch)."""
    from qa_engine.nlp.redact import redact_batch

    pack = make_pack(
        rule_dict(**SAYS_SORRY, suggestion={"text": {"en": ['You wrote "{quote}": sorry.', "Sorry."]}})
    )
    frame, turns = frames({"id": "c", "turns": [("customer", "My card 4111 1111 1111 1111 was charged twice."),
                                                ("agent", "Ok.")]})  # fmt: skip
    tickets, masked, results = redact_batch(frame, turns, evaluate(pack, frame, turns))
    (suggestion,) = suggest(pack.rules, tickets, masked, results)["suggestion"].to_list()
    assert suggestion == 'After turn 0: You wrote "My card [CARD] was charged twice.": sorry.'


@pytest.mark.parametrize(
    ("customer", "quote"),
    [
        ("Hi,\n\nMy parcel never came. Please help.", "My parcel never came."),
        (
            "Sehr geehrte Damen und Herren,\nmein Paket ist nicht angekommen.",
            "mein Paket ist nicht angekommen.",
        ),
        ("您好，\n我的包裹还没到。", "我的包裹还没到。"),
        ("Hi, my parcel never came.", "Hi, my parcel never came."),  # one line: nothing to skip
    ],
)
def test_an_e_mail_salutation_line_is_not_quoted(make_pack, rule_dict, frames, customer, quote) -> None:
    pack = make_pack(
        rule_dict(**SAYS_SORRY, suggestion={"text": {"en": ['You wrote "{quote}": sorry.', "Sorry."]}})
    )
    frame, turns = frames({"id": "q", "turns": [("customer", customer), ("agent", "Ok.")]})
    (suggestion,) = suggest(pack.rules, frame, turns, evaluate(pack, frame, turns))["suggestion"].to_list()
    assert suggestion == f'After turn 0: You wrote "{quote}": sorry.'
