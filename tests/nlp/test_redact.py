"""Payment data is masked in a scored batch: turns, evidence (spans moved), details, metadata, quarantined lines."""

from __future__ import annotations

import json

import polars as pl
import pytest

from qa_engine.nlp.redact import mask_payment, redact_batch, redact_records, redact_text

CARD = "4111 1111 1111 1111"


def test_every_hit_in_a_turn_is_masked_and_offsets_move_with_the_masks() -> None:
    text = f"Card {CARD} and 5555555555554444, CVV 123. Thanks!"
    redaction = redact_text(text, "en")
    assert redaction is not None
    assert redaction.text == "Card [CARD] and [CARD], CVV [CVV]. Thanks!"
    # a span after the masks lands on the same words; a span inside a mask widens to the whole mask
    thanks = text.index("Thanks")
    assert redaction.text[redaction.position(thanks, is_end=False) :].startswith("Thanks")
    inside = text.index("1111")
    start, end = redaction.position(inside, is_end=False), redaction.position(inside + 4, is_end=True)
    assert redaction.text[start:end] == "[CARD]"
    assert redact_text("Your order 302-1234567-7654321 ships today.", "en") is None


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
    assert mask_payment(text, language) == masked


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
