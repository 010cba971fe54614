"""The report period: defaults, buckets counted back from the last day, and a reversed period refused."""

from __future__ import annotations

import itertools
from datetime import date, timedelta

import pytest

from qa_engine.errors import QAError
from qa_engine.reports.period import DEFAULT_DAYS, Period, resolve_period


def test_defaults_end_at_the_latest_ticket_and_span_four_weeks() -> None:
    period = resolve_period(None, None, date(2026, 11, 27))
    assert period.end == date(2026, 11, 27)
    assert period.days == DEFAULT_DAYS
    assert period.start == date(2026, 10, 31)


def test_given_bounds_win_and_a_start_after_the_latest_ticket_is_kept() -> None:
    assert resolve_period(date(2026, 11, 1), date(2026, 11, 3), date(2026, 11, 27)) == Period(
        date(2026, 11, 1), date(2026, 11, 3)
    )
    later = resolve_period(date(2026, 12, 5), None, date(2026, 11, 27))
    assert later.start == later.end == date(2026, 12, 5)  # an empty period, not an error


def test_a_reversed_period_is_a_coded_error() -> None:
    with pytest.raises(QAError, match=r"\[Q808\].*2026-11-05 is after --to 2026-11-01"):
        Period(date(2026, 11, 5), date(2026, 11, 1))


@pytest.mark.parametrize(
    ("days", "step", "buckets"), [(1, 1, 1), (14, 1, 14), (15, 7, 3), (28, 7, 4), (30, 7, 5)]
)
def test_buckets_cover_the_period_and_end_on_its_last_day(days: int, step: int, buckets: int) -> None:
    end = date(2026, 11, 27)
    period = Period(end - timedelta(days=days - 1), end)
    starts = period.bucket_starts()
    assert period.bucket_days == step
    assert len(starts) == buckets
    assert starts[-1] + timedelta(days=step - 1) == end  # the last bucket ends on the period's last day
    assert starts[0] <= period.start < starts[0] + timedelta(days=step)
    assert all(b - a == timedelta(days=step) for a, b in itertools.pairwise(starts))


def test_weeks_for_week_over_week_are_the_last_seven_days_and_the_seven_before() -> None:
    period = Period(date(2026, 10, 31), date(2026, 11, 27))
    assert period.this_week_start == date(2026, 11, 21)
    assert period.last_week_start == date(2026, 11, 14)
