"""The nightly job: pull new transcripts, score them, store and export (Prefect flow).

Reads like a to-do list; every step is a qa_engine function, so `qa score` and `qa pull` do the same work without
Prefect. `qa schedule --config SOURCES.yaml --cron "0 2 * * *"` pulls every source of the file (helpdesks, SQL,
folders: `qa_engine.pull`); `qa schedule --source DIR` scores the transcript files of one folder. Which files of a
folder are new is decided by a ledger of their contents (path, size, sha256) in the store, never by modification
times: a file copied in with an old time stamp is still scored, the same file delivered twice is not.

Scale-out: with `workers` (a local Dask cluster of that many processes, one thread each) or `dask_address` (an
existing Dask scheduler) the batches are scored as tasks on Dask (prefect-dask). The workers only read the store;
this process stays its only writer: its `Runner` reads and admits each batch (the unchanged check), sends the rest to
a worker (the runner's executor), and stores what comes back in input order. DuckDB lets one process write a file at a time, so writers in
every worker would queue on its lock; and a worker that dies loses a batch that is simply scored again, never a
half-written one.
"""

from __future__ import annotations

import os
import re
from datetime import date, datetime
from pathlib import Path

from prefect import flow, task
from prefect.cache_policies import NO_CACHE

from qa_engine.batch import Batch
from qa_engine.errors import QAError
from qa_engine.kpi import nightly_snapshot, pack_settings
from qa_engine.pipeline import ScoreConfig
from qa_engine.pull import pull_sources
from qa_engine.pull.folder import unseen_files
from qa_engine.pull.state import PullState
from qa_engine.runner import Runner, RunSummary, Scored, score_detached
from qa_engine.sources import SOURCES
from qa_engine.store import Store
from qa_engine.store.location import is_url, store_location

_DASK_ADDRESS = re.compile(r"^(tcp|tls|ws|wss|ucx)://[^\s/:]+:\d{1,5}$")
# the Dask dashboard shows task names, logs and worker addresses: this host only, on a free port
DASHBOARD_ADDRESS = "127.0.0.1:0"


def _ledger_name(source: str) -> str:
    return f"folder:{Path(source).resolve()}"


def _store(db: str) -> Path:
    """The flow's `db` parameter as the store's location: a DuckDB file's path, or a PostgreSQL URL (a `StoreUrl`,
    shown without its password; a Path would collapse its '//')."""
    return store_location(Path(db)) if is_url(db) else Path(db)  # type: ignore[return-value]


def _reports_folder(reports: str | None, out: str | None, db: str) -> str:
    """Where the reports go: `reports`, else OUT/reports, else a reports folder beside a store file (in the working
    directory for a PostgreSQL store, which has no folder)."""
    if reports:
        return reports
    if out:
        return str(Path(out) / "reports")
    return "reports" if is_url(db) else str(Path(db).parent / "reports")


@task(name="find-new-transcripts")
def find_new_files(source: str, db: str, since: datetime | None = None) -> list[str]:
    """Transcript files in `source` (recursively) whose content the store's ledger lacks; with `since`, the files
    changed after that time instead."""
    folder = Path(source)
    if not folder.is_dir():
        raise QAError("Q001", path=folder)
    if since is not None:
        cutoff = since.timestamp()
        files = [p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in SOURCES]
        return sorted(str(p) for p in files if p.stat().st_mtime > cutoff)
    state = _ledger(db)
    new, _ = unseen_files(folder, lambda items: state.known(_ledger_name(source), items))
    return [str(path) for path, _, _ in new]


@task(name="remember-scored-files")
def remember_files(source: str, db: str, files: list[str]) -> None:
    """Add scored files to the folder's ledger (after their tickets are stored, never before)."""
    from qa_engine.pull.folder import file_hash

    items = {f"sha256:{file_hash(f)}": (str(Path(f).stat().st_size), f) for f in files}
    _ledger(db).save_page(
        _ledger_name(source), "folder", {"last_file": files[-1]} if files else None,
        {item: size for item, (size, _) in items.items()}, {item: path for item, (_, path) in items.items()},
    )  # fmt: skip


def _ledger(db: str) -> PullState:
    store = Store(db)
    store.init()
    state = PullState(store)
    state.init()
    return state


@task(name="pull-sources", cache_policy=NO_CACHE)
def pull_all(config: str, db: str, out: str | None, rules: str | None, batch_tickets: int) -> dict:
    """Every source of a SOURCES.yaml: what changed since its cursor, scored into the store (`qa pull`)."""
    score = ScoreConfig(db=_store(db), out=Path(out) if out else None, rules=Path(rules) if rules else None,
                        batch_tickets=batch_tickets)  # fmt: skip
    summary = pull_sources(config, None, score, progress=print)
    return summary.as_dict()


