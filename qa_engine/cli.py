"""The `qa` command line (CONTRACT.md section 2).

Heavy libraries (torch, spaCy, Great Expectations, Prefect) are imported inside the commands, so `qa --help` is
instant. Every error a user can cause is one line on stderr and a non-zero exit, never a traceback.
"""

from __future__ import annotations

import json
import os
from datetime import date, datetime
from pathlib import Path
from typing import Annotated

import typer

from qa_engine.errors import QAError
from qa_engine.store.location import DbOption, raw

app = typer.Typer(
    name="qa",
    help="qa-engine: score customer-service conversations (rules, sentiment, emotion) into red/yellow/green tiers.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

RulesOption = Annotated[
    Path | None, typer.Option("--rules", help="Rule pack: a YAML file or a folder of them.")
]
ModelOption = Annotated[
    list[str] | None,
    typer.Option("--model", help="Model override TASK[:LANG]=MODEL, e.g. sentiment=org/model (repeatable)."),
]
RegistryOption = Annotated[Path | None, typer.Option("--registry", help="Model registry YAML.")]


def _scored_summary_table(summary, title: str) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console(stderr=False)
    table = Table(title=title, show_header=False)
    table.add_row("tickets read", str(summary.read))
    table.add_row("scored", str(summary.scored))
    table.add_row("unchanged (not re-scored)", str(summary.unchanged))
    table.add_row("quarantined records", str(summary.quarantined))
    for reason, count in sorted(summary.quarantine_by_reason.items()):
        table.add_row(f"  quarantined: {reason}", str(count))
    for tier in ("red", "yellow", "green"):
        table.add_row(f"tier {tier}", str(summary.tiers.get(tier, 0)))
    table.add_row("seconds", f"{summary.seconds:.1f}")
    table.add_row("tickets/s", f"{summary.tickets_per_second:.1f}")
    console.print(table)


def _score_config(out, rules, db, registry, model, batch_size, force, time_zone="UTC"):
    from qa_engine.affect.registry import parse_overrides
    from qa_engine.pipeline import ScoreConfig
    from qa_engine.validation.prepare import check_time_zone

    return ScoreConfig(
        rules=rules, db=db, out=out, batch_tickets=batch_size, registry=registry,
        model_overrides=parse_overrides(model), force=force, time_zone=check_time_zone(time_zone, "--tz"),
    )  # fmt: skip


@app.command()
def score(
    inputs: Annotated[
        list[str], typer.Argument(help="Transcript files: JSONL, JSON, CSV, Parquet; globs allowed.")
    ],
    out: Annotated[
        Path | None, typer.Option("--out", help="Write tickets/turns/rule_results.parquet here.")
    ] = None,
    rules: RulesOption = None,
    db: DbOption = Path("qa.duckdb"),
    registry: RegistryOption = None,
    model: ModelOption = None,
    batch_size: Annotated[int, typer.Option("--batch-size", min=1, help="Tickets per batch.")] = 2000,
    force: Annotated[bool, typer.Option("--force", help="Re-score unchanged tickets too.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the run summary as JSON.")] = False,
    no_affect_cache: Annotated[
        bool,
        typer.Option("--no-affect-cache", help="Score every text with the models; leave the cache alone."),
    ] = False,
    tz: Annotated[
        str,
        typer.Option(
            "--tz",
            help="IANA time zone of timestamps (ts, created_at) given without one, e.g. Europe/Berlin; "
            "values with Z or an offset keep theirs.",
        ),
    ] = "UTC",
) -> None:
    """Score the tickets in INPUTS into the store (and --out)."""
    from qa_engine.pipeline import score_files

    config = _score_config(out, rules, db, registry, model, batch_size, force, tz)
    config.affect_cache = not no_affect_cache
    summary = score_files(inputs, config)
    if as_json:
        typer.echo(json.dumps(summary.as_dict()))
    else:
        _scored_summary_table(summary, f"qa score: run {summary.run_id}")


@app.command()
def demo(
    out: Annotated[Path, typer.Option("--out", help="Where results and reports go.")] = Path("out/demo"),
    db: Annotated[Path | None, typer.Option("--db", help="Store (default OUT/qa.duckdb).")] = None,
) -> None:
    """Score the bundled example tickets offline on the embedded default models, print a summary and write the
    coaching reports (OUT/reports/)."""
    from rich.console import Console
    from rich.table import Table

    from qa_engine import paths
    from qa_engine.pipeline import ScoreConfig, score_files
    from qa_engine.store import Store

    examples = sorted(str(p) for p in paths.examples_dir().glob("*.jsonl"))
    store_path = db or out / "qa.duckdb"
    summary = score_files(examples, ScoreConfig(db=store_path, out=out, force=True))
    rows = Store(store_path).query(
        "SELECT ticket_id, language, channel, agent_id, tier, dissatisfaction_risk, qa_score, tier_reasons FROM tickets "
        "WHERE run_id = ? ORDER BY CASE tier WHEN 'red' THEN 0 WHEN 'yellow' THEN 1 ELSE 2 END, ticket_id",
        [summary.run_id],
    )
    table = Table(title=f"qa demo: {rows.height} example tickets")
    # the tier is how the customer came out (risk: predicted dissatisfaction); the score is script compliance
    for col in ("ticket", "lang", "channel", "agent", "tier", "risk", "score", "first reason"):
        table.add_column(col)
    colours = {"red": "red", "yellow": "yellow", "green": "green"}
    for r in rows.iter_rows(named=True):
        reasons = r["tier_reasons"] or []
        table.add_row(
            r["ticket_id"], r["language"], r["channel"], r["agent_id"] or "",
            f"[{colours[r['tier']]}]{r['tier']}[/]",
            "-" if r["dissatisfaction_risk"] is None else f"{r['dissatisfaction_risk']:.2f}",
            f"{r['qa_score']:.0f}", (reasons[0] if reasons else "")[:70],
        )  # fmt: skip
    console = Console()
    console.print(table)
    _demo_highlights(console, Store(store_path), summary.run_id)
    _scored_summary_table(summary, "run summary")
    console.print(f"results: {out}/ (tickets.parquet, turns.parquet, rule_results.parquet, quarantine.jsonl)")

    from qa_engine.reports import default_workers, render_all

    done = render_all(store_path, out / "reports", workers=default_workers())
    console.print(
        f"reports: {out / 'reports'}/ ({len(done.agents)} agent and {len(done.teams)} team reports, HTML and PDF; "
        f"open team-all.html)"
    )


def _demo_highlights(console, store, run_id: str, per_category: int = 2) -> None:
    """The demo's tour of the newer judgements: composure, NVC and reply-language failures with what the agent
    could have written instead (rule_results.suggestion), and the tickets in a language no rule covers."""
    import polars as pl
    from rich.markup import escape

    failed = store.query(
        "SELECT r.category, r.ticket_id, r.rule_id, r.detail, r.suggestion FROM rule_results r "
        "JOIN tickets t USING (ticket_id) WHERE t.run_id = ? AND r.outcome = 'fail' "
        "AND r.category IN ('composure', 'nvc', 'language') AND r.suggestion IS NOT NULL "
        "ORDER BY r.category, r.ticket_id",
        [run_id],
    )
    failed = failed.filter(pl.int_range(pl.len()).over("category") < per_category)
    if failed.height:
        console.print("[bold]Failed composure, NVC and reply-language rules, and what to write instead[/]")
    for r in failed.iter_rows(named=True):
        console.print(f"{r['ticket_id']} {r['rule_id']}: {escape(r['detail'] or '')}")
        console.print(f"  [green]suggestion[/] {escape(r['suggestion'])}")
    uncovered = store.query(
        "SELECT ticket_id, language, tier FROM tickets WHERE run_id = ? AND language_covered = false ORDER BY 1",
        [run_id],
    )
    for r in uncovered.iter_rows(named=True):
        console.print(
            f"{r['ticket_id']}: language not covered: {r['language']} (no rule of the pack reads it; tier {r['tier']})"
        )


@app.command()
def rescore(
    since: Annotated[
        str, typer.Option("--since", help="Re-score stored tickets that started on or after DATE.")
    ],
    db: DbOption = Path("qa.duckdb"),
    rules: RulesOption = None,
    registry: RegistryOption = None,
    model: ModelOption = None,
    out: Annotated[Path | None, typer.Option("--out", help="Also write the contract's files here.")] = None,
) -> None:
    """Re-score stored tickets after a rule pack or model change (human reviews are kept)."""
    from qa_engine.rescore import rescore_since

    config = _score_config(out, rules, db, registry, model, 2000, True)
    summary = rescore_since(parse_date(since, "--since"), config)
    _scored_summary_table(summary, f"qa rescore: run {summary.run_id}")


@app.command()
def pull(
    names: Annotated[
        list[str] | None, typer.Argument(help="Sources to pull, by name (default: every source in the file).")
    ] = None,
    config: Annotated[
        Path,
        typer.Option("--config", help="SOURCES.yaml: the helpdesks, databases and folders to pull from."),
    ] = Path("SOURCES.yaml"),
    db: DbOption = Path("qa.duckdb"),
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Also write this pull's tickets as the contract's files here."),
    ] = None,
    rules: RulesOption = None,
    registry: RegistryOption = None,
    model: ModelOption = None,
    batch_size: Annotated[int, typer.Option("--batch-size", min=1, help="Tickets per batch.")] = 2000,
    tz: Annotated[
        str,
        typer.Option("--tz", help="IANA time zone of timestamps given without one (SQL and folder sources)."),
    ] = "UTC",
    as_json: Annotated[bool, typer.Option("--json", help="Print the pull summary as JSON.")] = False,
) -> None:
    """Pull what changed since the last pull from each source and score it like `qa score` (CONTRACT.md
    section 6). A failed source is one line naming it; the others still run; the exit status is then 1."""
    from qa_engine.pull import pull_sources

    score_config = _score_config(out, rules, db, registry, model, batch_size, False, tz)
    summary = pull_sources(config, names, score_config, progress=lambda line: typer.echo(line, err=True))
    if as_json:
        typer.echo(json.dumps(summary.as_dict()))
    else:
        _pull_table(summary)
    if summary.failed:
        failed = QAError(
            "Q976", failed=len(summary.failed), total=len(summary.sources),
            names=", ".join(s.name for s in summary.failed),
        )  # fmt: skip
        typer.echo(f"qa: {failed}", err=True)
        raise typer.Exit(failed.exit_code)


