"""Per-ticket facts the KPIs are computed from: when a ticket started, how fast it was answered, how the customer felt.

Every KPI of CONTRACT.md section 5 is an aggregate over one column of this frame, so the definitions stay one line
each (`definitions.py`) and the edge cases live here, once: a fact is null when the ticket gives nothing to measure
(a missing time stamp, no customer turn, a phone ticket for the SLA, no customer id for FCR).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, timedelta

import duckdb
import polars as pl

from qa_engine.calendars import MarketHours, counts_business_hours, ticket_markets, waited_seconds
from qa_engine.kpi.targets import DEFAULT_ACTIVE_CAP
from qa_engine.store import Store

FCR_WINDOW = timedelta(days=7)
BALANCE_POSITIVE = 1  # emotional balance: +1 per positive customer turn (CONTRACT section 5)
BALANCE_NEGATIVE = -3  # and -3 per negative one
NO_SLA_CHANNELS = frozenset({"phone"})  # phone tickets never count towards sla_attainment

# Ticket columns that another stage adds (contact reasons, escalation): read when the store has them, else null.
OPTIONAL_TICKET_COLUMNS: dict[str, pl.DataType] = {
    "contact_reason": pl.String(),
    "escalation_risk": pl.Float64(),
    "escalated": pl.Boolean(),
    "language_covered": pl.Boolean(),
}
_SQL_TYPES = {pl.Float64(): "DOUBLE", pl.String(): "VARCHAR", pl.Boolean(): "BOOLEAN"}

# A ticket starts at created_at, else at its first turn's ts (the earliest ts when the first turn has none).
# arg_min_null keeps a null ts of the first turn (plain arg_min would skip to the next turn that has one).
# A ticket with no time stamp at all has no start (no first-contact resolution is judged for it), but it is placed
# in a period by the time qa-engine first received it (`received_at`), so real transcripts without time stamps
# still count in the period they arrived in.
STARTS_SQL = """
SELECT t.ticket_id, t.agent_id, t.customer_id,
       coalesce(t.created_at, spans.first_ts, spans.earliest_ts) AS started_at,
       coalesce(t.created_at, spans.first_ts, spans.earliest_ts, t.received_at, t.scored_at) AS placed_at
FROM tickets t
LEFT JOIN (
    SELECT ticket_id, arg_min_null(ts, turn_index) AS first_ts, min(ts) AS earliest_ts FROM turns GROUP BY ticket_id
) spans USING (ticket_id)
"""


def _utc(frame: pl.DataFrame, *columns: str) -> pl.DataFrame:
    """DuckDB hands TIMESTAMPTZ over in the session's time zone; periods and days are UTC."""
    return frame.with_columns(pl.col(c).cast(pl.Datetime("us", "UTC")) for c in columns)


