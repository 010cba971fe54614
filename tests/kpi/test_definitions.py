"""Each KPI of CONTRACT.md section 5, pinned on small hand-made stores, edge cases included."""

from __future__ import annotations

from pathlib import Path
from statistics import median
from typing import Any

import pytest

from qa_engine.kpi import KPI_NAMES, KpiSettings, kpi_table

from .support import at, ticket, write_store

SETTINGS = KpiSettings()  # the contract's default SLAs, no targets, no cost


def one_group(tmp_path: Path, tickets: list[dict], settings: KpiSettings = SETTINGS, **kwargs: Any) -> dict:
    """The KPIs of the only team in a store holding these tickets."""
    db = write_store(tmp_path / "qa.duckdb", tickets)
    (row,) = kpi_table(db, by="team", settings=settings, **kwargs).rows()
    return row


def reply_after(seconds: float | None, channel: str = "chat", **fields: Any) -> dict:
    return {
        "turns": [("customer", 0, "neutral"), ("agent", seconds, "neutral")],
        "channel": channel,
        **fields,
    }


def make(specs: list[dict]) -> list[dict]:
    return [ticket(f"T-{i}", **spec) for i, spec in enumerate(specs)]


def test_first_response_median_of_an_even_count_is_the_mean_of_the_two_middle_values(tmp_path: Path) -> None:
    responses = [30, 600, 60, 90]
    row = one_group(tmp_path, make([reply_after(s) for s in responses]))
    assert row["first_response_median_s"] == (60 + 90) / 2 == median(responses)


def test_first_response_counts_only_tickets_whose_turns_all_carry_ts(tmp_path: Path) -> None:
    specs = [
        reply_after(30),
        reply_after(90),
        # fast, but one turn has no ts: not measured, even though its own response could be computed
        {"turns": [("customer", 0, None), ("agent", 10, None), ("customer", None, None)]},
    ]
    row = one_group(tmp_path, make(specs))
    assert row["first_response_median_s"] == 60.0
    assert row["handle_time_median_s"] == 60.0  # (30 + 90) / 2: the same tickets


def test_first_response_is_the_first_agent_turn_after_the_first_customer_turn(tmp_path: Path) -> None:
    specs = [
        # an agent's proactive message first, then the customer: measured from the customer's turn
        {"turns": [("agent", 0, None), ("customer", 100, None), ("agent", 160, None)]},
        # a bot's auto-reply is no response
        {"turns": [("customer", 0, None), ("bot", 5, None), ("agent", 200, None)]},
        # the second customer turn does not restart the clock
        {"turns": [("customer", 0, None), ("customer", 50, None), ("agent", 80, None)]},
    ]
    row = one_group(tmp_path, make(specs))
    assert row["first_response_median_s"] == 80.0  # median of 60, 200, 80


def test_all_time_figures_are_null_when_no_ticket_carries_time_stamps(tmp_path: Path) -> None:
    row = one_group(tmp_path, make([reply_after(None), {"turns": [("customer", None, None)]}]))
    assert row["tickets"] == 2
    for kpi in ("first_response_median_s", "sla_attainment", "handle_time_median_s", "cost_per_contact"):
        assert row[kpi] is None, kpi


@pytest.mark.parametrize(
    ("channel", "seconds", "met"),
    [
        ("chat", 120, True),  # exactly at the SLA is within it
        ("chat", 121, False),
        ("social", 3600, True),
        ("social", 3601, False),
        ("email", 86400, True),
        ("email", 86401, False),
        ("other", 86400, True),
    ],
)
def test_sla_per_channel(tmp_path: Path, channel: str, seconds: int, met: bool) -> None:
    row = one_group(tmp_path, make([reply_after(seconds, channel)]))
    assert row["sla_attainment"] == (1.0 if met else 0.0)


def test_phone_tickets_are_excluded_from_sla_but_not_from_response_times(tmp_path: Path) -> None:
    specs = [
        reply_after(60, "chat"),
        reply_after(300, "chat"),
        reply_after(5, "phone"),
        reply_after(10, "phone"),
    ]
    row = one_group(tmp_path, make(specs))
    assert row["sla_attainment"] == 1 / 2  # the two chats: one within 120 s
    assert row["first_response_median_s"] == (10 + 60) / 2  # phone answers count here


