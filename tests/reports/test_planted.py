"""The KPI, key-issue and coaching parts of the reports, rendered from a store with planted results (planted.py).

Expected numbers come from how the tickets were planted, or from `qa_engine.kpi`'s own API (`kpi_table`,
`coaching_effect`) over the same store: a report must show what `qa kpi` prints and what the coaching loop
measured, and the tests recount the planted tickets by their own means.
"""

from __future__ import annotations

import statistics
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
import yaml

from qa_engine import paths
from qa_engine.kpi import add_session, coaching_effect, kpi_table
from qa_engine.reports import render_agent_report, render_team_report

from .planted import AGENTS, CARD, FOCUS, PERIOD, PLANTED, SESSION_DAY, build_store
from .support import metrics, one

START, END = PERIOD
SHARES = ("sla_attainment", "fcr", "csat_satisfied", "service_recovery", "escalation_rate")


def red_threshold() -> float:
    """The red tier's escalation threshold, read from the default pack's tier policy by the test itself."""
    policy = yaml.safe_load((paths.rules_dir() / "tiers.yaml").read_text(encoding="utf-8"))["tier_policy"]
    return min(c["min_risk"] for c in policy["red"] if c["when"] == "escalation_risk_at_least")


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = build_store(tmp_path_factory.mktemp("planted") / "qa.duckdb")
    add_session(
        db, "a-good", SESSION_DAY, [FOCUS], note="Role-play the closing with her own tickets", practice=True
    )
    add_session(db, "a-flat", SESSION_DAY, [FOCUS], note="Talked it through")
    add_session(db, "a-few", SESSION_DAY, [FOCUS])
    return db


@pytest.fixture(scope="module")
def reports(store: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, list[str]]]:
    out = tmp_path_factory.mktemp("planted-reports")
    files = {
        "a-good": render_agent_report(store, "a-good", out, START, END),
        "a-few": render_agent_report(store, "a-few", out, START, END),
        "T1": render_team_report(store, "T1", out, START, END),
        "all": render_team_report(store, None, out, START, END),
    }
    return {name: metrics(f.html.read_text(encoding="utf-8")) for name, f in files.items()} | {
        "html:a-good": files["a-good"].html.read_text(encoding="utf-8"),
        "pdf": {name: f.pdf for name, f in files.items()},
    }


def _rows(store: Path, by: str) -> dict[str, dict]:
    table = kpi_table(store, by, START, END)
    return {row[table.column]: row for row in table.rows()}


def test_agent_kpis_are_qa_kpis_figures_against_the_team_median(store: Path, reports) -> None:
    agents = _rows(store, "agent")
    shown = reports["a-good"]
    for kpi, value in agents["a-good"].items():
        if kpi in ("agent_id", "tickets"):
            continue
        assert one(shown, f"kpi.{kpi}") == pytest.approx(value), kpi
        team = [agents[a][kpi] for a, (t, *_) in AGENTS.items() if t == "T1" and agents[a][kpi] is not None]
        expected = statistics.median(team) if team else None
        assert one(shown, f"kpi_median.{kpi}") == pytest.approx(expected), kpi
    # the planted facts behind two of them: every ticket started negative and ended positive; chat answers in 60 s
    assert one(shown, "kpi.service_recovery") == 1.0
    mine = [t for t in PLANTED if t.agent_id == "a-good"]
    assert one(shown, "kpi.escalation_rate") == pytest.approx(sum(t.risk >= 0.5 for t in mine) / len(mine))


def test_the_emotional_account_adds_up_the_customer_turns(reports) -> None:
    mine = [t for t in PLANTED if t.agent_id == "a-good"]
    shown = reports["a-good"]
    # each planted ticket: one negative, one neutral and one positive customer turn
    assert (one(shown, "account.positive"), one(shown, "account.negative")) == (len(mine), len(mine))
    assert one(shown, "account.total") == pytest.approx(len(mine) * (1 - 3))
    assert one(shown, "account.mean") == pytest.approx(-2.0)


def test_agent_report_shows_the_agent_per_contact_reason(reports) -> None:
    mine = [t for t in PLANTED if t.agent_id == "a-good"]
    shown = reports["a-good"]
    by_reason = Counter(t.reason for t in mine)
    assert set(shown["reason_row"]) == set(by_reason)
    for reason, n in by_reason.items():
        scores = [t.qa_score for t in mine if t.reason == reason]
        assert one(shown, f"reason.{reason}.tickets") == n
        assert one(shown, f"reason.{reason}.score_mean") == pytest.approx(sum(scores) / len(scores))
        high = sum(t.risk >= red_threshold() for t in mine if t.reason == reason)
        assert one(shown, f"reason.{reason}.high_risk") == high