@task(name="score-batch", cache_policy=NO_CACHE)
def score_batch(run: Runner, batch: Batch) -> Scored:
    """The scoring stages (language ... suggestions) for one admitted batch, in this process."""
    return run.score(batch)


@task(name="score-chunk", cache_policy=NO_CACHE)
def score_chunk(config: ScoreConfig, batch: Batch, run_id: str) -> Scored:
    """The scoring stages for one admitted batch, on a Dask worker (store read only)."""
    return score_detached(config, batch, run_id)


def dask_runner(workers: int | None, dask_address: str | None):
    """The task runner for `workers` (a local cluster: processes, one thread each, torch threads split between
    them) or `dask_address` (an existing scheduler); None when neither is given (score in this process)."""
    if workers is not None and dask_address:
        raise QAError("Q851", workers=workers, address=dask_address)
    if workers is None and not dask_address:
        return None
    from prefect_dask import DaskTaskRunner

    if dask_address:
        if not _DASK_ADDRESS.match(dask_address):
            raise QAError("Q853", value=dask_address)
        return DaskTaskRunner(address=dask_address)
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise QAError("Q852", value=workers)
    threads = str(max(1, (os.cpu_count() or 1) // workers))
    return DaskTaskRunner(
        cluster_class="distributed.LocalCluster",
        cluster_kwargs={
            "n_workers": workers, "threads_per_worker": 1, "processes": True,
            "dashboard_address": DASHBOARD_ADDRESS,
            "env": {"QA_TORCH_THREADS": threads, "OMP_NUM_THREADS": threads},
        },
    )  # fmt: skip


@flow(name="nightly-qa-score-on-dask", log_prints=True)
def score_on_dask(
    files: list[str], db: str, out: str | None, rules: str | None, batch_tickets: int, in_flight: int
) -> dict:
    """Read and admit batches here, score them on Dask (at most `in_flight` at a time, so memory stays bounded),
    store the results here in input order."""
    config = ScoreConfig(db=_store(db), out=Path(out) if out else None, rules=Path(rules) if rules else None,
                         batch_tickets=batch_tickets)  # fmt: skip
    with Runner(files, config) as run:
        submit = lambda batch: score_chunk.submit(config, batch, run.summary.run_id)  # noqa: E731
        run.run(run.read(files), submit=submit, in_flight=in_flight)
    return run.summary.as_dict()


@task(name="kpi-snapshot")
def kpi_snapshot(db: str, day: date | None = None, rules: str | None = None) -> list[dict]:
    """Write the day's KPI snapshot; the KPIs that crossed their target (the rule pack's) since the previous one."""
    crossings = nightly_snapshot(db, day, pack_settings(rules))
    for crossing in crossings:
        print(f"KPI crossed its target: {crossing.describe()}")
    return [crossing.as_dict() for crossing in crossings]


@task(name="render-reports")
def render_reports(db: str, folder: str, rules: str | None = None) -> dict:
    """Every active agent's coaching report, each team's and the team index (team-all.html), HTML and PDF, with the
    rule pack's titles, tips and KPI targets."""
    from qa_engine.reports import default_workers, render_all

    done = render_all(db, folder, rules=rules, workers=default_workers())
    print(f"{len(done.agents)} agent and {len(done.teams)} team reports in {folder} ({done.period.label()})")
    return {
        "folder": folder,
        "agents": len(done.agents),
        "teams": len(done.teams),
        "seconds": round(done.seconds, 1),
    }


@flow(name="nightly-qa", log_prints=True)
def nightly(
    source: str | None = None,
    db: str = "qa.duckdb",
    out: str | None = None,
    rules: str | None = None,
    batch_tickets: int = 2000,
    since: datetime | None = None,
    kpi_day: date | None = None,
    reports: str | None = None,
    workers: int | None = None,
    dask_address: str | None = None,
    config: str | None = None,
) -> dict:
    """Pull every source of `config` (or find the new transcript files of `source`) -> validate and score them
    batch by batch (a folder's files on Dask with `workers` or `dask_address`) -> store -> export -> KPI snapshot
    of `kpi_day` (default yesterday, UTC) -> coaching reports into `reports`; returns the run summary with the
    KPIs that crossed their target and the reports written. A source that failed fails the flow run at the end,
    after the other sources, the KPIs and the reports."""
    _check_origin(source, config, workers, dask_address)
    if config:
        pulled = pull_all(config, db, out, rules, batch_tickets)
        summary = pulled["run"] | {"sources": pulled["sources"]}
        failed = [s["name"] for s in pulled["sources"] if s["status"] == "failed"]
        summary["kpi_crossed"] = kpi_snapshot(db, kpi_day, rules)
        summary["reports"] = render_reports(db, _reports_folder(reports, out, db), rules)
        if failed:
            raise QAError("Q976", failed=len(failed), total=len(pulled["sources"]), names=", ".join(failed))
        return summary
    runner = dask_runner(workers, dask_address)  # a bad option fails before any work
    files = find_new_files(source, db, since)
    if not files:
        print("no new transcripts since the last successful run")
        return RunSummary("").as_dict() | {"files": 0, "kpi_crossed": kpi_snapshot(db, kpi_day, rules)}
    if runner is None:
        config_ = ScoreConfig(db=_store(db), out=Path(out) if out else None, rules=Path(rules) if rules else None,
                              batch_tickets=batch_tickets)  # fmt: skip
        with Runner(files, config_) as run:
            run.run(run.read(files), submit=lambda batch: score_batch.submit(run, batch))
        summary = run.summary.as_dict() | {"files": len(files)}
    else:
        in_flight = 2 * (workers or 4)  # enough to keep every worker busy; bounds the batches held here
        scored = score_on_dask.with_options(task_runner=runner)(
            files, db, out, rules, batch_tickets, in_flight
        )
        summary = scored | {"files": len(files)}
    remember_files(source, db, files)
    print(
        f"run {summary['run_id']}: {summary['read']} tickets read from {len(files)} files, {summary['scored']} scored, "
        f"{summary['unchanged']} unchanged, {summary['quarantined']} quarantined, tiers {summary['tiers']}"
    )
    summary["kpi_crossed"] = kpi_snapshot(db, kpi_day, rules)
    # coaching reports (default: OUT/reports, else a reports folder beside the store)
    summary["reports"] = render_reports(db, _reports_folder(reports, out, db), rules)
    return summary


def _check_origin(
    source: str | None, config: str | None, workers: int | None, dask_address: str | None
) -> None:
    """Exactly one of a folder (`source`) and a sources file (`config`); Dask scale-out is for folders."""
    if bool(source) == bool(config):
        raise QAError("Q977", detail="give either --source DIR or --config SOURCES.yaml, one of them")
    if config and (workers is not None or dask_address):
        raise QAError(
            "Q977", detail="--workers and --dask-address score a --source folder; a pull scores in-process"
        )
    if config:
        from qa_engine.pull.config import load_sources

        load_sources(config)  # a bad file fails now, not at 02:00


def nightly_deployment(
    source: str | None,
    db: str,
    out: str | None,
    cron: str,
    timezone: str = "UTC",
    workers: int | None = None,
    dask_address: str | None = None,
    config: str | None = None,
):
    """The scheduled deployment (built offline; serving it needs a Prefect server)."""
    from prefect.schedules import Cron

    dask_runner(workers, dask_address)  # a bad option fails now, not at 02:00
    _check_origin(source, config, workers, dask_address)
    db = _without_password(db)
    parameters = (
        {"source": source, "db": db, "out": out} if source else {"config": config, "db": db, "out": out}
    )
    if workers is not None:
        parameters["workers"] = workers
    if dask_address:
        parameters["dask_address"] = dask_address
    return nightly.to_deployment(
        name="nightly-qa", schedules=[Cron(cron, timezone=timezone)], parameters=parameters
    )


def _without_password(db: str) -> str:
    """A PostgreSQL URL without its password, which goes to PGPASSWORD (this process and its children) instead."""
    if not is_url(db):
        return db
    from urllib.parse import unquote, urlsplit, urlunsplit

    parts = urlsplit(db)
    if parts.password is None:
        return db
    os.environ["PGPASSWORD"] = unquote(parts.password)
    host = parts.netloc.rsplit("@", 1)[1]
    return urlunsplit(parts._replace(netloc=f"{parts.username}@{host}" if parts.username else host))


def serve_nightly(
    source: str | None,
    db: str,
    out: str | None,
    cron: str,
    timezone: str = "UTC",
    workers: int | None = None,
    dask_address: str | None = None,
    config: str | None = None,
) -> None:
    """Serve the deployment until interrupted (`prefect server start` and PREFECT_API_URL must be set up). A
    PostgreSQL URL's password stays in this process: the deployment's parameters (kept by the Prefect server, shown
    in its UI and logs) carry the URL without it (`nightly_deployment`), and libpq reads it from PGPASSWORD in the
    flow runs started here."""
    from prefect import serve

    serve(nightly_deployment(source, db, out, cron, timezone, workers, dask_address, config))


if __name__ == "__main__":
    import sys

    nightly(source=sys.argv[1] if len(sys.argv) > 1 else "examples")
