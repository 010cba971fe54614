"""The Great Expectations suite: its expectations exist, each maps to a documented reason, it finds the failing
rows of a real batch, and a large batch validates quickly."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import polars as pl
import pytest

from qa_engine.validation import REASONS, RawBatch, build_suite, validate_batch
from qa_engine.validation.prepare import prepare
from qa_engine.validation.raw import RAW_RECORDS, RAW_TURNS
from qa_engine.validation.suite import run_suite, suite_columns
from qa_engine.validation.validate import FirstSeen

if TYPE_CHECKING:
    from great_expectations import ExpectationSuite


@pytest.fixture(scope="module")
def suite() -> ExpectationSuite:
    return build_suite()


def raw_turns(rows: list[dict]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=RAW_TURNS)


@pytest.mark.parametrize(
    ("expectation", "column", "reason"),
    [
        ("expect_column_values_to_not_be_null", "ticket_id", "missing_field"),
        ("expect_column_values_to_not_be_null", "raw_turn_index", "missing_field"),
        ("expect_column_values_to_not_be_null", "speaker", "missing_field"),
        ("expect_column_values_to_not_be_null", "text", "missing_field"),
        ("expect_column_values_to_be_in_set", "speaker", "unknown_speaker"),
        ("expect_column_values_to_be_between", "text_stripped_len", "empty_text"),
        ("expect_column_values_to_be_between", "text_len", "text_too_long"),
        ("expect_column_values_to_be_in_set", "ts_is_valid", "invalid_timestamp"),
        ("expect_column_pair_values_a_to_be_greater_than_b", None, "timestamp_backwards"),
        ("expect_column_values_to_be_between", "ticket_field_variants", "ticket_fields_disagree"),
        ("expect_column_values_to_be_in_set", "channel", "invalid_channel"),
        ("expect_column_values_to_match_regex", "language", "invalid_language"),
        ("expect_column_values_to_be_between", "csat_number", "invalid_csat"),
        ("expect_column_values_to_be_in_set", "csat_is_integer", "invalid_csat"),
    ],
)
def test_the_suite_has_each_check(
    suite: ExpectationSuite, expectation: str, column: str | None, reason: str
) -> None:
    found = [
        e.meta["reason"]
        for e in suite.expectations
        if e.expectation_type == expectation and e.configuration.kwargs.get("column") == column
    ]
    assert found == [reason]


def test_every_expectation_names_a_documented_reason_and_a_prepared_column(suite: ExpectationSuite) -> None:
    assert {e.meta["reason"] for e in suite.expectations} <= set(REASONS)
    prepared = prepare(raw_turns([{"_rec": 0, "_where": "turns[0]", "ticket_id": "T", "turn_index": "0"}]))
    assert set(suite_columns(suite)) <= set(prepared.columns)
    text_len = next(e for e in suite.expectations if e.configuration.kwargs.get("column") == "text_len")
    assert text_len.configuration.kwargs["max_value"] == {"$PARAMETER": "max_text_chars"}


def test_run_suite_names_the_failing_rows() -> None:
    rows = [
        {
            "_rec": 0,
            "_where": "turns[0]",
            "ticket_id": "T-1",
            "turn_index": "0",
            "speaker": "customer",
            "text": "hi",
        },
        {
            "_rec": 0,
            "_where": "turns[1]",
            "ticket_id": "T-1",
            "turn_index": "1",
            "speaker": "Robot",
            "text": "x",
        },
        {
            "_rec": 1,
            "_where": "turns[0]",
            "ticket_id": "T-2",
            "turn_index": "0",
            "speaker": "agent",
            "text": "abcdef",
        },
    ]
    prepared = prepare(raw_turns(rows))
    failures = run_suite(prepared, max_text_chars=5).join(
        prepared.select("_row", "_rec", "_where"), on="_row"
    )
    assert sorted(failures.select("_rec", "_where", "reason").rows()) == [
        (0, "turns[1]", "unknown_speaker"),
        (1, "turns[0]", "text_too_long"),
    ]
    assert run_suite(prepared, max_text_chars=10).filter(pl.col("reason") == "text_too_long").is_empty()


@pytest.mark.slow
def test_200k_turns_validate_in_a_few_seconds() -> None:
    tickets, per_ticket = 20_000, 10
    turns = pl.DataFrame({"_rec": pl.int_range(tickets * per_ticket, eager=True) // per_ticket}).with_columns(
        _where=pl.format("turns[{}]", pl.col("_rec") % per_ticket),
        ticket_id=pl.format("T-{}", pl.col("_rec")),
        turn_index=(pl.int_range(pl.len()) % per_ticket).cast(pl.String),
        speaker=pl.when(pl.int_range(pl.len()) % 2 == 0).then(pl.lit("customer")).otherwise(pl.lit("agent")),
        text=pl.lit("Hello, where is my parcel? It was due last week."),
        ts=pl.format("2026-11-20T09:{}:00Z", (pl.int_range(pl.len()) % per_ticket + 10).cast(pl.String)),
        channel=pl.lit("chat"),
        language=pl.lit("en"),
        csat=pl.lit("4"),
    )
    raw = RawBatch(
        source="bench.jsonl",
        turns=turns.select(
            pl.col(n).cast(t) if n in turns.columns else pl.lit(None, t).alias(n)
            for n, t in RAW_TURNS.items()
        ),
        records=pl.DataFrame(
            {"_rec": range(tickets), "location": [f"line {n + 1}" for n in range(tickets)], "record": "{}"},
            schema=RAW_RECORDS,
        ),
    )
    validate_batch(
        raw.__class__(raw.source, raw.turns.head(10), raw.records.head(1)), FirstSeen(), 1000
    )  # warm up
    started = time.perf_counter()
    result = validate_batch(raw, FirstSeen(), 1_000_000)
    elapsed = time.perf_counter() - started
    assert result.turns.height == 200_000 and result.quarantine == []
    assert elapsed < 15, f"validating 200k turns took {elapsed:.1f} s"