def _pull_table(summary) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"qa pull: run {summary.run_id}")
    for col in (
        "source",
        "kind",
        "status",
        "listed",
        "skipped",
        "scored",
        "unchanged",
        "quarantined",
        "seconds",
    ):
        table.add_column(col)
    for s in summary.sources:
        table.add_row(
            s.name, s.kind, s.status if s.status == "ok" else f"[red]{s.status}[/]", str(s.listed),
            str(s.skipped), str(s.scored), str(s.unchanged), str(s.quarantined), f"{s.seconds:.1f}",
        )  # fmt: skip
    Console().print(table)


@app.command()
def schedule(
    source: Annotated[
        Path | None, typer.Option("--source", help="Folder the helpdesk export drops transcripts into.")
    ] = None,
    config: Annotated[
        Path | None,
        typer.Option("--config", help="SOURCES.yaml: pull every source in it each night (see `qa pull`)."),
    ] = None,
    cron: Annotated[str, typer.Option("--cron", help="Cron schedule, e.g. '0 2 * * *'.")] = "0 2 * * *",
    db: DbOption = Path("qa.duckdb"),
    out: Annotated[Path | None, typer.Option("--out", help="Export folder per run.")] = None,
    timezone: Annotated[str, typer.Option("--timezone", help="Time zone of the cron schedule.")] = "UTC",
    workers: Annotated[
        int | None, typer.Option("--workers", help="Score on a local Dask cluster of N worker processes.")
    ] = None,
    dask_address: Annotated[
        str | None,
        typer.Option("--dask-address", help="Score on an existing Dask scheduler, tcp://HOST:PORT."),
    ] = None,
) -> None:
    """Serve the nightly flow on a schedule (needs a Prefect server: `prefect server start`): pull every source of
    --config, or score the new files of a --source folder."""
    from flows.nightly import serve_nightly

    serve_nightly(
        source=str(source) if source else None, db=raw(db), out=str(out) if out else None, cron=cron, timezone=timezone,
        workers=workers, dask_address=dask_address, config=str(config.resolve()) if config else None,
    )  # fmt: skip


