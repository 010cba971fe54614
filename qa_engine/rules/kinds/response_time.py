"""`response_time`: the agent answers within the channel's SLA, computed on columns with polars.

`first_response`: from the first customer turn to the first agent turn after it. `each_reply`: every customer
turn is answered by the next agent turn within the SLA. A customer turn that no agent turn ever follows counts
as never answered (a fail), unless it needs no answer: a short turn that matches `no_reply_needed` ("Thanks,
bye!") and asks nothing. A channel without an SLA (phone by default) is na; so is a ticket whose measured turns
lack timestamps, unless another turn already failed. Exactly at the SLA passes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Literal

import polars as pl
from pydantic import Field, PositiveFloat, PositiveInt, field_validator

from qa_engine.calendars import MarketHours, counts_business_hours, waited_seconds
from qa_engine.kpi.targets import KpiSettings
from qa_engine.rules.conversation import Conversation, Evidence, Outcome, abbreviate
from qa_engine.rules.kinds.base import Batch, RuleKind
from qa_engine.rules.matching import GroupMatcher
from qa_engine.rules.registry import register_kind
from qa_engine.rules.specs import PhraseLists, Speaker, Strict
from qa_engine.schema import CHANNELS

_SEVERITY = {"unanswered": 3, "late": 2, "ok": 1, "unmeasured": 0}  # which measured turn a result shows


class ResponseTimeParams(Strict):
    mode: Literal["first_response", "each_reply"]
    # merged over the pack's `sla_seconds` (targets.yaml: the one place the default pack sets them); a channel set
    # to null has no SLA (its tickets are na). Leave it out to use the pack's, as `qa kpi` does.
    sla_seconds: dict[str, PositiveFloat | None] = Field(default_factory=dict)
    responders: list[Speaker] = Field(default_factory=lambda: ["agent"], min_length=1)
    # a customer turn no responder turn follows: "fail" counts it as never answered, "ignore" leaves it out
    unanswered: Literal["fail", "ignore"] = "fail"
    no_reply_needed: PhraseLists | None = (
        None  # short closing turns that need no answer ("thanks", "ok, bye")
    )
    no_reply_max_chars: PositiveInt = 60  # longer turns always need an answer

    @field_validator("sla_seconds")
    @classmethod
    def _known_channels(cls, value: dict[str, float | None]) -> dict[str, float | None]:
        unknown = sorted(set(value) - set(CHANNELS))
        if unknown:
            raise ValueError(f"unknown channel(s) {unknown}; known: {list(CHANNELS)}")
        return value

    def slas(self, pack: Mapping[str, float]) -> dict[str, float]:
        merged = {**pack, **self.sla_seconds}
        return {channel: float(sla) for channel, sla in merged.items() if sla is not None}


@register_kind("response_time")
class ResponseTimeKind(RuleKind):
    Params = ResponseTimeParams
    params: ResponseTimeParams

    def load(self) -> None:
        lists = self.params.no_reply_needed
        self.no_reply_needed = GroupMatcher(lists, name="no reply needed") if lists is not None else None
        # the contract's until the pack's arrive (use_pack_settings)
        self.pack_slas: Mapping[str, float] = KpiSettings().sla_seconds
        self.calendars: dict[str, MarketHours] = {}

    def use_pack_settings(self, settings: KpiSettings) -> None:
        self.pack_slas = settings.sla_seconds
        self.calendars = dict(settings.business_hours)

    def slas(self) -> dict[str, float]:
        """Seconds per channel this rule judges against: its own `sla_seconds` over the pack's."""
        return self.params.slas(self.pack_slas)

    def evaluate(self, batch: Batch) -> list[Outcome]:
        tickets = pl.DataFrame(
            {
                "ticket_id": [c.ticket_id for c in batch.conversations],
                "channel": [c.channel for c in batch.conversations],
            },
            schema={"ticket_id": pl.String, "channel": pl.String},
        ).with_columns(
            sla=pl.col("channel").replace_strict(self.slas(), default=None, return_dtype=pl.Float64)
        )
        waits = self._waits(batch.turns.filter(pl.col("ticket_id").is_in(tickets["ticket_id"].implode())))
        waits = self._in_business_hours(waits)
        if self.params.unanswered == "ignore":
            waits = waits.filter(pl.col("reply_index").is_not_null())
        else:
            waits = waits.join(
                self._closings(waits, batch.conversations), on=["ticket_id", "turn_index"], how="anti"
            )
        verdicts = self._verdicts(tickets, waits)
        return [self._outcome(row) for row in verdicts.iter_rows(named=True)]

    def _waits(self, turns: pl.DataFrame) -> pl.DataFrame:
        """Each customer turn measured (all, or the first), its next responder turn (or null) and the delay."""
        is_responder = pl.col("speaker").is_in(self.params.responders)
        marked = turns.with_columns(
            reply_index=pl.when(is_responder)
            .then(pl.col("turn_index"))
            .shift(-1)
            .backward_fill()
            .over("ticket_id"),
            first_customer=pl.col("turn_index")
            .filter(pl.col("speaker") == "customer")
            .min()
            .over("ticket_id"),
        )
        customer = marked.filter(pl.col("speaker") == "customer")
        if self.params.mode == "first_response":
            customer = customer.filter(pl.col("turn_index") == pl.col("first_customer"))
        replies = turns.select(
            "ticket_id",
            reply_index=pl.col("turn_index"),
            reply_ts=pl.col("ts"),
            reply_text=pl.col("text").fill_null(""),
        )
        return customer.join(replies, on=["ticket_id", "reply_index"], how="left").select(
            "ticket_id",
            "turn_index",
            pl.col("text").fill_null(""),
            "reply_index",
            "reply_text",
            "ts",
            "reply_ts",
            pl.col("market") if "market" in customer.columns else pl.lit(None, pl.String).alias("market"),
            "channel",
            delay=(pl.col("reply_ts") - pl.col("ts")).dt.total_microseconds() / 1e6,
        )

    def _in_business_hours(self, waits: pl.DataFrame) -> pl.DataFrame:
        """Delays of tickets in a market with business hours count only the seconds its desk was open."""
        if not self.calendars or waits.is_empty():
            return waits
        rows = zip(
            waits["ts"], waits["reply_ts"], waits["market"], waits["channel"], waits["delay"], strict=True
        )
        delays = [
            waited_seconds(ts, reply, market, self.calendars, channel)
            if counts_business_hours(market, channel, self.calendars) and ts is not None and reply is not None
            else delay
            for ts, reply, market, channel, delay in rows
        ]
        return waits.with_columns(delay=pl.Series(delays, dtype=pl.Float64))

    def _closings(self, waits: pl.DataFrame, conversations: Sequence[Conversation]) -> pl.DataFrame:
        """(ticket_id, turn_index) of unanswered customer turns that need no answer."""
        found: list[tuple[str, int]] = []
        unanswered = waits.filter(pl.col("reply_index").is_null())
        if self.no_reply_needed is not None and unanswered.height:
            by_id = {c.ticket_id: c for c in conversations}
            for ticket_id, turn_index in unanswered.select("ticket_id", "turn_index").iter_rows():
                conversation = by_id[ticket_id]
                turn = next(t for t in conversation.turns if t.index == turn_index)
                short = len(turn.text) <= self.params.no_reply_max_chars and not any(
                    q in turn.text for q in "?？"
                )
                if short and self.no_reply_needed.find(turn, conversation.language):
                    found.append((ticket_id, turn_index))
        return pl.DataFrame(found, schema={"ticket_id": pl.String, "turn_index": pl.Int64}, orient="row")

    def _verdicts(self, tickets: pl.DataFrame, waits: pl.DataFrame) -> pl.DataFrame:
        """One row per ticket: how many waits failed or could not be measured, and the wait to show."""
        status = (
            pl.when(pl.col("reply_index").is_null())
            .then(pl.lit("unanswered"))
            # a negative delay means the clocks disagree: not measurable, like a missing timestamp
            .when(pl.col("delay").is_null() | (pl.col("delay") < 0))
            .then(pl.lit("unmeasured"))
            .when(pl.col("delay") > pl.col("sla"))
            .then(pl.lit("late"))
            .otherwise(pl.lit("ok"))
        )
        waits = (
            waits.join(tickets.select("ticket_id", "sla"), on="ticket_id", how="left")
            .with_columns(status=status)
            .with_columns(severity=pl.col("status").replace_strict(_SEVERITY, return_dtype=pl.Int8))
        )
        summary = (
            waits.sort("severity", "delay", descending=True, nulls_last=True)
            .group_by("ticket_id", maintain_order=True)
            .agg(
                pl.exclude("ticket_id", "sla").first().name.prefix("worst_"),
                waits=pl.len(),
                failed=pl.col("status").is_in(["late", "unanswered"]).sum(),
                unmeasured=(pl.col("status") == "unmeasured").sum(),
                unmeasured_turn=pl.col("turn_index").filter(pl.col("status") == "unmeasured").first(),
            )
        )
        return tickets.join(summary, on="ticket_id", how="left", maintain_order="left")

    def _outcome(self, row: dict) -> Outcome:
        ticket, channel, sla = row["ticket_id"], row["channel"], row["sla"]
        what = "first response" if self.params.mode == "first_response" else "reply"
        if sla is None:
            return Outcome(ticket, "na", f"no response-time SLA for channel '{channel}'")
        if not row["waits"]:
            return Outcome(ticket, "na", "no customer turn waiting for an answer")
        turn, status, delay = row["worst_turn_index"], row["worst_status"], row["worst_delay"]
        if status == "unanswered":
            text = row["worst_text"]
            note = f"customer turn {turn} was never answered (SLA {sla:g} s on {channel})"
            return Outcome(ticket, "fail", note, Evidence(turn, 0, len(text), abbreviate(text), note))
        evidence = None
        if status != "unmeasured":
            market = row.get("worst_market")
            hours = market if counts_business_hours(market, channel, self.calendars) else None
            counted = f" in {hours} business hours" if hours else ""
            note = f"{what} {delay:g} s{counted} after customer turn {turn} (SLA {sla:g} s on {channel})"
            reply = row["worst_reply_text"]
            evidence = Evidence(row["worst_reply_index"], 0, len(reply), abbreviate(reply), note)
        if row["failed"]:
            return Outcome(ticket, "fail", f"{what} slower than the {sla:g} s SLA: {delay:g} s", evidence)
        if row["unmeasured"]:
            detail = f"customer turn {row['unmeasured_turn']} or its reply has no usable timestamp"
            return Outcome(ticket, "na", detail, evidence)
        return Outcome(ticket, "pass", f"{what} within the {sla:g} s SLA (slowest {delay:g} s)", evidence)
