"""The period a report covers, and how it is cut into the buckets its charts show.

Weeks are counted back from the period's last day, not from Mondays: "this week" is always the last seven days of
the period and "last week" the seven before, so the week-over-week figures and the weekly bars line up, whatever
weekday the nightly run falls on.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from qa_engine.errors import QAError

DEFAULT_DAYS = 28  # four weeks: enough tickets for a trend, recent enough to coach on
DAILY_UP_TO_DAYS = 14  # longer periods are shown per week


@dataclass(frozen=True)
class Period:
    """Inclusive calendar days in UTC; tickets belong to the day their conversation started (`started_at`)."""

    start: date
    end: date

    def __post_init__(self) -> None:
        if self.start > self.end:
            raise QAError("Q808", start=self.start.isoformat(), end=self.end.isoformat())

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def bucket_days(self) -> int:
        """1 (daily bars) for short periods, else 7 (weeks ending on the period's last day)."""
        return 1 if self.days <= DAILY_UP_TO_DAYS else 7

    @property
    def bucket_name(self) -> str:
        return "day" if self.bucket_days == 1 else "week"

    def bucket_starts(self) -> list[date]:
        """The first day of every bucket, oldest first; the oldest may start before the period (a partial week)."""
        step = self.bucket_days
        count = -(-self.days // step)
        return [self.end - timedelta(days=step - 1 + step * k) for k in reversed(range(count))]

    @property
    def this_week_start(self) -> date:
        return self.end - timedelta(days=6)

    @property
    def last_week_start(self) -> date:
        return self.end - timedelta(days=13)

    def bounds(self) -> tuple[datetime, datetime]:
        """[start, end) as UTC instants, for filtering `started_at` without casting every row."""
        return (
            datetime.combine(self.start, time(), tzinfo=UTC),
            datetime.combine(self.end + timedelta(days=1), time(), tzinfo=UTC),
        )

    def label(self) -> str:
        return f"{self.start.isoformat()} to {self.end.isoformat()}"


def resolve_period(date_from: date | None, date_to: date | None, latest: date | None) -> Period:
    """The period to report on: given bounds win; the end defaults to the day of the latest scored ticket (today
    when the store is empty, never before a given start) and the start to DEFAULT_DAYS before the end."""
    end = date_to or max(latest or datetime.now(UTC).date(), date_from or date.min)
    start = date_from or end - timedelta(days=DEFAULT_DAYS - 1)
    return Period(start, end)
