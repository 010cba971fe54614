"""`qa kpi` and `qa coaching ...` through the real entry point (`qa_engine.cli.main`), in process."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from qa_engine.kpi import KPI_NAMES, list_sessions

from .support import at, ticket, write_store


@pytest.fixture
def db(tmp_path: Path) -> str:
    tickets = [
        ticket("A", created_at=at(0), agent_id="a-1", team="T1", csat=5),
        ticket("B", created_at=at(1), agent_id="a-1", team="T1", csat=2),
        ticket("C", created_at=at(1), agent_id="a-2", team="T2", channel="email"),
        ticket("D", turns=[("customer", None, None)], agent_id="a-2", team="T2"),  # undated
    ]
    results = [("A", "greeting_own_name", "pass"), ("B", "greeting_own_name", "fail")]
    return str(write_store(tmp_path / "qa.duckdb", tickets, results))


def one_line(err: str) -> str:
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert "Traceback" not in err
    return lines[0]


def test_kpi_json_is_one_array_of_objects_keyed_by_the_group(qa, db: str) -> None:
    code, out, _ = qa("kpi", "--by", "agent", "--json", "--db", db)
    assert code == 0
    rows = json.loads(out)
    assert [list(row) for row in rows] == [["agent_id", *KPI_NAMES]] * 2
    assert [(row["agent_id"], row["tickets"]) for row in rows] == [("a-1", 2), ("a-2", 2)]
    assert rows[0]["csat_mean"] == (5 + 2) / 2 and rows[0]["csat_satisfied"] == 0.5
    assert rows[0]["sla_attainment"] == 1.0  # both answered after 60 s on chat


def test_kpi_groups_by_team_by_default(qa, db: str) -> None:
    code, out, _ = qa("kpi", "--json", "--db", db)
    assert code == 0 and [row["team"] for row in json.loads(out)] == ["T1", "T2"]


def test_kpi_period_with_no_tickets_prints_an_empty_array(qa, db: str) -> None:
    code, out, err = qa("kpi", "--from", "2030-01-01", "--to", "2030-01-31", "--json", "--db", db)
    assert code == 0 and json.loads(out) == []
    assert "1 stored tickets have no time stamp" in err  # the undated ticket is said, not dropped silently


def test_kpi_period_bounds(qa, db: str) -> None:
    day = at(1).date().isoformat()
    code, out, _ = qa("kpi", "--by", "channel", "--from", day, "--to", day, "--json", "--db", db)
    assert code == 0
    assert [(row["channel"], row["tickets"]) for row in json.loads(out)] == [("chat", 1), ("email", 1)]


def test_kpi_table_shows_targets(qa, db: str) -> None:
    code, out, _ = qa("kpi", "--by", "team", "--db", db)
    assert code == 0
    assert "T1" in out and "T2" in out and "SLA attainment" in out and "≥ 95%" in out
    assert "targets.yaml" in out


def test_kpi_table_with_custom_targets(qa, db: str, tmp_path: Path) -> None:
    targets = tmp_path / "targets.yaml"
    targets.write_text("targets:\n  csat_mean: {at_least: 4.5}\n")
    code, out, _ = qa("kpi", "--db", db, "--targets", str(targets))
    assert code == 0 and "≥ 4.50" in out and "≥ 95%" not in out


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["kpi", "--by", "nobody"], "Q804"),
        (["kpi", "--from", "yesterday"], "Q405"),
        (["kpi", "--from", "2026-11-05", "--to", "2026-11-01"], "Q808"),
        (["coaching", "add", "a-9", "--date", "2026-11-20", "--focus", "greeting_own_name"], "Q805"),
        (["coaching", "add", "a-1", "--date", "2026-11-20", "--focus", "greeting_own_nam"], "Q806"),
        (["coaching", "add", "a-1", "--date", "20.11.2026", "--focus", "greeting_own_name"], "Q405"),
        (["coaching", "effect", "a-9"], "Q805"),
    ],
)
def test_user_errors_are_one_line(qa, db: str, args: list[str], expected: str) -> None:
    code, _, err = qa(*args, "--db", db)
    assert code != 0
    assert expected in one_line(err)


def test_a_bad_targets_file_is_one_line_with_file_and_line(qa, db: str, tmp_path: Path) -> None:
    targets = tmp_path / "targets.yaml"
    targets.write_text("targets:\n  fcr: {at_least: 0.75}\n  nps: {at_least: 30}\n")
    code, _, err = qa("kpi", "--db", db, "--targets", str(targets))
    line = one_line(err)
    assert code != 0 and "Q801" in line and f"{targets}:3" in line and "sla_attainment" in line


def test_a_missing_store_is_one_line(qa, tmp_path: Path) -> None:
    code, _, err = qa("kpi", "--db", str(tmp_path / "none.duckdb"))
    assert code != 0 and "none.duckdb" in one_line(err)


def test_coaching_add_records_the_session(qa, db: str) -> None:
    code, out, _ = qa(
        "coaching", "add", "a-1", "--date", "2026-11-20", "--focus", "greeting_own_name,closing_thanks",
        "--note", "own name first", "--db", db,
    )  # fmt: skip
    assert code == 0 and "a-1" in out
    (session,) = list_sessions(db, "a-1")
    assert session.focus_rules == ("greeting_own_name", "closing_thanks")
    assert session.note == "own name first" and str(session.session_date) == "2026-11-20"
    code, out, _ = qa("coaching", "effect", "a-1", "--json", "--db", db)
    effects = json.loads(out)
    assert code == 0 and [e["rule_id"] for e in effects] == ["greeting_own_name", "closing_thanks"]
    assert all(e["verdict"] == "too few tickets" for e in effects)