def ticket_starts(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """Every stored ticket's `ticket_id, agent_id, customer_id, started_at` (UTC; null when nothing dates it) and
    `placed_at` (the start, else when the ticket was received: the day it counts in)."""
    return _utc(con.sql(STARTS_SQL).pl(), "started_at", "placed_at")


def in_period(started_at: pl.Expr, start: date | None, end: date | None) -> pl.Expr:
    """Starts on or after `start` and on or before `end` (whole UTC days); without bounds, every ticket counts.
    With a bound, a null time is outside."""
    day = started_at.dt.date()
    keep = pl.lit(True)
    if start is not None:
        keep = keep & (day >= start)
    if end is not None:
        keep = keep & (day <= end)
    return keep.fill_null(False) if (start or end) else keep


def first_contact_resolved(starts: pl.DataFrame) -> pl.DataFrame:
    """`ticket_id, fcr`: true when the same customer started no other ticket later than this one's start and at
    most 7 days after it; null without a customer id or a start. Looks at every stored ticket, so a repeat contact
    after the period still counts."""
    dated = starts.filter(pl.col("customer_id").is_not_null() & pl.col("started_at").is_not_null())
    # the customer's next strictly later start: distinct starts, so a ticket started at the same instant is no repeat
    next_start = (
        dated.select("customer_id", "started_at")
        .unique()
        .sort("customer_id", "started_at")
        .with_columns(next_start=pl.col("started_at").shift(-1).over("customer_id"))
    )
    return dated.join(next_start, on=["customer_id", "started_at"], how="left").select(
        "ticket_id",
        fcr=pl.col("next_start").is_null() | ((pl.col("next_start") - pl.col("started_at")) > FCR_WINDOW),
    )


def _seconds(later: pl.Expr, earlier: pl.Expr) -> pl.Expr:
    return (later - earlier).dt.total_microseconds().cast(pl.Float64) / 1_000_000


def turn_facts(turns: pl.DataFrame) -> pl.DataFrame:
    """One row per ticket from its turns (`ticket_id, turn_index, speaker, ts, sentiment`): time stamps of the
    moments the KPIs measure, and the customer's mood at the start, at the end and on balance."""
    is_customer = pl.col("speaker") == "customer"
    is_agent = pl.col("speaker") == "agent"
    sentiment = pl.col("sentiment")
    return (
        turns.sort("ticket_id", "turn_index")
        .with_columns(customer_seen=is_customer.cast(pl.Int32).cum_sum().over("ticket_id") > 0)
        .group_by("ticket_id")
        .agg(
            all_ts=pl.col("ts").is_not_null().all(),
            first_ts=pl.col("ts").first(),
            last_ts=pl.col("ts").last(),
            has_customer_turn=is_customer.any(),
            first_customer_ts=pl.col("ts").filter(is_customer).first(),
            # the first agent turn after the first customer turn (a bot's turn is no response)
            answered=(is_agent & pl.col("customer_seen")).any(),
            first_response_ts=pl.col("ts").filter(is_agent & pl.col("customer_seen")).first(),
            first_customer_sentiment=sentiment.filter(is_customer).first(),
            last_customer_sentiment=sentiment.filter(is_customer).last(),
            customer_turns_scored=(is_customer & sentiment.is_not_null()).sum(),
            positive_turns=(is_customer & (sentiment == "positive")).sum(),
            negative_turns=(is_customer & (sentiment == "negative")).sum(),
        )
    )


def agent_times(
    tickets: pl.DataFrame, turns: pl.DataFrame, active_cap: Mapping[str, float | None]
) -> pl.DataFrame:
    """`ticket_id, agent_time_s`: the seconds an agent worked on the ticket, not the wall clock (a two-day e-mail
    thread is minutes of work). Each agent turn counts the seconds since the turn before it (the reading and
    typing it took), capped at the channel's `active_cap` (None: uncapped, as a phone call is all agent time).
    A first turn has no turn before it (0 s); clocks that run backwards count 0. Null unless every turn has a ts."""
    caps = {channel: float(cap) for channel, cap in active_cap.items() if cap is not None}
    gap = _seconds(pl.col("ts"), pl.col("ts").shift(1).over("ticket_id")).fill_null(0.0).clip(lower_bound=0.0)
    cap = pl.col("channel").replace_strict(caps, default=None, return_dtype=pl.Float64)
    worked = pl.when(cap.is_not_null() & (gap > cap)).then(cap).otherwise(gap)
    return (
        turns.join(tickets.select("ticket_id", "channel"), on="ticket_id", how="left")
        .sort("ticket_id", "turn_index")
        .with_columns(worked=worked)
        .group_by("ticket_id")
        .agg(
            agent_time_s=pl.when(pl.col("ts").is_not_null().all()).then(
                pl.col("worked").filter(pl.col("speaker") == "agent").sum()
            )
        )
    )


def business_waits(facts: pl.DataFrame, calendars: Mapping[str, MarketHours]) -> pl.Series:
    """Per ticket, the first response's wait counted in its market's business hours (`qa_engine.calendars`), or
    null for a ticket whose market has none (its wall-clock wait counts)."""
    markets = ticket_markets(facts)
    rows = zip(markets, facts["channel"], facts["first_customer_ts"], facts["first_response_ts"], strict=True)
    hours = dict(calendars)
    return pl.Series(
        [
            waited_seconds(start, end, market, hours, channel)
            if counts_business_hours(market, channel, hours) and start is not None and end is not None
            else None
            for market, channel, start, end in rows
        ],
        dtype=pl.Float64,
    )


def ticket_facts(
    tickets: pl.DataFrame,
    turns: pl.DataFrame,
    fcr: pl.DataFrame,
    sla_seconds: Mapping[str, float],
    active_cap: Mapping[str, float | None] | None = None,
    business_hours: Mapping[str, MarketHours] | None = None,
) -> pl.DataFrame:
    """The per-ticket measures every KPI aggregates; null where the ticket gives nothing to measure.
    `active_cap` defaults to the contract's (`targets.DEFAULT_ACTIVE_CAP`)."""
    by_turns = turn_facts(turns).join(
        agent_times(tickets, turns, DEFAULT_ACTIVE_CAP if active_cap is None else active_cap),
        on="ticket_id",
        how="left",
    )
    all_ts = pl.col("all_ts").fill_null(False)
    first_response_s = _seconds(pl.col("first_response_ts"), pl.col("first_customer_ts"))
    sla = pl.col("channel").replace_strict(
        {c: float(s) for c, s in sla_seconds.items() if c not in NO_SLA_CHANNELS},
        default=None,
        return_dtype=pl.Float64,
    )
    sla_measurable = all_ts & pl.col("has_customer_turn") & sla.is_not_null()
    first_negative = pl.col("first_customer_sentiment") == "negative"
    joined = tickets.join(by_turns, on="ticket_id", how="left").join(fcr, on="ticket_id", how="left")
    if (
        business_hours
    ):  # the SLA counts the seconds the market's desk was open (first_response_s stays the clock)
        waited = pl.coalesce(pl.col("_business_wait"), first_response_s)
        joined = joined.with_columns(_business_wait=business_waits(joined, business_hours))
    else:
        waited = first_response_s
    return joined.with_columns(
        first_response_s=pl.when(all_ts & pl.col("answered")).then(first_response_s),
        # unanswered counts as missed (as the first_response_sla rule has it); no customer turn: nothing to measure
        sla_met=pl.when(sla_measurable).then(pl.col("answered") & (waited <= sla).fill_null(False)),
        handle_time_s=pl.when(all_ts).then(_seconds(pl.col("last_ts"), pl.col("first_ts"))),
        recovered=pl.when(first_negative & pl.col("last_customer_sentiment").is_not_null()).then(
            pl.col("last_customer_sentiment") != "negative"
        ),
        emotional_balance=pl.when(pl.col("customer_turns_scored") > 0).then(
            (pl.col("positive_turns") * BALANCE_POSITIVE + pl.col("negative_turns") * BALANCE_NEGATIVE).cast(
                pl.Float64
            )
        ),
    ).drop("_business_wait", strict=False)


def _ticket_columns(con: duckdb.DuckDBPyConnection) -> str:
    present = set(con.table("tickets").columns)
    optional = [
        name if name in present else f"NULL::{_SQL_TYPES[dtype]} AS {name}"
        for name, dtype in OPTIONAL_TICKET_COLUMNS.items()
    ]
    return ", ".join(
        ["ticket_id", "agent_id", "team", "channel", "language", "customer_id", "csat", "metadata", *optional]
    )


def load_facts(
    store: Store,
    sla_seconds: Mapping[str, float],
    start: date | None = None,
    end: date | None = None,
    ticket_ids: Sequence[str] | None = None,
    active_cap: Mapping[str, float | None] | None = None,
    business_hours: Mapping[str, MarketHours] | None = None,
) -> tuple[pl.DataFrame, int]:
    """(facts of the stored tickets placed in the period, or of these ticket ids; how many stored tickets have no
    time stamp at all). Only the period's turns are read. The facts' `started_at` is where a ticket is placed:
    its start, else when it was received (STARTS_SQL)."""
    with store.connect(read_only=True) as con:
        starts = ticket_starts(con)
        undated = starts["started_at"].null_count()
        chosen = starts.filter(in_period(pl.col("placed_at"), start, end))
        if ticket_ids is not None:
            chosen = chosen.filter(pl.col("ticket_id").is_in(list(ticket_ids)))
        con.register("wanted", chosen.select("ticket_id").to_arrow())
        tickets = con.sql(f"SELECT {_ticket_columns(con)} FROM tickets JOIN wanted USING (ticket_id)").pl()
        turns = _utc(
            con.sql(
                "SELECT ticket_id, turn_index, speaker, ts, sentiment FROM turns JOIN wanted USING (ticket_id)"
            ).pl(),
            "ts",
        )
        con.unregister("wanted")
    tickets = tickets.cast(
        {
            "csat": pl.Int64,
            "escalation_risk": pl.Float64,
            "contact_reason": pl.String,
            "escalated": pl.Boolean,
            "language_covered": pl.Boolean,
        }
    ).join(chosen.select("ticket_id", started_at="placed_at"), on="ticket_id", how="left")
    facts = ticket_facts(
        tickets, turns, first_contact_resolved(starts), sla_seconds, active_cap, business_hours
    )
    return facts, undated
