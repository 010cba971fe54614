"""The report numbers against the store: each aggregate recomputed here, by other means, over the scored examples."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date
from pathlib import Path

import polars as pl
import pytest

from qa_engine.reports.period import Period, resolve_period
from qa_engine.reports.queries import load_period, store_facts
from qa_engine.reports.rulebook import DEFAULT_SLA_SECONDS
from qa_engine.store import Store

from .support import sql

pytestmark = pytest.mark.slow  # the session store is scored with the real models


@pytest.fixture(scope="module")
def loaded(scored_store: Path):
    store = Store(scored_store)
    period = resolve_period(None, None, store_facts(store).latest_day)
    return load_period(store, period, DEFAULT_SLA_SECONDS)


def _in_period(period: Period) -> tuple[str, list]:
    start, end = period.bounds()
    return "started_at >= ? AND started_at < ?", [start, end]


def test_store_facts_know_owners_writers_teams_and_the_last_day(scored_store: Path) -> None:
    facts = store_facts(Store(scored_store))
    owners = {a for (a,) in sql(scored_store, "SELECT DISTINCT agent_id FROM tickets")}
    writers = {
        a for (a,) in sql(scored_store, "SELECT DISTINCT agent_id FROM turns WHERE agent_id IS NOT NULL")
    }
    assert facts.agents == owners | writers
    assert facts.teams == {t for (t,) in sql(scored_store, "SELECT DISTINCT team FROM tickets")}
    ((last,),) = sql(scored_store, "SELECT max(started_at) FROM tickets")
    assert facts.latest_day == last.astimezone(UTC).date()


def test_the_default_period_holds_every_example(scored_store: Path, loaded) -> None:
    where, params = _in_period(loaded.period)
    ((n,),) = sql(scored_store, f"SELECT count(*) FROM tickets WHERE {where}", params)
    ((total,),) = sql(scored_store, "SELECT count(*) FROM tickets")
    assert loaded.tickets.height == n == total


def test_summaries_per_agent_team_and_all_match_the_tickets_table(scored_store: Path, loaded) -> None:
    for level, column in (("agent", "agent_id"), ("team", "team"), ("all", "'all'")):
        rows = sql(
            scored_store,
            f"SELECT {column}, count(*), count(*) FILTER (WHERE tier = 'red'), count(*) FILTER (WHERE tier = 'yellow'), "
            f"count(*) FILTER (WHERE tier = 'green'), avg(qa_score), avg(emotional_balance) FROM tickets GROUP BY 1",
        )
        assert len(rows) == loaded.summary.filter(pl.col("level") == level).height
        for key, n, red, yellow, green, mean, balance in rows:
            got = loaded.summary_of(level, key)
            assert (got["tickets"], got["red"], got["yellow"], got["green"]) == (n, red, yellow, green)
            assert got["score_mean"] == pytest.approx(mean)
            assert got["balance_mean"] == pytest.approx(balance)


def test_rule_counts_per_agent_match_the_rule_results(scored_store: Path, loaded) -> None:
    rows = sql(
        scored_store,
        "SELECT t.agent_id, r.rule_id, r.outcome, count(*) FROM rule_results r JOIN tickets t USING (ticket_id) "
        "GROUP BY ALL",
    )
    expected: dict[tuple[str, str], dict[str, int]] = defaultdict(lambda: {"pass": 0, "fail": 0, "na": 0})
    for agent, rule, outcome, n in rows:
        expected[(agent, rule)][outcome] = n
    got = loaded.rules.filter(pl.col("level") == "agent")
    assert got.height == len(expected)
    for row in got.iter_rows(named=True):
        want = expected[(row["key"], row["rule_id"])]
        assert (row["passes"], row["fails"], row["nas"]) == (want["pass"], want["fail"], want["na"])


def _turns(db: Path) -> dict[str, list[tuple]]:
    by_ticket: dict[str, list[tuple]] = defaultdict(list)
    for ticket, index, speaker, ts, sentiment in sql(
        db, "SELECT ticket_id, turn_index, speaker, ts, sentiment FROM turns ORDER BY ticket_id, turn_index"
    ):
        by_ticket[ticket].append((index, speaker, ts, sentiment))
    return by_ticket


def test_first_response_follows_the_contract(scored_store: Path, loaded) -> None:
    """From the first customer turn to the first agent turn after it, only when every turn has a timestamp."""
    expected = {}
    for ticket, turns in _turns(scored_store).items():
        customer = next((t for t in turns if t[1] == "customer"), None)
        reply = next((t for t in turns if customer and t[0] > customer[0] and t[1] == "agent"), None)
        timed = all(t[2] is not None for t in turns)
        expected[ticket] = (reply[2] - customer[2]).total_seconds() if timed and reply and customer else None
    got = dict(zip(loaded.tickets["ticket_id"], loaded.tickets["first_response_s"], strict=True))
    assert got == pytest.approx(expected)
    assert any(v is None for v in got.values()) and any(v for v in got.values())  # both cases occur


def test_service_recovery_and_turned_positive_per_team(scored_store: Path, loaded) -> None:
    teams = dict(sql(scored_store, "SELECT ticket_id, team FROM tickets"))
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for ticket, turns in _turns(scored_store).items():
        moods = [t[3] for t in turns if t[1] == "customer"]
        if moods and moods[0] == "negative":
            counts[teams[ticket]][0] += 1
            counts[teams[ticket]][1] += moods[-1] != "negative"
            counts[teams[ticket]][2] += moods[-1] == "positive"
    for team in loaded.of_level("team"):
        got = loaded.summary_of("team", team)
        assert [got["negative_start"], got["recovered"], got["turned_positive"]] == counts[team]


def test_sla_attainment_per_channel(scored_store: Path, loaded) -> None:
    measured = loaded.tickets.filter(pl.col("first_response_s").is_not_null())
    for row in loaded.of("channels", "all", "all").iter_rows(named=True):
        values = measured.filter(pl.col("channel") == row["channel"])["first_response_s"].to_list()
        sla = DEFAULT_SLA_SECONDS.get(row["channel"])
        assert row["measured"] == len(values)
        assert row["met"] == (sum(v <= sla for v in values) if sla else 0)


def test_a_short_period_keeps_only_its_tickets_and_buckets_by_day(scored_store: Path) -> None:
    period = Period(date(2026, 11, 9), date(2026, 11, 15))
    data = load_period(Store(scored_store), period, DEFAULT_SLA_SECONDS)
    where, params = _in_period(period)
    expected = {t for (t,) in sql(scored_store, f"SELECT ticket_id FROM tickets WHERE {where}", params)}
    assert set(data.tickets["ticket_id"]) == expected and 0 < len(expected) < 66
    days = dict(
        sql(
            scored_store,
            f"SELECT ticket_id, CAST(timezone('UTC', started_at) AS DATE) FROM tickets WHERE {where}",
            params,
        )
    )
    assert dict(zip(data.tickets["ticket_id"], data.tickets["bucket"], strict=True)) == days


def test_a_team_scope_loads_only_that_team(scored_store: Path) -> None:
    store = Store(scored_store)
    data = load_period(
        store, resolve_period(None, None, store_facts(store).latest_day), DEFAULT_SLA_SECONDS, ["EU-2"]
    )
    assert set(data.tickets["team"]) == {"EU-2"}
    ((n,),) = sql(scored_store, "SELECT count(*) FROM tickets WHERE team = 'EU-2'")
    assert data.tickets.height == n


def test_examples_are_the_most_failed_rules_and_point_at_the_failing_ticket(
    scored_store: Path, loaded
) -> None:
    fails = dict(
        ((a, r), n)
        for a, r, n in sql(
            scored_store,
            "SELECT t.agent_id, r.rule_id, count(*) FROM rule_results r JOIN tickets t USING (ticket_id) "
            "WHERE outcome = 'fail' GROUP BY ALL",
        )
    )
    failed = set(sql(scored_store, "SELECT ticket_id, rule_id FROM rule_results WHERE outcome = 'fail'"))
    for agent in loaded.of_level("agent"):
        shown = loaded.examples.filter(pl.col("agent_id") == agent)
        mine = sorted((n for (a, _), n in fails.items() if a == agent), reverse=True)
        rules = shown["rule_id"].unique().to_list()
        assert sorted((fails[(agent, r)] for r in rules), reverse=True) == mine[:3]  # a top three by fails
        assert all((t, r) in failed for t, r in zip(shown["ticket_id"], shown["rule_id"], strict=True))
        for rule in rules:  # two excerpts, or every failure when there are fewer
            assert shown.filter(pl.col("rule_id") == rule).height == min(2, fails[(agent, rule)])