def parse_date(value: str, option: str) -> date:
    try:
        return datetime.strptime(value, "%Y-%m-%d").date()
    except ValueError as exc:
        raise QAError("Q405", value=value, option=option) from exc


def _score_example_turns(turns, languages):
    """Affect for rule examples that do not pin it: the real models (loaded on first use)."""
    from qa_engine.affect import AffectScorer

    return AffectScorer.from_registry().score_turns(turns, languages)


def _mount_subcommands() -> None:
    from qa_engine.affect.commands import app as models_app
    from qa_engine.rules.commands import make_app

    app.add_typer(make_app(affect=_score_example_turns), name="rules", help="Test and list rule packs.")
    app.add_typer(models_app, name="models")

    from qa_engine.reasons.commands import app as reasons_app
    from qa_engine.satisfaction.commands import tiers_app

    app.add_typer(tiers_app, name="tiers")

    app.add_typer(reasons_app, name="reasons")

    from qa_engine.kpi.commands import coaching_app, kpi

    app.command("kpi")(kpi)
    app.add_typer(coaching_app, name="coaching")

    from qa_engine.web.commands import serve, users_app

    app.command("serve")(serve)
    app.add_typer(users_app, name="users")

    from qa_engine.store.commands import app as store_app

    app.add_typer(store_app, name="store")

    from qa_engine.reports.commands import app as report_app

    app.add_typer(report_app, name="report")


_mount_subcommands()


def main() -> None:
    """Entry point: one-line errors, no tracebacks (set QA_DEBUG=1 to see them)."""
    try:
        code = app(standalone_mode=False)  # without standalone mode click returns typer.Exit's code
    except QAError as exc:
        typer.echo(f"qa: {exc}", err=True)
        raise SystemExit(exc.exit_code) from None
    except typer.Abort:
        raise SystemExit(130) from None
    except Exception as exc:
        import click

        if isinstance(exc, click.exceptions.ClickException):
            exc.show()
            raise SystemExit(exc.exit_code) from None
        if isinstance(exc, click.exceptions.Exit):
            raise SystemExit(exc.exit_code) from None
        if os.environ.get("QA_DEBUG"):
            raise
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        typer.echo(
            f"qa: internal error: {type(exc).__name__}: {first} (set QA_DEBUG=1 for details)", err=True
        )
        raise SystemExit(1) from None
    if isinstance(code, int) and code:
        raise SystemExit(code)
