"""Daily KPI snapshots and the KPIs that crossed their target since the previous one."""

from __future__ import annotations

from pathlib import Path

import pytest

from qa_engine.kpi import (
    KPI_NAMES,
    KpiSettings,
    Target,
    crossed_targets,
    kpi_table,
    nightly_snapshot,
    read_snapshots,
    write_snapshot,
)
from qa_engine.store import Store

from .support import at, ticket, write_store

SLA_TARGET = KpiSettings(targets={"sla_attainment": Target("sla_attainment", "at_least", 0.95)})


def reply(ticket_id: str, day: int, seconds: float, **fields) -> dict:
    return ticket(
        ticket_id, [("customer", 0, "neutral"), ("agent", seconds, "neutral")], created_at=at(day), **fields
    )


@pytest.fixture
def db(tmp_path: Path) -> Path:
    tickets = [
        reply("fast-1", 4, 30, team="T1", channel="chat", agent_id="a-1"),
        reply("fast-2", 4, 60, team="T2", channel="email", agent_id="a-2"),
        reply("slow-1", 11, 600, team="T1", channel="chat", agent_id="a-1"),
        reply("old", 3, 30, team="T1", channel="chat", agent_id="a-1"),  # before day 10's 7-day window
        reply("fast-3", 20, 45, team="T1", channel="chat", agent_id="a-1"),
    ]
    return write_store(tmp_path / "qa.duckdb", tickets)


def test_a_snapshot_holds_every_kpi_per_level_and_group_over_the_window(db: Path) -> None:
    day = at(10).date()
    written = write_snapshot(db, day, SLA_TARGET)
    groups = {"all": [None], "team": ["T1", "T2"], "channel": ["chat", "email"], "agent": ["a-1", "a-2"]}
    assert written == sum(len(keys) for keys in groups.values()) * len(KPI_NAMES)
    for level, keys in groups.items():
        rows = read_snapshots(db, level)
        assert sorted(rows["group_key"].unique().to_list(), key=str) == sorted(keys, key=str)
    # the day's figure over all tickets equals `qa kpi` over the same 7 days (days 4..10: "old" is out)
    overall = read_snapshots(db, "all").filter(kpi="tickets")["value"].to_list()
    (by_channel_sum,) = [
        sum(r["tickets"] for r in kpi_table(db, "channel", at(4).date(), day, SLA_TARGET).rows())
    ]
    assert overall == [by_channel_sum] == [2]


def test_rewriting_a_day_replaces_it(db: Path) -> None:
    write_snapshot(db, at(10).date(), SLA_TARGET)
    first = read_snapshots(db, "team")
    write_snapshot(db, at(10).date(), SLA_TARGET)
    assert read_snapshots(db, "team").drop("value").equals(first.drop("value"))
    assert read_snapshots(db, "team").height == first.height


def test_a_day_without_tickets_still_gets_an_overall_row(db: Path) -> None:
    write_snapshot(db, at(100).date(), SLA_TARGET)
    rows = read_snapshots(db, "all")
    assert rows.filter(kpi="tickets")["value"].to_list() == [0]
    assert rows.filter(kpi="sla_attainment")["value"].to_list() == [None]
    assert read_snapshots(db, "team").height == 0


def test_crossed_targets_since_the_previous_snapshot(db: Path) -> None:
    assert nightly_snapshot(db, at(10).date(), SLA_TARGET) == []  # nothing to compare with yet
    crossings = nightly_snapshot(db, at(11).date(), SLA_TARGET)  # days 5..11: only slow-1
    assert [(c.group_by, c.group_key, c.kpi, c.previous_value, c.value, c.now) for c in crossings] == [
        ("all", None, "sla_attainment", 1.0, 0.0, "missed"),
        ("channel", "chat", "sla_attainment", 1.0, 0.0, "missed"),
        ("team", "T1", "sla_attainment", 1.0, 0.0, "missed"),
    ]  # T2 and email have no ticket on day 11's window: nothing measured, nothing crossed
    assert "now missed" in crossings[0].describe() and "≥ 0.95" in crossings[0].describe()
    assert crossings[0].as_dict()["day"] == at(11).date().isoformat()


def test_crossing_back_reads_as_met_and_a_steady_kpi_does_not_cross(db: Path) -> None:
    write_snapshot(db, at(11).date(), SLA_TARGET)
    write_snapshot(db, at(10).date(), SLA_TARGET)  # written late: "previous" is by day, not by write order
    write_snapshot(db, at(12).date(), SLA_TARGET)
    write_snapshot(db, at(20).date(), SLA_TARGET)
    assert [c.now for c in crossed_targets(db, at(11).date(), SLA_TARGET) if c.group_by == "all"] == [
        "missed"
    ]
    assert crossed_targets(db, at(12).date(), SLA_TARGET) == []  # still missed (slow-1 is in days 6..12)
    back = [(c.group_by, c.previous_day, c.now) for c in crossed_targets(db, at(20).date(), SLA_TARGET)]
    assert ("all", at(12).date(), "met") in back  # days 14..20 hold only fast-3


def test_nightly_snapshot_on_a_store_that_does_not_exist_yet(tmp_path: Path) -> None:
    assert nightly_snapshot(tmp_path / "new.duckdb", at(1).date(), SLA_TARGET) == []
    assert not (tmp_path / "new.duckdb").exists()


def test_snapshots_of_an_old_store_start_empty(tmp_path: Path) -> None:
    db = write_store(tmp_path / "qa.duckdb", [reply("x", 1, 30)])
    with Store(db).connect() as con:
        con.execute("DROP TABLE kpi_snapshots")  # a store from before snapshots existed
    assert read_snapshots(db).height == 0
    write_snapshot(db, at(1).date(), SLA_TARGET)  # creates the table
    assert read_snapshots(db).height == len(KPI_NAMES)


@pytest.mark.slow
def test_the_nightly_flow_task_returns_the_crossings_as_json_ready_dicts(db: Path, tmp_path: Path) -> None:
    from flows.nightly import kpi_snapshot

    targets_pack = tmp_path / "pack"
    targets_pack.mkdir()
    (targets_pack / "targets.yaml").write_text("targets:\n  sla_attainment: {at_least: 0.95}\n")
    assert kpi_snapshot.fn(str(db), at(10).date(), str(targets_pack)) == []
    (crossing,) = [
        c for c in kpi_snapshot.fn(str(db), at(11).date(), str(targets_pack)) if c["group_by"] == "all"
    ]
    assert crossing["kpi"] == "sla_attainment" and crossing["now"] == "missed"
    assert crossing["previous_day"] == at(10).date().isoformat()
