"""Business hours per market (qa_engine.calendars): SLA waits count the seconds a market's desk is open, in its time
zone, skipping weekends and its country's public holidays (the `holidays` library)."""

from __future__ import annotations

from datetime import UTC, datetime, time

import pytest

from qa_engine.calendars import MarketHours, counts_business_hours, waited_seconds

DE = MarketHours("Europe/Berlin", open=time(8), close=time(20), holidays="DE")
JP = MarketHours("Asia/Tokyo", holidays="JP")


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


@pytest.mark.parametrize(
    ("hours", "start", "end", "seconds"),
    [
        (DE, utc(2026, 12, 1, 9, 0), utc(2026, 12, 1, 9, 30), 1800),  # Tuesday 10:00-10:30 Berlin: open
        (
            DE,
            utc(2026, 12, 4, 18, 30),
            utc(2026, 12, 7, 7, 30),
            3600,
        ),  # Fri 19:30 -> Mon 08:30 Berlin: 30 + 30 min
        (DE, utc(2026, 12, 5, 10, 0), utc(2026, 12, 6, 10, 0), 0),  # a whole weekend
        # 24 Dec 17:00 Berlin -> 28 Dec 10:00: 3 h on the 24th, Christmas and the weekend closed, 2 h on Monday
        (DE, utc(2026, 12, 24, 16, 0), utc(2026, 12, 28, 9, 0), 5 * 3600),
        (
            DE,
            utc(2026, 10, 3, 8, 0),
            utc(2026, 10, 3, 12, 0),
            0,
        ),  # Tag der Deutschen Einheit (a Saturday anyway)
        (
            DE,
            utc(2026, 10, 2, 17, 0),
            utc(2026, 10, 5, 7, 0),
            2 * 3600,
        ),  # Fri 19:00 -> Mon 09:00 (CEST, UTC+2)
        # Tokyo: Mon 3 Nov 2026 is Culture Day (文化の日); 2 Nov 17:00 JST -> 4 Nov 10:00 JST: 1 h + 1 h
        (JP, utc(2026, 11, 2, 8, 0), utc(2026, 11, 4, 1, 0), 2 * 3600),
        (DE, utc(2026, 12, 1, 10, 0), utc(2026, 12, 1, 9, 0), 0),  # end before start
    ],
)
def test_open_seconds(hours: MarketHours, start: datetime, end: datetime, seconds: float) -> None:
    assert hours.open_seconds(start, end) == seconds


def test_only_listed_markets_and_channels_count_business_hours() -> None:
    calendars = {"DE": DE}
    friday_evening, monday = utc(2026, 12, 4, 18, 30), utc(2026, 12, 7, 7, 30)
    assert waited_seconds(friday_evening, monday, "DE", calendars, "email") == 3600
    assert (
        waited_seconds(friday_evening, monday, "DE", calendars, "chat") == 61 * 3600
    )  # chat keeps the clock
    assert waited_seconds(friday_evening, monday, "FR", calendars, "email") == 61 * 3600
    assert waited_seconds(friday_evening, monday, None, calendars, "email") == 61 * 3600
    assert counts_business_hours("DE", "email", calendars) and not counts_business_hours(
        "DE", "social", calendars
    )
    assert (
        waited_seconds(monday, friday_evening, "DE", calendars, "email") < 0
    )  # clocks that disagree stay so