def test_only_phone_tickets_give_no_sla(tmp_path: Path) -> None:
    row = one_group(tmp_path, make([reply_after(5, "phone")]))
    assert row["sla_attainment"] is None and row["first_response_median_s"] == 5.0


def test_an_unanswered_customer_misses_the_sla_and_a_ticket_without_customer_turn_is_not_measured(
    tmp_path: Path,
) -> None:
    specs = [
        reply_after(60),
        {"turns": [("customer", 0, None), ("bot", 10, None)]},  # never answered by an agent
        {"turns": [("agent", 0, None), ("agent", 30, None)]},  # outbound, no customer turn
    ]
    row = one_group(tmp_path, make(specs))
    assert row["sla_attainment"] == 1 / 2
    assert row["first_response_median_s"] == 60.0  # only the answered ticket has a first response


def test_sla_seconds_come_from_the_settings(tmp_path: Path) -> None:
    row = one_group(tmp_path, make([reply_after(200)]), KpiSettings(sla_seconds={"chat": 300}))
    assert row["sla_attainment"] == 1.0


def test_fcr_window_is_later_than_the_start_and_at_most_seven_days(tmp_path: Path) -> None:
    specs = [
        # c-1: a repeat exactly 7 days later makes the first ticket not resolved at first contact ...
        {"created_at": at(0), "customer_id": "c-1"},
        {"created_at": at(7), "customer_id": "c-1"},
        # ... and one 7 days and 1 second after the second leaves the second resolved (and is itself resolved)
        {"created_at": at(14, 1), "customer_id": "c-1"},
        # c-2: two tickets started at the same instant: neither is later than the other
        {"created_at": at(1), "customer_id": "c-2"},
        {"created_at": at(1), "customer_id": "c-2"},
        # c-3: a customer with one ticket
        {"created_at": at(2), "customer_id": "c-3"},
        # no customer id: not measured
        {"created_at": at(3)},
    ]
    row = one_group(tmp_path, make(specs))
    assert row["tickets"] == 7
    assert row["fcr"] == 5 / 6


def test_fcr_of_a_customer_with_one_ticket_is_resolved(tmp_path: Path) -> None:
    row = one_group(tmp_path, make([{"customer_id": "c-9"}]))
    assert row["fcr"] == 1.0


def test_fcr_is_null_without_customer_ids(tmp_path: Path) -> None:
    row = one_group(tmp_path, make([{}, {}]))
    assert row["fcr"] is None


def test_fcr_sees_repeat_contacts_after_the_period_and_in_other_groups(tmp_path: Path) -> None:
    specs = [
        {"created_at": at(0), "customer_id": "c-1", "team": "T1"},
        {"created_at": at(3), "customer_id": "c-1", "team": "T2"},  # after the period, another team
    ]
    db = write_store(tmp_path / "qa.duckdb", make(specs))
    (row,) = kpi_table(db, by="team", start=at(0).date(), end=at(0).date(), settings=SETTINGS).rows()
    assert (row["team"], row["fcr"]) == ("T1", 0.0)


def test_fcr_uses_the_first_turn_ts_when_created_at_is_missing(tmp_path: Path) -> None:
    specs = [
        {"clock": at(0), "customer_id": "c-1"},  # starts at its first turn's ts
        {"clock": at(6), "customer_id": "c-1"},
    ]
    row = one_group(tmp_path, make(specs))
    assert row["fcr"] == 1 / 2


def test_csat_mean_and_satisfied_share_with_four_counted_satisfied(tmp_path: Path) -> None:
    scores = [5, 4, 3, None, 1]
    row = one_group(tmp_path, make([{"csat": s} for s in scores]))
    given = [s for s in scores if s is not None]
    assert row["csat_mean"] == sum(given) / len(given)
    assert row["csat_satisfied"] == 2 / 4  # 5 and 4 of the four rated tickets


def test_no_csat_at_all_gives_null(tmp_path: Path) -> None:
    row = one_group(tmp_path, make([{}, {}]))
    assert row["csat_mean"] is None and row["csat_satisfied"] is None


