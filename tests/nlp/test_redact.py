"""Payment data is masked in a scored batch: turns, evidence (spans moved), details, metadata, quarantined lines."""

from __future__ import annotations

import json
import logging

import polars as pl
import pytest

from qa_engine.nlp.redact import mask_payment, mask_payment_in_path, redact_batch, redact_records, redact_text
from qa_engine.web.access_log import PaymentMask, log_config

CARD = "4111 1111 1111 1111"


def test_every_hit_in_a_turn_is_masked_and_offsets_move_with_the_masks() -> None:
    text = f"Card {CARD} and 5555555555554444, CVV 123. Thanks!"
    redaction = redact_text(text)
    assert redaction is not None
    assert redaction.text == "Card [CARD] and [CARD], CVV [CVV]. Thanks!"
    # a span after the masks lands on the same words; a span inside a mask widens to the whole mask
    thanks = text.index("Thanks")
    assert redaction.text[redaction.position(thanks, is_end=False) :].startswith("Thanks")
    inside = text.index("1111")
    start, end = redaction.position(inside, is_end=False), redaction.position(inside + 4, is_end=True)
    assert redaction.text[start:end] == "[CARD]"
    assert redact_text("Your order 302-1234567-7654321 ships today.") is None


@pytest.mark.parametrize(
    ("language", "text", "masked"),
    [
        ("zh", "订单4111111111111111，安全码是 321", "订单[CARD]，安全码是 [CVV]"),
        (
            "de",
            "Bestellung 4242 4242 4242 4242, Passwort: Kx82!pq",
            "Bestellung [CARD], Passwort: [PASSWORD]",
        ),
        ("ja", "注文 3530111333300000 です", "注文 [CARD] です"),
        ("es", "mi orden 3782 822463 10005", "mi orden [CARD]"),
        (None, "tracking 4111-1111-1111-1111", "tracking [CARD]"),
    ],
)
def test_cards_after_order_words_are_masked_in_every_language(
    language: str | None, text: str, masked: str
) -> None:
    assert mask_payment(text) == masked


def _batch() -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    agent = f"I'm Sam. I noted card {CARD} for the refund. Anything else?"
    evidence = {"turn_index": 1, "start": agent.index("Anything"), "end": len(agent), "text": "Anything else?",
                "note": None}  # fmt: skip
    tickets = pl.DataFrame(
        {
            "ticket_id": ["T-1", "T-2"],
            "language": ["en", "en"],
            "metadata": [
                json.dumps({"note": f"paid with {CARD}"}),
                json.dumps({"order": "302-1234567-7654321"}),
            ],
            "tier_evidence": [
                json.dumps(
                    [
                        {
                            "reason": "critical:pii",
                            "turn_index": 1,
                            "start": 22,
                            "end": 41,
                            "text": CARD,
                            "note": None,
                        }
                    ]
                ),
                None,
            ],
        }
    )
    turns = pl.DataFrame(
        {
            "ticket_id": ["T-1", "T-1", "T-2"],
            "turn_index": [0, 1, 0],
            "text": [f"my card {CARD}, cvv 123", agent, "where is order 302-1234567-7654321?"],
        }
    )
    rules = pl.DataFrame(
        {
            "ticket_id": ["T-1", "T-1", "T-2"],
            "rule_id": ["closing", "pii", "closing"],
            "evidence": [evidence, {**evidence, "start": 22, "end": 41, "text": "[CARD]"}, None],
            "detail": ["ok", f"saw {CARD}", "no agent turn"],
        }
    )
    return tickets, turns, rules


def test_a_batch_keeps_no_card_and_its_evidence_still_points_at_the_words() -> None:
    tickets, turns, rules = redact_batch(*_batch())
    everything = str(tickets.to_dicts()) + str(turns.to_dicts()) + str(rules.to_dicts())
    assert "1111" not in everything and "cvv 123" not in everything
    assert turns["text"].to_list()[:2] == [
        "my card [CARD], cvv [CVV]",
        "I'm Sam. I noted card [CARD] for the refund. Anything else?",
    ]
    agent = turns["text"][1]
    closing, pii = rules.filter(pl.col("ticket_id") == "T-1")["evidence"].to_list()
    assert agent[closing["start"] : closing["end"]] == closing["text"] == "Anything else?"
    assert agent[pii["start"] : pii["end"]] == pii["text"] == "[CARD]"
    (tier,) = json.loads(tickets["tier_evidence"][0])
    assert agent[tier["start"] : tier["end"]] == tier["text"] == "[CARD]"
    assert json.loads(tickets["metadata"][0]) == {"note": "paid with [CARD]"}
    # a ticket without payment data is untouched, order numbers included
    assert turns["text"][2] == "where is order 302-1234567-7654321?"
    assert tickets.row(1) == _batch()[0].row(1)


