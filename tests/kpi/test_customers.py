"""A customer's running emotional balance across tickets, and the churn-risk flag."""

from __future__ import annotations

from pathlib import Path

import pytest

from qa_engine.errors import QAError
from qa_engine.kpi import KpiSettings, customer_balance

from .support import at, ticket, write_store

SETTINGS = KpiSettings(churn_risk_below=-6)


def mood(*sentiments: str | None) -> list[tuple[str, float, str | None]]:
    """Customer turns with these sentiments, each answered by a (negative-sounding, uncounted) agent turn."""
    turns = []
    for i, sentiment in enumerate(sentiments):
        turns += [("customer", 100 * i, sentiment), ("agent", 100 * i + 30, "negative")]
    return turns


def test_running_balance_follows_the_order_tickets_started(tmp_path: Path) -> None:
    tickets = [
        ticket("late", mood("negative", "negative"), created_at=at(5), customer_id="c-1"),
        ticket("early", mood("positive", "negative"), created_at=at(1), customer_id="c-1"),
        ticket("middle", mood("neutral"), created_at=at(3), customer_id="c-1"),
        ticket("someone-else", mood("negative"), created_at=at(2), customer_id="c-2"),
    ]
    db = write_store(tmp_path / "qa.duckdb", tickets)
    result = customer_balance(db, "c-1", SETTINGS)
    assert [(t.ticket_id, t.balance, t.running_balance) for t in result.tickets] == [
        ("early", 1 - 3, -2),
        ("middle", 0, -2),
        ("late", -6, -8),
    ]
    assert result.balance == -8 and result.churn_risk and result.threshold == -6


def test_a_balance_at_the_threshold_is_not_yet_a_churn_risk(tmp_path: Path) -> None:
    db = write_store(tmp_path / "qa.duckdb", [ticket("one", mood("negative", "negative"), customer_id="c-1")])
    result = customer_balance(db, "c-1", SETTINGS)
    assert (result.balance, result.churn_risk) == (-6, False)
    assert customer_balance(db, "c-1", KpiSettings(churn_risk_below=-5)).churn_risk


def test_a_customer_with_one_happy_ticket(tmp_path: Path) -> None:
    db = write_store(tmp_path / "qa.duckdb", [ticket("one", mood("positive"), customer_id="c-1")])
    result = customer_balance(db, "c-1", SETTINGS)
    assert [t.ticket_id for t in result.tickets] == ["one"]
    assert (result.balance, result.churn_risk) == (1, False)


def test_a_ticket_without_scored_customer_turns_adds_nothing(tmp_path: Path) -> None:
    tickets = [
        ticket("scored", mood("negative"), created_at=at(1), customer_id="c-1"),
        ticket("unscored", mood(None), created_at=at(2), customer_id="c-1"),
    ]
    result = customer_balance(write_store(tmp_path / "qa.duckdb", tickets), "c-1", SETTINGS)
    assert [(t.balance, t.running_balance) for t in result.tickets] == [(-3, -3), (None, -3)]


def test_an_unknown_customer_is_an_error(tmp_path: Path) -> None:
    db = write_store(tmp_path / "qa.duckdb", [ticket("one", customer_id="c-1")])
    with pytest.raises(QAError, match=r"\[Q807\].*'c-404'"):
        customer_balance(db, "c-404", SETTINGS)
