"""Render reports from a store: one agent, one team (or all teams), or everything the nightly job needs.

Each entry point checks the id against the whole store first (an unknown id is a one-line error; a known agent
with nothing in the period gets a "no scored tickets" report), resolves the period, loads the period's aggregates
once and renders from them. `render_all` loads the period once for every agent and team.
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from qa_engine.executors import executor
from qa_engine.kpi.targets import KpiSettings
from qa_engine.pack import load_pack
from qa_engine.reports.agent import build_agent_report
from qa_engine.reports.coaching_section import load_coaching
from qa_engine.reports.kpi_section import load_kpis
from qa_engine.reports.period import Period, resolve_period
from qa_engine.reports.queries import NO_TEAM, PeriodData, load_period, store_facts
from qa_engine.reports.render import (
    ALL_TEAMS,
    ReportFiles,
    agent_file_stem,
    render_html,
    team_file_stem,
    write_report,
)
from qa_engine.reports.rulebook import Rulebook, load_rulebook
from qa_engine.reports.team import build_team_report
from qa_engine.store import Store

MAX_WORKERS = 4


@dataclass
class RenderSummary:
    period: Period
    agents: list[ReportFiles] = field(default_factory=list)
    teams: list[ReportFiles] = field(default_factory=list)  # the index (all teams) first
    seconds: float = 0.0
    workers: int = 1

    @property
    def files(self) -> list[ReportFiles]:
        return self.teams + self.agents


def _agent_files(
    data: PeriodData, rulebook: Rulebook, agent_id: str, last_day: date | None, out: Path
) -> ReportFiles:
    report = build_agent_report(data, rulebook, agent_id, last_day)
    return write_report(render_html("agent.html.j2", report), out, agent_file_stem(agent_id))


def _team_files(data: PeriodData, rulebook: Rulebook, team: str | None, out: Path, link: bool) -> ReportFiles:
    report = build_team_report(data, rulebook, team, link_agents=link)
    return write_report(render_html("team.html.j2", report), out, team_file_stem(team))


def _add_kpis_and_coaching(
    data: PeriodData, store: Store, settings: KpiSettings, agent_ids: list[str] | None
) -> None:
    """The period's service KPIs (targets from the pack's targets.yaml) and the coaching sessions of these agents
    (all when None) that touch the period."""
    data.kpis = load_kpis(store, data.period, settings)
    data.coaching = load_coaching(store, data.period, agent_ids)


def render_agent_report(
    db: str | Path,
    agent_id: str,
    out: str | Path,
    date_from: date | None = None,
    date_to: date | None = None,
    rules: str | Path | None = None,
) -> ReportFiles:
    """OUT/<agent>.html and .pdf for one agent; unknown id: QAError Q805."""
    store = Store(db)
    facts = store_facts(store)
    facts.check_agent(agent_id, db)
    period = resolve_period(date_from, date_to, facts.latest_day)
    pack = load_pack(rules)  # read once: the rulebook's words and thresholds, the KPI targets
    rulebook = load_rulebook(pack)
    teams = facts.agent_teams.get(agent_id, [])
    # the agent's teams are the comparison; an agent without a team is compared with everyone
    scope = None if NO_TEAM in teams else teams
    data = _load(store, period, rulebook, scope)
    _add_kpis_and_coaching(data, store, pack.settings, [agent_id])
    return _agent_files(data, rulebook, agent_id, facts.agent_last_day.get(agent_id), Path(out))


def render_team_report(
    db: str | Path,
    team: str | None,
    out: str | Path,
    date_from: date | None = None,
    date_to: date | None = None,
    rules: str | Path | None = None,
) -> ReportFiles:
    """OUT/team-<team>.html and .pdf, or OUT/team-all.* when `team` is None; unknown team: QAError Q502."""
    store = Store(db)
    facts = store_facts(store)
    if team == ALL_TEAMS and team not in facts.teams:
        team = None  # `qa report team all` means every team, unless a team is really called "all"
    if team is not None:
        facts.check_team(team, db)
    period = resolve_period(date_from, date_to, facts.latest_day)
    pack = load_pack(rules)  # read once: the rulebook's words and thresholds, the KPI targets
    rulebook = load_rulebook(pack)
    data = _load(store, period, rulebook, None)  # all teams
    _add_kpis_and_coaching(data, store, pack.settings, None)
    return _team_files(data, rulebook, team, Path(out), link=False)


def _load(store: Store, period: Period, rulebook: Rulebook, teams: Sequence[str] | None) -> PeriodData:
    """The period's data with the pack's SLA, red escalation line and likely-dissatisfied line."""
    return load_period(
        store,
        period,
        rulebook.first_response_sla,
        teams,
        rulebook.escalation_red,
        rulebook.likely_dissatisfied,
    )


PARALLEL_FROM_JOBS = 16  # fewer reports than this render in-process: starting workers costs seconds


@dataclass(frozen=True)
class _Shared:
    """What every report of a `render_all` run needs: sent to each worker process once."""

    data: PeriodData
    rulebook: Rulebook
    last_days: dict[str, date]
    out: Path


def _render_job(shared: _Shared, job: tuple[str, str | None]) -> ReportFiles:
    kind, key = job
    if kind == "agent":
        return _agent_files(shared.data, shared.rulebook, key, shared.last_days.get(key), shared.out)
    return _team_files(shared.data, shared.rulebook, key, shared.out, link=True)


def _import_renderers() -> None:
    """A render worker's warm-up, while the parent is still loading the data: this module (charts, matplotlib) is
    imported to find this function; WeasyPrint loads only when a PDF is written, so import it now."""
    import weasyprint  # noqa: F401


def default_workers() -> int:
    """One worker process per CPU core, at most MAX_WORKERS."""
    return max(1, min(os.cpu_count() or 1, MAX_WORKERS))


def _worker_count(workers: int, jobs: int) -> int:
    """Few reports render in-process whatever was asked: starting workers costs seconds."""
    return 1 if jobs < PARALLEL_FROM_JOBS else max(1, min(workers, jobs))


def render_all(
    db: str | Path,
    out: str | Path,
    date_from: date | None = None,
    date_to: date | None = None,
    rules: str | Path | None = None,
    workers: int = 1,
) -> RenderSummary:
    """Every active agent's report (an agent with a ticket in the period), each team's, and the index of all teams
    (team-all.html, linking to the others).

    The period's data is read once. `workers` > 1 renders in that many processes (they start importing while the
    data loads, see `qa_engine.executors.ProcessPool`; `default_workers()` is one per core). Like any multiprocessing program,
    a script that asks for workers must guard its entry point with `if __name__ == "__main__":`, because each
    worker imports the main module; that is why one process is the default."""
    started = time.perf_counter()
    store = Store(db)
    facts = store_facts(store)
    period = resolve_period(date_from, date_to, facts.latest_day)
    # how many reports, before the data is read: agents whose latest ticket is not before the period, the teams
    expected = 1 + len(facts.teams) + sum(day >= period.start for day in facts.agent_last_day.values())
    count = _worker_count(workers, expected)
    with executor(count, warm_up=_import_renderers) as pool:
        pack = load_pack(rules)
        rulebook = load_rulebook(pack)
        data = _load(store, period, rulebook, None)
        _add_kpis_and_coaching(data, store, pack.settings, None)
        jobs: list[tuple[str, str | None]] = [("team", None)]
        jobs += [("team", team) for team in sorted(data.of_level("team"))]
        jobs += [("agent", agent_id) for agent_id in sorted(data.of_level("agent"))]
        pool.share(_Shared(data, rulebook, facts.agent_last_day, Path(out)))
        files = pool.map(_render_job, jobs, chunksize=2)
    summary = RenderSummary(period, workers=count)
    for (kind, _), result in zip(jobs, files, strict=True):
        (summary.agents if kind == "agent" else summary.teams).append(result)
    summary.seconds = time.perf_counter() - started
    return summary
