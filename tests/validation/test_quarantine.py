"""Quarantine records and their reasons."""

from __future__ import annotations

import re

import pytest

from qa_engine.validation import REASONS, QuarantineRecord, summarize
from qa_engine.validation.quarantine import join_details


def record(reason: str, location: str = "line 1") -> QuarantineRecord:
    return QuarantineRecord("in.jsonl", location, reason, "detail", '{"x": 1}', "T-1")


def test_to_dict_has_the_contract_fields_plus_detail_and_ticket_id() -> None:
    assert record("empty_turns").to_dict() == {
        "source": "in.jsonl", "location": "line 1", "reason": "empty_turns", "detail": "detail",
        "record": '{"x": 1}', "ticket_id": "T-1",
    }  # fmt: skip


def test_an_undocumented_reason_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown quarantine reason 'emptyTurns'"):
        record("emptyTurns")


def test_reason_codes_are_stable_snake_case_with_a_meaning() -> None:
    assert all(re.fullmatch(r"[a-z]+(_[a-z0-9]+)*", code) and meaning for code, meaning in REASONS.items())


def test_summarize_counts_per_reason_most_frequent_first() -> None:
    records = [record("empty_turns"), record("invalid_csat"), record("empty_turns", "line 2")]
    assert list(summarize(records).items()) == [("empty_turns", 2), ("invalid_csat", 1)]
    assert summarize([]) == {}


def test_join_details_names_the_first_five_and_counts_the_rest() -> None:
    assert join_details(["a", "b"]) == "a; b"
    assert join_details([str(n) for n in range(8)]) == "0; 1; 2; 3; 4; and 3 more"
