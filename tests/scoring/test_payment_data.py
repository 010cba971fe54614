"""Payment data is never kept: after a run, neither the store, the `--out` files, the quarantine nor the run's log
holds a card number, CVV or password, whoever wrote it; the `pii` rule still fails the agent who disclosed one, also
when the ticket is re-scored from the store."""

from __future__ import annotations

import json
import logging
from datetime import date
from pathlib import Path

import pytest

from qa_engine.pipeline import ScoreConfig, score_files
from qa_engine.rescore import rescore_since
from qa_engine.store import Store

pytestmark = pytest.mark.slow

# Long enough not to occur by chance in a time stamp or a hash ("4111" alone once matched a run's microseconds).
SECRETS = (
    "4111 1111",
    "5555555555554444",
    "3782 822463",
    "Kx82!pq",
    "cvv 123",
    "安全码是321",
    "4111111111",
    "5500 00",
    "5500000000",
    "4111-1111",
    "abc12345",
    "4111\\n1111",
)
TICKETS = [
    {"ticket_id": "PAY-1", "language": "en", "channel": "chat", "agent_id": "a-1",
     "metadata": {"note": "customer paid with 4111 1111 1111 1111"},
     "turns": [
         {"speaker": "customer", "text": "Refund my order 4111 1111 1111 1111 please, cvv 123"},
         {"speaker": "agent", "text": "Hi, I'm Sam. So the card is 5555555555554444? I will refund it today. "
                                      "Anything else I can do?"},
     ]},
    {"ticket_id": "PAY-2", "language": "zh", "channel": "chat",
     "turns": [
         {"speaker": "customer", "text": "订单3782 822463 10005扣款两次，安全码是321"},
         {"speaker": "agent", "text": "您好，我是小李。已为您退款，请勿在聊天中发送卡号。"},
     ]},
    {"ticket_id": "PAY-3", "language": "de", "channel": "email",
     "turns": [
         {"speaker": "customer", "text": "Ich komme nicht in mein Konto."},
         {"speaker": "agent", "text": "Guten Tag, hier ist Jonas. Ihr neues Passwort lautet Kx82!pq."},
     ]},
]  # fmt: skip
# the forms people type that a first recogniser missed: a card followed by its expiry and code with no word between,
# a card pasted as the customer id or the team, a line break inside a card, a password straight after "密码", and
# a card where a rule's quote of a long turn is cut short (the cut must not leave its first digits)
FILLER = (
    "Thanks for waiting, I have checked the order history and the payment records for this account today. "
    "Also, I looked at the refund and invoice. "
)  # 152 characters: a 160-character quote cuts the card
TICKETS.append(
    {"ticket_id": "PAY-4", "language": "en", "channel": "chat", "agent_id": "a-2", "customer_id": "5500000000000004",
     "team": "card 4111-1111-1111-1111",
     "turns": [
         {"speaker": "customer", "text": "charge 4111111111111111 123 please, my card:\n4111 1111\n1111 1111"},
         {"speaker": "agent", "text": FILLER + "The card 5500 0000 0000 0004 is on file, 密码abc12345已重置."},
     ]}
)  # fmt: skip
BAD = '{"ticket_id": "PAY-bad", "turns": [{"speaker": "customer", "text": "card 4111 1111 1111 1111"}], "channel": 5}'


def _every_stored_value(db: Path) -> str:
    store = Store(db)
    tables = store.query("SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'")
    return "\n".join(
        str(store.query(f'SELECT * FROM "{name}"').to_dicts()) for name in tables["table_name"].to_list()
    )


def test_no_payment_data_is_kept_anywhere(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    source = tmp_path / "pay.jsonl"
    lines = [json.dumps(t, ensure_ascii=False) for t in TICKETS] + [BAD]
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    db, out = tmp_path / "qa.duckdb", tmp_path / "out"
    with caplog.at_level(logging.DEBUG):
        summary = score_files([str(source)], ScoreConfig(db=db, out=out))
    assert (summary.scored, summary.quarantined) == (4, 1)

    kept = _every_stored_value(db)
    written = "\n".join(p.read_bytes().decode("utf-8", "replace") for p in out.iterdir())
    for secret in SECRETS:
        assert secret not in kept, secret
        assert secret not in written, secret
        assert secret not in caplog.text, secret
    assert "[CARD]" in kept and "[CVV]" in kept and "[PASSWORD]" in kept

    store = Store(db)
    pii = store.query(
        "SELECT ticket_id, outcome, evidence FROM rule_results WHERE rule_id = 'pii_disclosure' ORDER BY ticket_id"
    )
    assert pii["outcome"].to_list() == ["fail", "pass", "fail", "fail"]  # customers' cards are no disclosures
    # evidence still points at the masked words of the stored turn
    turns = store.query("SELECT ticket_id, turn_index, text FROM turns")
    text = {(t, i): s for t, i, s in turns.iter_rows()}
    for ticket_id, _, evidence in pii.filter(pii["outcome"] == "fail").iter_rows():
        shown = text[(ticket_id, evidence["turn_index"])][evidence["start"] : evidence["end"]]
        assert shown == evidence["text"] and shown in ("[CARD]", "[PASSWORD]")

    # a re-score reads the masked turns and judges the same disclosures
    rescore_since(date(2000, 1, 1), ScoreConfig(db=db))
    again = Store(db).query(
        "SELECT outcome FROM rule_results WHERE rule_id = 'pii_disclosure' ORDER BY ticket_id"
    )
    assert again["outcome"].to_list() == ["fail", "pass", "fail", "fail"]