def test_quarantined_lines_keep_no_card() -> None:
    raw = json.dumps({"ticket_id": "Q-1", "turns": [{"speaker": "customer", "text": f"card {CARD}"}]})
    (record,) = redact_records([{"source": "a.jsonl", "location": "line 3", "reason": "x", "record": raw}])
    assert "1111" not in record["record"] and "[CARD]" in record["record"]


def test_a_quote_cut_inside_a_card_keeps_none_of_its_digits() -> None:
    # a rule quotes a long turn's first 159 characters and "…": the cut falls inside the card
    text = "x" * 150 + f" card {CARD} ok"
    cut = text[:159] + "…"
    tickets = pl.DataFrame({"ticket_id": ["T-1"], "language": ["en"],
                            "dissatisfaction_evidence": [json.dumps([{"turn_index": 0, "start": 0,
                                                                      "end": len(text), "text": text[:200]}])]})  # fmt: skip
    turns = pl.DataFrame({"ticket_id": ["T-1"], "turn_index": [0], "text": [text]})
    rules = pl.DataFrame({"ticket_id": ["T-1"], "rule_id": ["greeting"],
                          "evidence": [{"turn_index": 0, "start": 0, "end": len(text), "text": cut, "note": None}],
                          "detail": [f"first words: {text[140:159]}…"]})  # fmt: skip
    tickets, turns, rules = redact_batch(tickets, turns, rules)
    everything = str(tickets.to_dicts()) + str(rules.to_dicts())
    assert "4111" not in everything and "411" not in everything.replace("x" * 10, "")
    assert (
        rules["evidence"][0]["text"] == "x" * 150 + " card [CARD]…"
    )  # cut where it was, the mask kept whole
    assert rules["detail"][0].endswith("card [CARD]…")


def test_ids_written_by_the_helpdesk_lose_payment_data_too() -> None:
    tickets = pl.DataFrame({"ticket_id": ["T-1", "T-2"], "language": ["en", "en"],
                            "customer_id": ["5500000000000004", "c-88"], "team": [f"card {CARD}", "EU-1"],
                            "agent_id": ["a-1", "a-2"]})  # fmt: skip
    turns = pl.DataFrame({"ticket_id": ["T-1", "T-2"], "turn_index": [0, 0], "text": ["hi", "hello"],
                          "agent_id": [CARD.replace(" ", ""), "a-2"]})  # fmt: skip
    rules = pl.DataFrame({"ticket_id": ["T-1"], "rule_id": ["x"], "evidence": [None], "detail": [None]})
    tickets, turns, _ = redact_batch(tickets, turns, rules)
    assert tickets["customer_id"].to_list() == ["[CARD]", "c-88"]
    assert tickets["team"].to_list() == ["card [CARD]", "EU-1"]
    assert turns["agent_id"].to_list() == ["[CARD]", "a-2"]


@pytest.mark.parametrize(
    ("path", "kept"),
    [
        ("/?q=4111111111111111", "/?q=[CARD]"),
        ("/api/tickets?q=4111%201111%201111%201111&customer=c-1", "/api/tickets?q=[CARD]&customer=c-1"),
        ("/?q=password+is+Kx82!pq", "/?q=password is [PASSWORD]"),
        (
            "/tickets/T-1?tier=red&q=caf%C3%A9",
            "/tickets/T-1?tier=red&q=caf%C3%A9",
        ),  # nothing to mask: as it came
    ],
)
def test_a_request_path_is_logged_without_payment_data(path: str, kept: str) -> None:
    assert mask_payment_in_path(path) == kept


def test_the_access_log_masks_the_request_line() -> None:
    handler_filter = PaymentMask()
    record = logging.LogRecord("uvicorn.access", logging.INFO, __file__, 1, '%s - "%s %s HTTP/%s" %d',
                               ("127.0.0.1:5", "GET", "/?q=4111%201111%201111%201111", "1.1", 200), None)  # fmt: skip
    assert handler_filter.filter(record)
    assert "4111" not in record.getMessage() and "[CARD]" in record.getMessage()
    assert log_config()["handlers"]["access"]["filters"] == ["payment_mask"]
