"""The key-issue tier conditions (qa_engine.scoring.conditions) and the default policy's use of them: high
escalation risk is red with each signal and its words as a reason, an unresolved lost parcel or double charge is
yellow, and the signals' evidence lands in tier_reasons / tier_evidence."""

from __future__ import annotations

import json
from typing import Any

import polars as pl
import pytest

from qa_engine.schema import RULE_RESULTS
from qa_engine.scoring import assign_tiers, load_policy
from qa_engine.scoring.conditions import CONDITIONS, Reason
from qa_engine.scoring.features import ticket_features
from qa_engine.scoring.params import ConditionParams
from qa_engine.scoring.params import EscalationRiskParams as Escalation
from qa_engine.scoring.params import ReasonUnresolvedParams as Unresolved

CHARGEBACK = {"signal": "chargeback", "weight": 0.75, "turn_index": 2, "start": 14, "end": 24, "text": "chargeback",
              "note": "Threatens a chargeback or a payment dispute"}  # fmt: skip
MANAGER = {"signal": "manager_request", "weight": 0.45, "turn_index": 4, "start": 9, "end": 16, "text": "manager",
           "note": "Asks for a manager, a supervisor or a human"}  # fmt: skip


def fire(
    name: str, params: ConditionParams, ticket: dict[str, Any], last_sentiment: float = 0.0
) -> list[Reason]:
    """The reasons of condition `name` for one ticket with two customer turns (none where it does not fire)."""
    tickets = pl.DataFrame([{"ticket_id": "K-1", **ticket}])
    turns = pl.DataFrame(
        {"ticket_id": ["K-1"] * 2, "turn_index": [0, 2], "speaker": ["customer"] * 2,
         "text": ["My parcel never came.", "ok"], "sentiment_score": [-0.5, last_sentiment], "affect_flag": [None] * 2},
        schema_overrides={"affect_flag": pl.String},
    )  # fmt: skip
    features = ticket_features(tickets, turns, pl.DataFrame(schema=RULE_RESULTS)).with_columns(qa_score=100.0)
    check = CONDITIONS[name](params)
    (row,) = features.with_columns(_fires=check.fires.fill_null(False)).iter_rows(named=True)
    return check.reasons(row) if row["_fires"] else []


def test_escalation_fires_from_the_threshold_with_one_reason_per_signal() -> None:
    name = "escalation_risk_at_least"
    ticket = {"escalation_risk": 0.86, "escalation_evidence": json.dumps([CHARGEBACK, MANAGER])}
    reasons = fire(name, Escalation(min_risk=0.7), ticket)
    assert [r.id for r in reasons] == ["escalation:chargeback", "escalation:manager_request"]
    assert reasons[0].text == 'escalation risk 0.86 >= 0.70: chargeback "chargeback" in turn 2'
    assert reasons[0].evidence == {"turn_index": 2, "start": 14, "end": 24, "text": "chargeback",
                                   "note": CHARGEBACK["note"]}  # fmt: skip
    assert fire(name, Escalation(min_risk=0.7), {**ticket, "escalation_risk": 0.69}) == []
    assert fire(name, Escalation(), {**ticket, "escalation_risk": 0.7})  # default 0.7, inclusive
    assert fire(name, Escalation(), {}) == []  # a ticket scored before key issues existed


def test_model_only_escalation_names_the_model() -> None:
    model = {"signal": "model", "weight": 0.45, "turn_index": 0, "start": 0, "end": 21, "text": "My parcel never came.",
             "note": "escalation model 0.90"}  # fmt: skip
    ticket = {"escalation_risk": 0.45, "escalation_evidence": json.dumps([model])}
    (reason,) = fire("escalation_risk_at_least", Escalation(min_risk=0.4), ticket)
    assert reason.text == "escalation risk 0.45 >= 0.40: model (escalation model 0.90) in turn 0"


@pytest.mark.parametrize(
    ("sub_reason", "last_sentiment", "resolved", "fires"),
    [
        ("logistics.lost", -0.7, True, "the customer ends negative (sentiment -0.70)"),
        ("logistics.lost", 0.1, False, "no resolution wording in the customer's closing turns"),
        ("payment.double_charge", 0.6, True, None),  # settled: positive and "thanks"
        ("logistics.delayed", -0.9, False, None),  # not a sub-reason the policy names
    ],
)
def test_reason_unresolved(sub_reason: str, last_sentiment: float, resolved: bool, fires: str | None) -> None:
    ticket = {"contact_reason": sub_reason.split(".")[0], "contact_sub_reason": sub_reason,
              "customer_resolved": resolved}  # fmt: skip
    reasons = fire("reason_unresolved", Unresolved(), ticket, last_sentiment)
    if fires is None:
        assert reasons == []
    else:
        (reason,) = reasons
        assert reason.text == f"{sub_reason} not resolved: {fires}"
        assert reason.evidence["turn_index"] == 2


def test_reason_unresolved_takes_whole_reasons_too() -> None:
    ticket = {
        "contact_reason": "complaint",
        "contact_sub_reason": "complaint.service",
        "customer_resolved": False,
    }
    assert fire("reason_unresolved", Unresolved(sub_reasons=["complaint"]), ticket)


def _tickets(**columns: list) -> pl.DataFrame:
    n = len(next(iter(columns.values())))
    base = {"ticket_id": [f"K-{i}" for i in range(n)], "language": ["en"] * n, "channel": ["chat"] * n}
    return pl.DataFrame({**base, **columns})


def test_default_policy_puts_key_issues_into_the_tier_with_evidence() -> None:
    tickets = _tickets(
        escalation_risk=[0.86, 0.45, 0.1, 0.0],
        escalation_evidence=[json.dumps([CHARGEBACK, MANAGER]), json.dumps([MANAGER]), "[]", "[]"],
        contact_reason=["logistics", "order", "logistics", "payment"],
        contact_sub_reason=["logistics.lost", "order.change", "logistics.lost", "payment.double_charge"],
        customer_resolved=[False, True, False, True],
    )
    turns = pl.DataFrame(
        {"ticket_id": tickets["ticket_id"], "turn_index": [0] * 4, "speaker": ["customer"] * 4,
         "text": ["Where is it?"] * 4, "sentiment": ["neutral"] * 4, "sentiment_score": [0.0, 0.0, 0.0, 0.5],
         "emotion": ["neutral"] * 4, "affect_flag": [None] * 4},
        schema_overrides={"affect_flag": pl.String},
    )  # fmt: skip
    tiers = assign_tiers(tickets, turns, pl.DataFrame(schema=RULE_RESULTS), load_policy())
    rows = {r["ticket_id"]: r for r in tiers.iter_rows(named=True)}
    assert [rows[f"K-{i}"]["tier"] for i in range(4)] == ["red", "yellow", "yellow", "green"]
    red = rows["K-0"]
    assert any('chargeback "chargeback"' in reason for reason in red["tier_reasons"])
    assert any("manager_request" in reason for reason in red["tier_reasons"])
    evidence = json.loads(red["tier_evidence"])
    assert {(e["reason"], e["text"]) for e in evidence} == {
        ("escalation:chargeback", "chargeback"), ("escalation:manager_request", "manager"),
    }  # fmt: skip
    assert [json.loads(rows["K-1"]["tier_evidence"])[0]["reason"]] == ["escalation_watch"]
    assert rows["K-2"]["tier_reasons"] == [
        "logistics.lost not resolved: no resolution wording in the customer's closing turns"
    ]