def test_handle_time_median_runs_from_the_first_turn_to_the_last(tmp_path: Path) -> None:
    specs = [
        {
            "turns": [
                ("customer", 0, None),
                ("agent", 30, None),
                ("customer", 100, None),
                ("agent", 400, None),
            ]
        },
        {"turns": [("agent", 0, None), ("customer", 50, None)]},
        {"turns": [("customer", 0, None)]},  # one turn: 0 s
        {"turns": [("customer", 0, None), ("agent", 1000, None)]},
    ]
    row = one_group(tmp_path, make(specs))
    assert row["handle_time_median_s"] == (50 + 400) / 2


def test_service_recovery_among_tickets_that_start_negative(tmp_path: Path) -> None:
    specs = [
        {
            "turns": [("customer", 0, "negative"), ("agent", 10, None), ("customer", 20, "positive")]
        },  # recovered
        {
            "turns": [("customer", 0, "negative"), ("agent", 10, None), ("customer", 20, "neutral")]
        },  # recovered
        {"turns": [("customer", 0, "negative"), ("agent", 10, None), ("customer", 20, "negative")]},  # not
        {
            "turns": [("customer", 0, "negative"), ("agent", 10, None)]
        },  # its only customer turn is negative: not
        {
            "turns": [("customer", 0, "neutral"), ("customer", 20, "negative")]
        },  # did not start negative: not counted
    ]
    row = one_group(tmp_path, make(specs))
    assert row["service_recovery"] == 2 / 4


def test_service_recovery_is_null_when_no_ticket_starts_negative(tmp_path: Path) -> None:
    row = one_group(tmp_path, make([{"turns": [("customer", 0, "positive")]}]))
    assert row["service_recovery"] is None


def test_escalation_rate_counts_risk_at_or_above_one_half(tmp_path: Path) -> None:
    risks = [0.5, 0.49, 0.9, None]
    row = one_group(tmp_path, make([{"escalation_risk": r} for r in risks]))
    assert row["escalation_rate"] == 2 / 3  # of the three tickets that carry a risk


def test_escalation_rate_is_null_in_a_store_without_escalation_risk(tmp_path: Path) -> None:
    row = one_group(tmp_path, make([{}]))
    assert row["escalation_rate"] is None


def test_emotional_balance_is_plus_one_per_positive_and_minus_three_per_negative_customer_turn(
    tmp_path: Path,
) -> None:
    specs = [
        {
            "turns": [
                ("customer", 0, "positive"),
                ("agent", 5, "negative"),
                ("customer", 9, "positive"),
                ("customer", 12, "negative"),
            ]
        },
        {"turns": [("customer", 0, "negative"), ("agent", 5, "positive")]},
        {"turns": [("customer", 0, "neutral")]},
    ]
    row = one_group(tmp_path, make(specs))
    assert row["emotional_balance_mean"] == ((2 - 3) + (-3) + 0) / 3  # agent turns do not count


def test_cost_per_contact_is_mean_agent_time_times_the_hourly_cost(tmp_path: Path) -> None:
    tickets = make([reply_after(60), reply_after(180), reply_after(None)])
    row = one_group(tmp_path, tickets, KpiSettings(agent_hour_cost=30.0))
    assert row["cost_per_contact"] == pytest.approx((60 + 180) / 2 * 30.0 / 3600)


DAY = 86_400


def test_a_two_day_email_thread_costs_its_agent_time_not_the_wall_clock(tmp_path: Path) -> None:
    # customer writes, the agent answers next morning, the customer replies a day later, the agent answers in 10 min
    thread = {
        "channel": "email",
        "turns": [("customer", 0, "neutral"), ("agent", DAY / 2, "neutral"), ("customer", 1.5 * DAY, "neutral"),
                  ("agent", 1.5 * DAY + 600, "neutral")],
    }  # fmt: skip
    row = one_group(tmp_path, make([thread]), KpiSettings(agent_hour_cost=36.0))
    assert row["handle_time_median_s"] == 1.5 * DAY + 600  # the wall clock
    assert (
        row["agent_time_median_s"] == 900 + 600
    )  # the first answer capped at e-mail's 900 s, the second 600 s
    assert row["cost_per_contact"] == pytest.approx(1500 * 36.0 / 3600)  # 15.00, not 1,806.00


@pytest.mark.parametrize(
    ("channel", "gap", "counted"),
    [("chat", 200, 200), ("chat", 400, 300), ("social", 700, 600), ("email", 5000, 900), ("other", 5000, 900),
     ("phone", 5000, 5000)],
)  # fmt: skip
def test_agent_time_caps_each_turn_at_the_channels_active_cap(
    tmp_path: Path, channel: str, gap: float, counted: float
) -> None:
    row = one_group(tmp_path, make([reply_after(gap, channel)]))
    assert row["agent_time_median_s"] == counted