def test_coaching_that_helped_shows_improved_with_its_before_and_after(store: Path, reports) -> None:
    _, per_side, before, after = AGENTS["a-good"]
    shown = reports["a-good"]
    assert shown["session"] == [SESSION_DAY.isoformat()]
    assert one(shown, f"effect.{FOCUS}.before_pass_rate") == pytest.approx((per_side - before) / per_side)
    assert one(shown, f"effect.{FOCUS}.after_pass_rate") == pytest.approx((per_side - after) / per_side)
    assert shown[f"effect.{FOCUS}.verdict"] == ["improved"]
    (effect,) = coaching_effect(store, "a-good")
    assert (effect.before_tickets, effect.after_tickets) == (per_side, per_side)
    assert f"({effect.before_judged} tickets)" in reports["html:a-good"]


def test_an_agent_with_few_tickets_gets_too_few_tickets_and_no_practice_set(reports) -> None:
    shown = reports["a-few"]
    assert shown[f"effect.{FOCUS}.verdict"] == ["too few tickets"]
    assert "scenario" not in shown  # the session assigned no practice


def test_practice_scenarios_are_the_agents_own_failing_excerpts_masked(reports) -> None:
    shown = reports["a-good"]
    failing = sorted((t for t in PLANTED if t.agent_id == "a-good" and t.focus_failed),
                     key=lambda t: (t.day, t.ticket_id), reverse=True)  # fmt: skip
    assert shown["scenario_rule"] == [FOCUS]
    assert len(shown["scenario"]) == 3 and set(shown["scenario"]) <= {t.ticket_id for t in failing}
    assert shown["scenario"][0] == failing[0].ticket_id  # the most recent first
    html = reports["html:a-good"]
    assert CARD not in html and "[CARD]" in html


def test_team_report_summarises_which_focus_areas_moved(reports) -> None:
    shown = reports["T1"]
    assert shown["focus_row"] == [FOCUS]
    assert one(shown, f"focus.{FOCUS}.sessions") == 2  # a-good and a-flat; a-few is in T2
    assert one(shown, f"focus.{FOCUS}.improved") == 1
    assert one(shown, f"focus.{FOCUS}.declined") == 0
    assert one(shown, f"focus.{FOCUS}.too_few") == 0
    everyone = reports["all"]
    assert one(everyone, f"focus.{FOCUS}.sessions") == 3 and one(everyone, f"focus.{FOCUS}.too_few") == 1


def test_team_kpi_panel_matches_qa_kpi_per_team_agent_and_channel(store: Path, reports) -> None:
    teams, agents, channels = _rows(store, "team"), _rows(store, "agent"), _rows(store, "channel")
    shown = reports["T1"]
    for kpi, value in teams["T1"].items():
        if kpi not in ("team", "tickets"):
            assert one(shown, f"kpi.{kpi}") == pytest.approx(value), kpi
    for agent in ("a-good", "a-flat"):
        for kpi in SHARES:
            assert one(shown, f"agent_kpi.{agent}.{kpi}") == pytest.approx(agents[agent][kpi]), (agent, kpi)
    everyone = reports["all"]
    for channel, row in channels.items():
        assert one(everyone, f"kpi_channel.{channel}.sla_attainment") == pytest.approx(row["sla_attainment"])
    assert channels["phone"]["sla_attainment"] is None  # phone has no SLA, and the report says so


def test_team_report_shows_reasons_escalation_rate_and_top_signals(reports) -> None:
    mine = [t for t in PLANTED if t.team == "T1"]
    shown = reports["T1"]
    for reason, n in Counter(t.reason for t in mine).items():
        assert one(shown, f"reason.{reason}.tickets") == n
        assert one(shown, f"reason.{reason}.red") == sum(t.tier == "red" for t in mine if t.reason == reason)
    high = sum(t.risk >= red_threshold() for t in mine)
    assert one(shown, "escalation.rate") == pytest.approx(high / len(mine))
    kpi_share = sum(t.risk >= 0.5 for t in mine) / len(mine)
    assert high / len(mine) != pytest.approx(kpi_share)  # the red threshold, not the KPI's 0.5
    signals = Counter(s for t in mine for s in t.signals)
    assert set(shown["signal_row"]) == set(signals)
    for signal, n in signals.items():
        assert one(shown, f"signal.{signal}.tickets") == n
    for week, (lo, hi) in (("this", (0, 7)), ("last", (7, 14))):  # days back from the period's end
        chosen = [t for t in mine if lo <= (END - t.day).days < hi]
        assert chosen, week  # the planted days reach into both weeks
        expected = sum(t.risk >= red_threshold() for t in chosen) / len(chosen)
        assert one(shown, f"escalation.{week}") == pytest.approx(expected), week


