"""validate_batch: whole tickets are accepted or quarantined, one record per reason, duplicates keep the first."""

from __future__ import annotations

import json

import polars as pl

from qa_engine.validation import RAW_RECORDS, RAW_TURNS, FirstSeen, RawBatch, validate_batch


def flat_batch(rows: list[dict], locations: dict[int, str]) -> RawBatch:
    """A flat-file batch: `rows` name RAW_TURNS columns (the rest null); `locations` per _rec."""
    turns = pl.DataFrame([{name: row.get(name) for name in RAW_TURNS} for row in rows], schema=RAW_TURNS)
    records = pl.DataFrame(
        {"_rec": list(locations), "location": list(locations.values()), "record": [None] * len(locations)},
        schema=RAW_RECORDS,
    )
    columns = ("ticket_id", "turn_index", "speaker", "text", "team")
    return RawBatch(source="turns.csv", turns=turns, records=records, flat_columns=columns)


def row(rec: int, line: int, ticket_id: str, turn: int, speaker: str, text: str, **more: str) -> dict:
    return {"_rec": rec, "_where": f"row {line}", "ticket_id": ticket_id, "turn_index": str(turn),
            "speaker": speaker, "text": text, **more}  # fmt: skip


def test_a_ticket_with_any_failing_turn_is_quarantined_whole_with_each_reason() -> None:
    batch = flat_batch(
        [
            row(0, 1, "T-1", 0, "customer", "hi", team="EU-1"),
            row(0, 3, "T-1", 1, "robot", "   ", team="EU-2"),
            row(1, 2, "T-2", 0, "customer", "hello", team="EU-1"),
        ],
        {0: "rows 1, 3", 1: "row 2"},
    )
    result = validate_batch(batch, FirstSeen(), max_text_chars=100)
    assert result.turns["ticket_id"].unique().to_list() == ["T-2"]
    assert result.records.rows() == [(1, "row 2")]
    assert [(q.location, q.reason, q.detail) for q in result.quarantine] == [
        (
            "rows 1, 3",
            "ticket_fields_disagree",
            "ticket-level columns differ between its rows: team has 'EU-1', 'EU-2'",
        ),
        ("rows 1, 3", "unknown_speaker", "row 3: speaker 'robot' is not one of customer, agent, bot, system"),
        ("rows 1, 3", "empty_text", "row 3: text is empty"),
    ]
    rows = json.loads(result.quarantine[0].record)
    assert rows == [
        {"ticket_id": "T-1", "turn_index": "0", "speaker": "customer", "text": "hi", "team": "EU-1"},
        {"ticket_id": "T-1", "turn_index": "1", "speaker": "robot", "text": "   ", "team": "EU-2"},
    ]


def test_a_row_the_reader_marked_fails_for_that_alone() -> None:
    marked = row(
        0, 1, "T-1", 0, "x", "y", _problem="malformed_row", _problem_detail="has 9 fields, the header has 5"
    )
    result = validate_batch(flat_batch([marked], {0: "row 1"}), FirstSeen(), max_text_chars=100)
    assert [(q.reason, q.detail) for q in result.quarantine] == [
        ("malformed_row", "row 1: has 9 fields, the header has 5")
    ]


def test_duplicates_keep_the_first_accepted_copy_across_batches() -> None:
    seen = FirstSeen()
    first = validate_batch(
        flat_batch(
            [row(0, 1, "T-1", 0, "customer", "a"), row(1, 2, "T-1", 0, "customer", "b")],
            {0: "row 1", 1: "row 2"},
        ),
        seen,
        max_text_chars=100,
    )
    assert first.records["location"].to_list() == ["row 1"]
    assert [(q.location, q.detail) for q in first.quarantine] == [
        ("row 2", "ticket_id 'T-1' was already read from turns.csv row 1")
    ]
    later = validate_batch(flat_batch([row(0, 9, "T-1", 0, "customer", "c")], {0: "row 9"}), seen, 100)
    assert later.turns.is_empty() and [q.reason for q in later.quarantine] == ["duplicate_ticket_id"]
    assert len(seen) == 1
