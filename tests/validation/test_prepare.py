"""Row normalisation and the helper columns the suite checks."""

from __future__ import annotations

from datetime import UTC, datetime

import polars as pl
import pytest

from qa_engine.errors import QAError
from qa_engine.sources import read_inputs
from qa_engine.validation.prepare import check_time_zone, parse_timestamp, prepare
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


@pytest.mark.parametrize(
    ("text", "zone", "expected"),
    [
        ("2026-11-20 09:14:03", "Europe/Berlin", datetime(2026, 11, 20, 8, 14, 3, tzinfo=UTC)),  # CET, +01:00
        ("2026-07-20T09:14", "Europe/Berlin", datetime(2026, 7, 20, 7, 14, tzinfo=UTC)),  # CEST, +02:00
        ("2026-11-20", "Asia/Tokyo", datetime(2026, 11, 19, 15, 0, tzinfo=UTC)),  # midnight in Tokyo
        ("2026-11-20T09:14:03", "America/New_York", datetime(2026, 11, 20, 14, 14, 3, tzinfo=UTC)),
        # a value with Z or an offset keeps its own
        ("2026-11-20T09:14:03Z", "Asia/Tokyo", datetime(2026, 11, 20, 9, 14, 3, tzinfo=UTC)),
        ("2026-11-20T11:14:03+02:00", "America/New_York", datetime(2026, 11, 20, 9, 14, 3, tzinfo=UTC)),
        # daylight saving: 02:30 on 2026-10-25 happens twice in Berlin (the first is meant), on 2026-03-29 never
        ("2026-10-25T02:30", "Europe/Berlin", datetime(2026, 10, 25, 0, 30, tzinfo=UTC)),
        ("2026-03-29T02:30", "Europe/Berlin", datetime(2026, 3, 29, 1, 30, tzinfo=UTC)),
        ("yesterday", "Europe/Berlin", None),
        ("2026-11-20 09:14:03", "UTC", datetime(2026, 11, 20, 9, 14, 3, tzinfo=UTC)),
    ],
)
def test_zone_less_timestamps_are_read_in_the_given_zone(
    text: str, zone: str, expected: datetime | None
) -> None:
    assert pl.select(parse_timestamp(pl.lit(text), zone)).item() == expected


@pytest.mark.parametrize("zone", ["Mars/Olympus", "CEST", "", "Europe/../etc/passwd"])
def test_an_unknown_zone_is_a_one_line_error(zone: str) -> None:
    with pytest.raises(
        QAError, match=r"^\[Q008\] Unknown time zone .* for --tz: give an IANA name"
    ) as caught:
        check_time_zone(zone)
    assert "\n" not in str(caught.value)
    assert check_time_zone("Europe/Berlin") == "Europe/Berlin"


def test_read_inputs_reads_ts_and_created_at_in_the_given_zone(tmp_path) -> None:
    source = tmp_path / "t.jsonl"
    source.write_text(
        '{"ticket_id": "T-1", "created_at": "2026-11-20T09:00:00", "turns": ['
        '{"speaker": "customer", "text": "Hi", "ts": "2026-11-20T09:00:00"},'
        '{"speaker": "agent", "text": "Hello", "ts": "2026-11-20T08:05:00Z"}]}\n',
        encoding="utf-8",
    )
    batch = next(iter(read_inputs([source], time_zone="Europe/Berlin")))
    assert batch.tickets["created_at"].to_list() == [datetime(2026, 11, 20, 8, 0, tzinfo=UTC)]
    assert batch.turns["ts"].to_list() == [
        datetime(2026, 11, 20, 8, 0, tzinfo=UTC),
        datetime(2026, 11, 20, 8, 5, tzinfo=UTC),
    ]
    # no zone given: UTC, as before, and the agent's 08:05Z reply then comes before the customer's 09:00
    default = next(iter(read_inputs([source])))
    assert default.tickets.height == 0 and [r.reason for r in default.quarantine] == ["timestamp_backwards"]
    with pytest.raises(QAError, match="Q008"):
        next(iter(read_inputs([source], time_zone="Nowhere/Land")))


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