def test_a_store_from_before_key_issues_still_renders_with_unknown_reasons(tmp_path: Path) -> None:
    """A store written before contact reasons existed (no such columns) renders: reasons unknown, no risk."""
    import duckdb

    db = build_store(tmp_path / "old.duckdb")
    con = duckdb.connect(str(db))
    indexes = con.execute("SELECT index_name FROM duckdb_indexes() WHERE table_name = 'tickets'").fetchall()
    for (index,) in indexes:
        con.execute(f"DROP INDEX {index}")  # DuckDB drops no column of an indexed table
    for column in ("contact_reason", "contact_sub_reason", "escalation_risk", "escalation_signals"):
        con.execute(f"ALTER TABLE tickets DROP COLUMN {column}")
    con.close()
    shown = metrics(
        render_team_report(db, "T1", tmp_path / "out", START, END).html.read_text(encoding="utf-8")
    )
    assert shown["reason_row"] == ["unknown"]
    assert one(shown, "reason.unknown.tickets") == sum(t.team == "T1" for t in PLANTED)
    assert one(shown, "escalation.rate") is None  # nothing measured, not 0%


def likely_line() -> float:
    """The default pack's "likely dissatisfied" line: its yellow dissatisfaction threshold, read by the test."""
    policy = yaml.safe_load((paths.rules_dir() / "tiers.yaml").read_text(encoding="utf-8"))["tier_policy"]
    return min(c["min_risk"] for c in policy["yellow"] if c["when"] == "dissatisfaction_risk_at_least")


def _dissatisfied(tickets: list) -> float:
    """Share of tickets with a risk whose risk reaches the line (tickets without a risk count in neither part)."""
    judged = [t for t in tickets if t.dissatisfaction is not None]
    return sum(t.dissatisfaction >= likely_line() for t in judged) / len(judged)


def test_each_agent_s_likely_dissatisfied_share_stands_against_the_team_s(reports) -> None:
    """The coaching report and the team report show each agent's share of likely-dissatisfied customers
    (risk at or above the pack's yellow line) beside the team's; planted risks make the agents differ."""
    t1 = [t for t in PLANTED if t.team == "T1"]
    good = [t for t in PLANTED if t.agent_id == "a-good"]
    flat = [t for t in PLANTED if t.agent_id == "a-flat"]
    assert (
        len({_dissatisfied(good), _dissatisfied(flat), _dissatisfied(t1)}) == 3
    )  # the planting tells them apart
    agent = reports["a-good"]
    assert one(agent, "dissatisfied.share") == pytest.approx(_dissatisfied(good))
    assert one(agent, "dissatisfied.reference") == pytest.approx(_dissatisfied(t1))
    verdict = "worse" if _dissatisfied(good) > _dissatisfied(t1) else "better"
    assert f'data-verdict="{verdict}"' in reports["html:a-good"]
    team = reports["T1"]
    assert one(team, "dissatisfied.share") == pytest.approx(_dissatisfied(t1))
    assert one(team, "agent.a-good.dissatisfied") == pytest.approx(_dissatisfied(good))
    assert one(team, "agent.a-flat.dissatisfied") == pytest.approx(_dissatisfied(flat))
    everyone = reports["all"]
    assert one(everyone, "dissatisfied.share") == pytest.approx(_dissatisfied(PLANTED))
    a_few = [t for t in PLANTED if t.agent_id == "a-few"]
    assert one(everyone, "agent.a-few.dissatisfied") == pytest.approx(_dissatisfied(a_few))


def test_no_risk_anywhere_is_shown_as_unmeasured_not_zero(tmp_path: Path) -> None:
    import duckdb

    db = build_store(tmp_path / "norisk.duckdb")
    with duckdb.connect(str(db)) as con:
        con.execute("UPDATE tickets SET dissatisfaction_risk = NULL")
    shown = metrics(render_agent_report(db, "a-good", tmp_path / "out", START, END).html.read_text("utf-8"))
    assert one(shown, "dissatisfied.share") is None and one(shown, "dissatisfied.reference") is None


def test_tickets_no_agent_owns_count_for_the_team_and_the_period_but_are_no_agent(tmp_path: Path) -> None:
    """A ticket nobody was assigned to (a customer-only chat, a bot conversation) is the team's, not an agent called
    "None"; and the default period, ending on the latest scored ticket, includes it when it is the latest."""
    import duckdb

    from qa_engine.reports.queries import store_facts
    from qa_engine.store import Store

    db = build_store(tmp_path / "agentless.duckdb")
    con = duckdb.connect(str(db))
    (last,) = con.execute("SELECT max(started_at) FROM tickets").fetchone()
    columns = [c for (c,) in con.execute("SELECT column_name FROM information_schema.columns "
                                         "WHERE table_name = 'tickets' ORDER BY ordinal_position").fetchall()]  # fmt: skip
    picked = ", ".join({"ticket_id": "'NOBODY-1'", "agent_id": "NULL", "started_at": "(SELECT max(started_at) FROM tickets) + INTERVAL 2 DAY"}
                       .get(c, c) for c in columns)  # fmt: skip
    con.execute(f"INSERT INTO tickets SELECT {picked} FROM tickets WHERE team = 'T1' LIMIT 1")
    con.close()
    assert store_facts(Store(db)).latest_day == (last + timedelta(days=2)).date()
    html = render_team_report(db, "T1", tmp_path / "out", START, END + timedelta(days=3)).html.read_text(
        encoding="utf-8"
    )
    assert ">None<" not in html
