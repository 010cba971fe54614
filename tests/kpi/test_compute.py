"""`kpi_table`: which tickets a period holds, how groups are keyed, and its errors."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from qa_engine.errors import QAError
from qa_engine.kpi import KpiSettings, Target, kpi_table

from .support import at, ticket, write_store

SETTINGS = KpiSettings()


@pytest.fixture
def db(tmp_path: Path) -> Path:
    tickets = [
        ticket("A", created_at=at(0), agent_id="a-1", team="T1", channel="chat", language="en"),
        ticket("B", created_at=at(1), agent_id="a-2", team="T1", channel="email", language="de"),
        # created_at wins over the first turn's ts
        ticket("C", created_at=at(2), clock=at(9), agent_id="a-2", team="T2", channel="chat", language="de"),
        # no created_at: starts at its first turn's ts
        ticket("D", clock=at(3), agent_id="a-3", team=None, channel="phone", language="en"),
        # nothing dates it: in no bounded period
        ticket("E", turns=[("customer", None, None)], agent_id="a-3", team=None, channel="chat"),
    ]
    return write_store(tmp_path / "qa.duckdb", tickets)


def ids_in(db: Path, start: date | None, end: date | None) -> int:
    rows = kpi_table(db, by="channel", start=start, end=end, settings=SETTINGS).rows()
    return sum(row["tickets"] for row in rows)


def test_period_bounds_are_inclusive_days_on_the_ticket_start(db: Path) -> None:
    assert ids_in(db, at(1).date(), at(2).date()) == 2  # B and C
    assert ids_in(db, at(3).date(), at(3).date()) == 1  # D, by its first turn's ts
    assert ids_in(db, at(9).date(), None) == 0  # C's turns are on day 9, but it started on day 2
    assert ids_in(db, None, at(0).date()) == 1


def test_without_a_period_every_ticket_counts_undated_ones_too(db: Path) -> None:
    table = kpi_table(db, by="channel", settings=SETTINGS)
    assert sum(row["tickets"] for row in table.rows()) == 5
    assert table.undated == 1


def test_a_period_with_no_tickets_gives_no_groups(db: Path) -> None:
    assert (
        kpi_table(db, by="agent", start=date(2030, 1, 1), end=date(2030, 1, 31), settings=SETTINGS).rows()
        == []
    )


@pytest.mark.parametrize(
    ("by", "column", "keys"),
    [
        ("agent", "agent_id", ["a-1", "a-2", "a-3"]),
        ("team", "team", ["T1", "T2", None]),  # tickets without a team: their own group, last
        ("channel", "channel", ["chat", "email", "phone"]),
        ("language", "language", ["de", "en"]),
        ("reason", "contact_reason", [None]),  # a store without contact reasons: one group, keyed null
    ],
)
def test_groups_are_keyed_by_their_column(db: Path, by: str, column: str, keys: list) -> None:
    table = kpi_table(db, by=by, settings=SETTINGS)
    assert table.column == column
    assert [row[column] for row in table.rows()] == keys
    assert sum(row["tickets"] for row in table.rows()) == 5


def test_grouping_by_contact_reason_when_the_store_has_them(tmp_path: Path) -> None:
    reasons = ["returns", "logistics", "returns", None]
    db = write_store(
        tmp_path / "qa.duckdb", [ticket(f"T{i}", contact_reason=r) for i, r in enumerate(reasons)]
    )
    rows = kpi_table(db, by="reason", settings=SETTINGS).rows()
    assert [(row["contact_reason"], row["tickets"]) for row in rows] == [
        ("logistics", 1),
        ("returns", 2),
        (None, 1),
    ]


def test_statuses_compare_each_kpi_with_its_target(tmp_path: Path) -> None:
    tickets = [
        ticket("fast", turns=[("customer", 0, None), ("agent", 60, None)], team="T1", csat=5),
        ticket("slow", turns=[("customer", 0, None), ("agent", 600, None)], team="T2", csat=2),
    ]
    db = write_store(tmp_path / "qa.duckdb", tickets)
    settings = KpiSettings(targets={"sla_attainment": Target("sla_attainment", "at_least", 0.95)})
    table = kpi_table(db, by="team", settings=settings)
    assert [s["sla_attainment"] for s in table.statuses()] == ["met", "missed"]
    assert all(s["csat_mean"] is None for s in table.statuses())  # no target for it


def test_unknown_grouping_is_an_error_listing_the_known_ones(db: Path) -> None:
    with pytest.raises(QAError, match=r"\[Q804\].*'nobody'.*agent, team, channel, language, reason"):
        kpi_table(db, by="nobody", settings=SETTINGS)


def test_a_period_that_ends_before_it_starts_is_an_error(db: Path) -> None:
    with pytest.raises(QAError, match=r"\[Q808\].*2026-11-05.*2026-11-01"):
        kpi_table(db, start=date(2026, 11, 5), end=date(2026, 11, 1), settings=SETTINGS)


def test_a_missing_store_is_an_error_naming_it(tmp_path: Path) -> None:
    with pytest.raises(QAError, match=r"\[Q404\].*nothing\.duckdb"):
        kpi_table(tmp_path / "nothing.duckdb", settings=SETTINGS)
