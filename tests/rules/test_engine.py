from collections.abc import Callable

import polars as pl
import pytest

from qa_engine.errors import QAError
from qa_engine.nlp.pipelines import make_docs
from qa_engine.rules import RulePack, evaluate
from qa_engine.schema import RULE_RESULTS

THANKS = {
    "kind": "phrase",
    "mode": "must_say",
    "window": "agent_turns",
    "phrases": {"en": ["thank you"], "de": ["danke"]},
}
RUDE = {"kind": "phrase", "mode": "must_not_say", "phrases": {"*": ["idiot"]}}


@pytest.fixture
def pack(make_pack: Callable[..., RulePack], rule_dict: Callable[..., dict]) -> RulePack:
    return make_pack(
        rule_dict(id="thanks", languages=["en", "de"], channels=["chat", "email"], weight=5, **THANKS),
        rule_dict(id="rude", critical=True, category="compliance", weight=15, **RUDE),
    )


def test_one_row_per_ticket_and_rule_with_the_contract_columns(pack: RulePack, frames: Callable) -> None:
    tickets, turns = frames(
        {"id": "t1", "turns": [("customer", "Hi"), ("agent", "Thank you for waiting, you idiot.")]},
        {"id": "t2", "language": "de", "channel": "email", "turns": [("agent", "Danke!")]},
    )
    results = evaluate(pack, tickets, turns)
    assert results.schema == pl.Schema(RULE_RESULTS)
    assert results.select("ticket_id", "rule_id", "outcome", "critical", "weight").rows() == [
        ("t1", "thanks", "pass", False, 5.0),
        ("t1", "rude", "fail", True, 15.0),
        ("t2", "thanks", "pass", False, 5.0),
        ("t2", "rude", "pass", True, 15.0),
    ]
    evidence = results.row(1, named=True)["evidence"]
    text = turns["text"][1]
    assert evidence["turn_index"] == 1
    assert text[evidence["start"] : evidence["end"]] == evidence["text"] == "idiot"
    assert results.row(3, named=True)["evidence"] is None  # nothing to point at


def test_an_e_mails_quoted_thread_is_not_judged_as_the_writers_words(
    pack: RulePack, frames: Callable
) -> None:
    # the agent's e-mail quotes the customer's angry message below "On ... wrote:": the agent said no "idiot"
    reply = ("Thank you for your patience, the parcel is on its way.\r\n\r\n"
             "On Mon, 20 Nov 2026 at 09:14, Kim <kim@example.com> wrote:\r\n> Where is it, you idiot?")  # fmt: skip
    quoted_only = (
        "On Mon, 20 Nov 2026 at 09:14, Kim <kim@example.com> wrote:\n> you idiot"  # all quote: read whole
    )
    tickets, turns = frames(
        {
            "id": "m1",
            "channel": "email",
            "turns": [("customer", "Where is it, you idiot?"), ("agent", reply)],
        },
        {"id": "m2", "channel": "email", "turns": [("agent", quoted_only)]},
    )
    outcome = {
        (r["ticket_id"], r["rule_id"]): r["outcome"]
        for r in evaluate(pack, tickets, turns).iter_rows(named=True)
    }
    assert outcome["m1", "rude"] == "pass" and outcome["m1", "thanks"] == "pass"
    assert outcome["m2", "rude"] == "fail"


def test_language_and_channel_outside_the_rule_are_na(pack: RulePack, frames: Callable) -> None:
    tickets, turns = frames(
        {"id": "fr", "language": "fr", "turns": [("agent", "Merci")]},
        {"id": "phone", "channel": "phone", "turns": [("agent", "Thank you")]},
        {"id": "region", "language": "en-GB", "turns": [("agent", "Thank you")]},
    )
    rows = {(r["ticket_id"], r["rule_id"]): r for r in evaluate(pack, tickets, turns).iter_rows(named=True)}
    assert rows["fr", "thanks"]["outcome"] == "na" and "language 'fr'" in rows["fr", "thanks"]["detail"]
    assert (
        rows["phone", "thanks"]["outcome"] == "na" and "channel 'phone'" in rows["phone", "thanks"]["detail"]
    )
    assert rows["region", "thanks"]["outcome"] == "pass"  # en-GB is English
    assert rows["fr", "rude"]["outcome"] == "pass"  # '*' phrase lists cover every language


def test_given_docs_are_used_row_for_row(pack: RulePack, frames: Callable) -> None:
    tickets, turns = frames({"id": "t", "turns": [("agent", "Thank you"), ("agent", "Bye")]})
    shuffled = turns.reverse()
    docs = make_docs(tickets, shuffled)
    results = evaluate(pack, tickets, shuffled, docs)
    assert results.filter(pl.col("rule_id") == "thanks")["evidence"].struct.field("turn_index").item() == 0


def test_bad_input_is_named(pack: RulePack, frames: Callable) -> None:
    tickets, turns = frames({"id": "t", "turns": [("agent", "Thank you")]})
    with pytest.raises(QAError, match=r"Q110.*tickets.*\['channel'\]"):
        evaluate(pack, tickets.drop("channel"), turns)
    with pytest.raises(QAError, match=r"Q111.*Got 0 Docs for 1"):
        evaluate(pack, tickets, turns, [])
    with pytest.raises(QAError, match=r"Q112.*\['t'\]"):
        evaluate(pack, tickets.filter(pl.col("ticket_id") == "x"), turns)


def test_ticket_without_turns_and_without_affect_columns(pack: RulePack, frames: Callable) -> None:
    tickets, turns = frames({"id": "t", "turns": [("agent", "Thank you")]}, {"id": "empty", "turns": []})
    results = evaluate(pack, tickets, turns.select("ticket_id", "turn_index", "speaker", "text"))
    empty = results.filter(pl.col("ticket_id") == "empty")
    assert empty["outcome"].to_list() == ["na", "na"]  # no agent turn: nothing to say or not to say
    assert results.filter(pl.col("ticket_id") == "t")["outcome"].to_list() == ["pass", "pass"]
