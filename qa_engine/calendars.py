"""Business hours per market: response-time SLAs count only the seconds a market's support desk is open.

A market (the ticket's `metadata.market`) that the pack gives business hours (`business_hours` in targets.yaml) has
a time zone, opening days and hours, and the public holidays of its country from the `holidays` library (a
well-kept calendar of national and regional holidays). A customer who writes to a German shop on Friday evening
is not waiting through the weekend: the SLA clock stops at closing and starts again on Monday morning. A market
without business hours (or a ticket without a market) counts the wall clock, as the contract's defaults do.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import polars as pl

WEEKDAYS: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DEFAULT_CHANNELS: tuple[str, ...] = ("email", "other")
MAX_DAYS = 400  # a wait longer than this is counted day by day no further (it has long missed every SLA)


@lru_cache(maxsize=64)
def holiday_dates(country: str, subdivision: str | None, year: int) -> frozenset[date]:
    """The public holidays of a country (and subdivision) in a year; NotImplementedError for an unknown country."""
    import holidays  # a large package: loaded when a market with holidays is first measured

    return frozenset(holidays.country_holidays(country, subdiv=subdivision, years=year))


@dataclass(frozen=True)
class MarketHours:
    """When a market's support desk is open: local `open`-`close` on `days`, except its country's public holidays."""

    timezone: str
    days: tuple[int, ...] = (0, 1, 2, 3, 4)  # Monday = 0
    open: time = time(9, 0)
    close: time = time(18, 0)
    holidays: str | None = None  # ISO 3166 country code for the holidays library; None: no holidays
    subdivision: str | None = None  # a state or prefecture with its own holidays (e.g. BY for Bavaria)
    # the channels whose SLA pauses when the desk is closed: e-mail by default; chat and social are answered
    # live or watched around the clock (a QA lead calls a 2-hour Instagram wait late, evening or not)
    channels: tuple[str, ...] = DEFAULT_CHANNELS
    zone: ZoneInfo = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "zone", ZoneInfo(self.timezone))

    def is_holiday(self, day: date) -> bool:
        return self.holidays is not None and day in holiday_dates(self.holidays, self.subdivision, day.year)

    def open_seconds(self, start: datetime, end: datetime) -> float:
        """Seconds between two instants (timezone-aware; naive ones are UTC) that fall in business hours; 0 when
        `end` is not after `start`."""
        start, end = _aware(start), _aware(end)
        if end <= start:
            return 0.0
        local_start, local_end = start.astimezone(self.zone), end.astimezone(self.zone)
        total = 0.0
        day = local_start.date()
        for _ in range(MAX_DAYS):
            if day > local_end.date():
                break
            if day.weekday() in self.days and not self.is_holiday(day):
                opens = datetime.combine(day, self.open, self.zone)
                closes = datetime.combine(day, self.close, self.zone)
                overlap = (min(closes, end) - max(opens, start)).total_seconds()
                total += max(overlap, 0.0)
            day += timedelta(days=1)
        return total


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def counts_business_hours(market: str | None, channel: str | None, calendars: dict[str, MarketHours]) -> bool:
    """Whether a ticket's SLA wait is counted in its market's business hours."""
    hours = calendars.get(market) if market else None
    return hours is not None and channel in hours.channels


def waited_seconds(
    start: datetime,
    end: datetime,
    market: str | None,
    calendars: dict[str, MarketHours],
    channel: str | None = None,
) -> float:
    """How long a customer waited for an SLA: business seconds in the market's hours when they apply to the
    channel (`channel` None: they do), else the wall clock."""
    hours = calendars.get(market) if market else None
    if hours is not None and channel is not None and channel not in hours.channels:
        hours = None
    if hours is None or _aware(end) < _aware(start):  # clocks that disagree stay negative: not measurable
        return (_aware(end) - _aware(start)).total_seconds()
    return hours.open_seconds(start, end)


MARKET_KEY = "market"  # in the ticket's metadata


def ticket_markets(tickets: pl.DataFrame) -> pl.Series:
    """Each ticket's `metadata.market`, upper-cased (null when absent): the `market` column when the frame has
    one, else read from the metadata JSON."""
    if "market" in tickets.columns:
        return tickets["market"].cast(pl.String).str.to_uppercase()
    if "metadata" not in tickets.columns:
        return pl.Series("market", [None] * tickets.height, dtype=pl.String)
    markets = []
    for text in tickets["metadata"].to_list():
        try:
            value = json.loads(text).get(MARKET_KEY) if text else None
        except (ValueError, AttributeError):
            value = None
        markets.append(value.strip().upper() if isinstance(value, str) and value.strip() else None)
    return pl.Series("market", markets, dtype=pl.String)
