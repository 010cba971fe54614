"""Row normalisation and the helper columns the suite checks."""

from __future__ import annotations

from datetime import UTC, datetime

import polars as pl
import pytest

from qa_engine.validation.prepare import parse_timestamp, prepare
from qa_engine.validation.raw import RAW_TURNS


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-11-20T09:14:03Z", datetime(2026, 11, 20, 9, 14, 3, tzinfo=UTC)),
        ("2026-11-20T11:14:03+02:00", datetime(2026, 11, 20, 9, 14, 3, tzinfo=UTC)),
        ("2026-11-20T04:14:03-0500", datetime(2026, 11, 20, 9, 14, 3, tzinfo=UTC)),
        ("2026-11-20T09:14:03.123456Z", datetime(2026, 11, 20, 9, 14, 3, 123456, tzinfo=UTC)),
        ("2026-11-20 09:14:03", datetime(2026, 11, 20, 9, 14, 3, tzinfo=UTC)),  # no zone: UTC
        ("2026-11-20t09:14z", datetime(2026, 11, 20, 9, 14, tzinfo=UTC)),
        ("2026-11-20", datetime(2026, 11, 20, tzinfo=UTC)),
        ("  2026-11-20T09:14:03Z ", datetime(2026, 11, 20, 9, 14, 3, tzinfo=UTC)),
        ("20/11/2026 09:14", None),
        ("2026-13-01T00:00:00Z", None),
        ("yesterday", None),
        ("2026-11-20T09:14:03Z trailing", None),
    ],
)
def test_parse_timestamp(text: str, expected: datetime | None) -> None:
    assert pl.select(parse_timestamp(pl.lit(text))).item() == expected


def prepared(**columns: list) -> pl.DataFrame:
    """One ticket's raw rows (unnamed columns null) through prepare."""
    size = len(next(iter(columns.values())))
    given = {"_rec": [0] * size, "_where": [f"turns[{n}]" for n in range(size)]}
    given |= {"turn_index": [str(n) for n in range(size)], **columns}
    return prepare(
        pl.DataFrame({name: given.get(name, [None] * size) for name in RAW_TURNS}, schema=RAW_TURNS)
    )


def test_codes_are_normalised_and_empty_text_is_null() -> None:
    frame = prepared(
        speaker=[" Agent", "CUSTOMER", ""],
        channel=["Email", " chat ", None],
        language=["zh-CN", "EN", "pt_BR"],
        team=["  ", "EU-1", None],
    )
    assert frame["speaker"].to_list() == ["agent", "customer", None]
    assert frame["channel"].to_list() == ["email", "chat", None]
    assert frame["language"].to_list() == ["zh", "en", "pt"]
    assert frame["team"].to_list() == [None, "EU-1", None]


def test_csat_is_a_whole_number_or_flagged() -> None:
    frame = prepared(csat=["4", "4.0", "3.5", "good", None, " 5 ", "inf"])
    assert frame["csat"].to_list() == [4, 4, None, None, None, 5, None]
    assert frame["csat_is_integer"].to_list() == [True, True, False, False, None, True, False]


def test_turn_index_is_a_whole_number_or_flagged() -> None:
    frame = prepared(turn_index=["1", "0.0", "x", None])
    flags = dict(frame.select("_where", "turn_index_is_integer").rows())
    assert flags == {"turns[0]": True, "turns[1]": True, "turns[2]": False, "turns[3]": None}
    assert frame["turn_index"].to_list() == [0, 1, None, None]  # sorted, the unreadable ones last


def test_turns_are_sorted_and_backwards_timestamps_see_the_latest_earlier_one() -> None:
    frame = prepared(
        turn_index=["2", "0", "1", "3"],
        ts=["2026-11-20T09:05:00Z", "2026-11-20T09:00:00Z", None, "2026-11-20T09:04:00Z"],
    )
    assert frame["turn_index"].to_list() == [0, 1, 2, 3]
    assert frame["ts_prev"].dt.minute().to_list() == [None, 0, 0, 5]
    assert frame["ts_is_valid"].to_list() == [True, None, True, True]


def test_ticket_field_variants_ignore_blanks_and_compare_normalised_values() -> None:
    agreeing = prepared(
        channel=["Email", "email", None], created_at=["2026-11-20T10:00:00+01:00", "2026-11-20T09:00:00Z", ""]
    )
    assert agreeing["ticket_field_variants"].to_list() == [1, 1, 1]
    disagreeing = prepared(team=["EU-1", "EU-2", None])
    assert disagreeing["ticket_field_variants"].to_list() == [2, 2, 2]


def test_metadata_is_canonical_json_or_flagged() -> None:
    frame = prepared(metadata=['{"b": 1, "a": [1, 2]}', "[1]", "not json", None])
    assert frame["metadata"].to_list() == ['{"a":[1,2],"b":1}', None, None, None]
    assert frame["metadata_is_object"].to_list() == [True, False, False, None]
