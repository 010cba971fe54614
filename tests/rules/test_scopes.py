"""Rule scopes (CONTRACT.md section 3): `markets` from metadata.market and `contact_reasons` from the reasons stage;
a result outside its rule's scope is na with the reason, and a broken scope fails the pack at load."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import polars as pl
import pytest

from qa_engine.errors import QAError
from qa_engine.rules import RulePack, evaluate
from qa_engine.rules.scopes import apply_scopes, ticket_markets

SAYS_SORRY = {"kind": "phrase", "mode": "must_say", "phrases": {"en": ["sorry"]}, "languages": ["en"]}


def _scored(
    make_pack: Callable[..., RulePack], rule_dict: Callable, frames: Callable, scope: dict[str, Any],
    tickets: list[dict[str, Any]],
) -> dict[str, dict]:  # fmt: skip
    pack = make_pack(rule_dict(**SAYS_SORRY, **scope))
    specs = [
        {"id": t["id"], "turns": [("customer", "Where is it?"), ("agent", "It ships today.")]}
        for t in tickets
    ]
    frame, turns = frames(*specs)
    frame = frame.with_columns(
        metadata=pl.Series([json.dumps(t["metadata"]) if "metadata" in t else None for t in tickets]),
        contact_reason=pl.Series([t.get("reason") for t in tickets], dtype=pl.String),
        contact_sub_reason=pl.Series([t.get("sub") for t in tickets], dtype=pl.String),
    )
    results = apply_scopes(pack.rules, frame, evaluate(pack, frame, turns))
    return {row["ticket_id"]: row for row in results.iter_rows(named=True)}


def test_markets_scope_by_metadata_market(make_pack, rule_dict, frames) -> None:
    tickets = [{"id": "de", "metadata": {"market": "DE"}}, {"id": "jp", "metadata": {"market": "jp"}},
               {"id": "us", "metadata": {"market": "US"}}, {"id": "none", "metadata": {"platform": "amazon"}},
               {"id": "nometa"}]  # fmt: skip
    rows = _scored(make_pack, rule_dict, frames, {"markets": ["DE", "JP"]}, tickets)
    assert {k: v["outcome"] for k, v in rows.items()} == {
        "de": "fail", "jp": "fail", "us": "na", "none": "na", "nometa": "na",
    }  # fmt: skip
    assert rows["us"]["detail"] == "the rule does not cover market 'US'" and rows["us"]["evidence"] is None
    assert rows["none"]["detail"] == "the ticket names no market (metadata.market)"


def test_contact_reasons_scope_by_the_reasons_verdict(make_pack, rule_dict, frames) -> None:
    tickets = [{"id": "l", "reason": "logistics"}, {"id": "p", "reason": "payment"}, {"id": "n"}]
    rows = _scored(make_pack, rule_dict, frames, {"contact_reasons": ["logistics"]}, tickets)
    assert {k: v["outcome"] for k, v in rows.items()} == {"l": "fail", "p": "na", "n": "na"}
    assert rows["p"]["detail"] == "the rule does not cover contact reason 'payment'"


def test_a_sub_reason_scope_judges_only_that_sub_reason(make_pack, rule_dict, frames) -> None:
    # a tracking rule must not judge "do you ship to Canada?", which is logistics too
    tickets = [{"id": "late", "reason": "logistics", "sub": "logistics.delayed"},
               {"id": "options", "reason": "logistics", "sub": "logistics.delivery_options"},
               {"id": "paid", "reason": "payment", "sub": "payment.failed"}, {"id": "none"}]  # fmt: skip
    scope = {"contact_reasons": ["logistics.delayed", "payment"]}
    rows = _scored(make_pack, rule_dict, frames, scope, tickets)
    assert {k: v["outcome"] for k, v in rows.items()} == {
        "late": "fail",
        "options": "na",
        "paid": "fail",
        "none": "na",
    }
    assert rows["options"]["detail"] == "the rule does not cover contact reason 'logistics.delivery_options'"


def test_both_scopes_must_hold_and_unscoped_rules_are_untouched(make_pack, rule_dict, frames) -> None:
    tickets = [{"id": "yes", "reason": "returns", "metadata": {"market": "DE"}},
               {"id": "market", "reason": "returns", "metadata": {"market": "FR"}},
               {"id": "reason", "reason": "order", "metadata": {"market": "DE"}}]  # fmt: skip
    rows = _scored(make_pack, rule_dict, frames, {"markets": ["DE"], "contact_reasons": ["returns"]}, tickets)
    assert {k: v["outcome"] for k, v in rows.items()} == {"yes": "fail", "market": "na", "reason": "na"}
    unscoped = _scored(make_pack, rule_dict, frames, {}, tickets)
    assert {v["outcome"] for v in unscoped.values()} == {"fail"}


def test_applying_scopes_twice_changes_nothing(make_pack, rule_dict, frames) -> None:
    pack = make_pack(rule_dict(**SAYS_SORRY, markets=["DE"]))
    frame, turns = frames({"id": "t", "turns": [("agent", "Hi")]})
    frame = frame.with_columns(metadata=pl.lit('{"market": "US"}'))
    once = apply_scopes(pack.rules, frame, evaluate(pack, frame, turns))
    assert apply_scopes(pack.rules, frame, once).equals(once)


def test_markets_are_read_from_metadata_json() -> None:
    frame = pl.DataFrame({"metadata": ['{"market": " de "}', "not json", None, '{"market": 5}', "[1]"]})
    assert ticket_markets(frame).to_list() == ["DE", None, None, None, None]


@pytest.mark.parametrize(
    ("scope", "field"),
    [({"markets": ["de"]}, "markets"), ({"markets": ["DEU"]}, "markets"), ({"markets": []}, "markets"),
     ({"contact_reasons": ["shipping"]}, "contact_reasons"), ({"contact_reasons": "logistics"}, "contact_reasons"),
     ({"contact_reasons": ["shipping.lost"]}, "contact_reasons"),
     ({"contact_reasons": ["logistics.Lost Parcel"]}, "contact_reasons")],
)  # fmt: skip
def test_a_bad_scope_fails_the_pack_with_its_field(make_pack, rule_dict, scope: dict, field: str) -> None:
    with pytest.raises(QAError) as caught:
        make_pack(rule_dict(**SAYS_SORRY, **scope))
    assert caught.value.code == "Q103" and field in str(caught.value)
