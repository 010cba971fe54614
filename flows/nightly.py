"""The nightly job: pull new transcripts from a folder, score them, store and export (Prefect flow).

Reads like a to-do list; every step is a qa_engine function, so `qa score` does the same work without Prefect.
`qa schedule --source DIR --cron "0 2 * * *"` serves it on a schedule against a Prefect server.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

from prefect import flow, task

from qa_engine.kpi import nightly_snapshot, pack_settings
from qa_engine.pipeline import RunSummary, ScoreConfig, ScoringRun
from qa_engine.sources import SOURCES, SourceBatch, read_inputs
from qa_engine.store import Store


@task(name="find-new-transcripts")
def find_new_files(source: str, db: str, since: datetime | None = None) -> list[str]:
    """Transcript files in `source` (recursively) changed after the last successful run (or `since`)."""
    folder = Path(source)
    if not folder.is_dir():
        from qa_engine.errors import QAError

        raise QAError("Q001", path=folder)
    if since is None:
        last = Store(db).last_successful_run()
        since = last["started_at"] if last else None
    cutoff = since.timestamp() if since else float("-inf")
    files = [
        p
        for p in folder.rglob("*")
        if p.is_file() and p.suffix.lower() in SOURCES and p.stat().st_mtime > cutoff
    ]
    return sorted(str(p) for p in files)


@task(name="score-batch")
def score_batch(run: ScoringRun, batch: SourceBatch) -> dict:
    """Language, affect, rules, tier and store for one batch of validated tickets."""
    return run.process(batch).as_dict()


@task(name="kpi-snapshot")
def kpi_snapshot(db: str, day: date | None = None, rules: str | None = None) -> list[dict]:
    """Write the day's KPI snapshot; the KPIs that crossed their target (the rule pack's) since the previous one."""
    crossings = nightly_snapshot(db, day, pack_settings(rules))
    for crossing in crossings:
        print(f"KPI crossed its target: {crossing.describe()}")
    return [crossing.as_dict() for crossing in crossings]


@task(name="render-reports")
def render_reports(db: str, folder: str) -> dict:
    """Every active agent's coaching report, each team's and the team index (team-all.html), HTML and PDF."""
    from qa_engine.reports import default_workers, render_all

    done = render_all(db, folder, workers=default_workers())
    print(f"{len(done.agents)} agent and {len(done.teams)} team reports in {folder} ({done.period.label()})")
    return {
        "folder": folder,
        "agents": len(done.agents),
        "teams": len(done.teams),
        "seconds": round(done.seconds, 1),
    }


@flow(name="nightly-qa", log_prints=True)
def nightly(
    source: str,
    db: str = "qa.duckdb",
    out: str | None = None,
    rules: str | None = None,
    batch_tickets: int = 2000,
    since: datetime | None = None,
    kpi_day: date | None = None,
    reports: str | None = None,
) -> dict:
    """Find new transcripts -> validate and score them batch by batch -> store -> export -> KPI snapshot of
    `kpi_day` (default yesterday, UTC) -> coaching reports into `reports`; returns the run summary with the KPIs
    that crossed their target and the reports written."""
    files = find_new_files(source, db, since)
    if not files:
        print("no new transcripts since the last successful run")
        return RunSummary("").as_dict() | {"files": 0, "kpi_crossed": kpi_snapshot(db, kpi_day, rules)}
    config = ScoreConfig(db=Path(db), out=Path(out) if out else None, rules=Path(rules) if rules else None,
                         batch_tickets=batch_tickets)  # fmt: skip
    with ScoringRun(files, config) as run:
        for batch in read_inputs(files, batch_tickets=batch_tickets):
            score_batch(run, batch)
    summary = run.summary.as_dict() | {"files": len(files)}
    print(
        f"run {summary['run_id']}: {summary['read']} tickets read from {len(files)} files, {summary['scored']} scored, "
        f"{summary['unchanged']} unchanged, {summary['quarantined']} quarantined, tiers {summary['tiers']}"
    )
    summary["kpi_crossed"] = kpi_snapshot(db, kpi_day, rules)
    # coaching reports (default: OUT/reports, else a reports folder beside the store)
    summary["reports"] = render_reports(db, reports or str(Path(out or Path(db).parent) / "reports"))
    return summary


def nightly_deployment(source: str, db: str, out: str | None, cron: str, timezone: str = "UTC"):
    """The scheduled deployment (built offline; serving it needs a Prefect server)."""
    from prefect.schedules import Cron

    return nightly.to_deployment(
        name="nightly-qa",
        schedules=[Cron(cron, timezone=timezone)],
        parameters={"source": source, "db": db, "out": out},
    )


def serve_nightly(source: str, db: str, out: str | None, cron: str, timezone: str = "UTC") -> None:
    """Serve the deployment until interrupted (`prefect server start` and PREFECT_API_URL must be set up)."""
    from prefect import serve

    serve(nightly_deployment(source, db, out, cron, timezone))


if __name__ == "__main__":
    import sys

    nightly(source=sys.argv[1] if len(sys.argv) > 1 else "examples")