def test_agent_time_sums_agent_turns_only_and_skips_tickets_missing_a_ts(tmp_path: Path) -> None:
    specs = [
        # customer 0, agent +50 (50), agent +20 (20), customer +100 (not agent time), agent +30 (30): 100 s
        {"turns": [("customer", 0, None), ("agent", 50, None), ("agent", 70, None), ("customer", 170, None),
                   ("agent", 200, None)]},
        {"turns": [("agent", 0, None), ("customer", 10, None), ("agent", 40, None)]},  # a first turn counts 0: 30 s
        {"turns": [("customer", 0, None), ("agent", None, None)]},  # not every turn has a ts: not measured
    ]  # fmt: skip
    row = one_group(tmp_path, make(specs))
    assert row["agent_time_median_s"] == (100 + 30) / 2


def test_active_caps_come_from_the_settings(tmp_path: Path) -> None:
    settings = KpiSettings(
        active_cap={"chat": 60.0, "social": 600.0, "email": 900.0, "other": 900.0, "phone": None}
    )
    row = one_group(tmp_path, make([reply_after(100)]), settings)
    assert row["agent_time_median_s"] == 60


def test_escalated_rate_counts_only_tickets_that_carry_escalated(tmp_path: Path) -> None:
    specs = [reply_after(60, escalated=True), reply_after(60, escalated=False), reply_after(60, escalated=False),
             reply_after(60, escalated=True), reply_after(60)]  # fmt: skip
    row = one_group(tmp_path, make(specs))
    assert row["escalated_rate"] == 2 / 4


def test_escalated_rate_is_null_when_no_ticket_carries_escalated(tmp_path: Path) -> None:
    row = one_group(tmp_path, make([reply_after(60), reply_after(30)]))
    assert row["escalated_rate"] is None


def test_cost_per_contact_is_null_without_a_configured_cost(tmp_path: Path) -> None:
    row = one_group(tmp_path, make([reply_after(60)]))
    assert row["cost_per_contact"] is None


def test_every_row_has_the_group_key_and_every_kpi(tmp_path: Path) -> None:
    row = one_group(tmp_path, make([reply_after(60)]))
    assert list(row) == ["team", *KPI_NAMES]


def test_language_coverage_is_the_share_of_tickets_in_a_language_the_rules_cover(tmp_path: Path) -> None:
    specs = [reply_after(60, language_covered=c) for c in (True, True, True, False)] + [reply_after(60)]
    row = one_group(tmp_path, make(specs))
    assert row["language_coverage"] == 3 / 4  # a ticket scored before the figure existed does not count


def test_sla_attainment_counts_business_hours_of_the_market_but_response_times_keep_the_clock(
    tmp_path: Path,
) -> None:
    from datetime import time

    from qa_engine.calendars import MarketHours

    # Friday 4 Dec 2026 19:30 Berlin; the e-mail answer comes Monday 08:30: 61 h on the clock, 1 h of business hours
    friday = at(days=32, seconds=9 * 3600 + 30 * 60)  # BASE is Monday 2 Nov 09:00 UTC
    wait = 61 * 3600
    specs = [
        {
            "channel": "email",
            "metadata": '{"market": "DE"}',
            "turns": [("customer", 0, None), ("agent", wait, None)],
        },
        {
            "channel": "email",
            "metadata": '{"market": "FR"}',
            "turns": [("customer", 0, None), ("agent", wait, None)],
        },
    ]
    tickets = [ticket(f"T-{i}", clock=friday, **spec) for i, spec in enumerate(specs)]
    hours = {"DE": MarketHours("Europe/Berlin", open=time(8), close=time(20), holidays="DE")}
    settings = KpiSettings(sla_seconds={"chat": 120, "social": 3600, "email": 7200, "other": 7200},
                           business_hours=hours)  # fmt: skip
    row = one_group(tmp_path, tickets, settings)
    assert row["sla_attainment"] == 0.5  # DE met (1 business hour), FR missed (61 h)
    assert row["first_response_median_s"] == wait  # the contract's response time is the wall clock
