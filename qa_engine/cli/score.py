"""`qa score` and `qa rescore`: score transcript files, or re-score stored tickets, into the store; and the run
summary both print (as do `qa demo` and, through `build_score_config`, `qa pull`)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

from qa_engine.cli.options import (
    DEFAULT_DB,
    BatchSizeOption,
    DbOption,
    ModelOption,
    RegistryOption,
    RulesOption,
    parse_date,
)

if TYPE_CHECKING:  # the pipeline loads polars and DuckDB: imported inside the commands (a quick --help)
    from qa_engine.pipeline import ScoreConfig
    from qa_engine.runner import RunSummary


def scored_summary_table(summary: RunSummary, title: str) -> None:
    """The run summary every scoring command prints: tickets read, scored, unchanged, quarantined, the tiers, speed."""
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


def build_score_config(
    out: Path | None,
    rules: Path | None,
    db: Path,
    registry: Path | None,
    model: list[str] | None,
    batch_size: int,
    force: bool,
    time_zone: str = "UTC",
) -> ScoreConfig:
    """The scoring options of `qa score`, `qa rescore` and `qa pull` as one `ScoreConfig` (bad --model and --tz
    values fail here, before anything is read)."""
    from qa_engine.affect.registry import parse_overrides
    from qa_engine.pipeline import ScoreConfig
    from qa_engine.validation.prepare import check_time_zone

    return ScoreConfig(
        rules=rules, db=db, out=out, batch_tickets=batch_size, registry=registry,
        model_overrides=parse_overrides(model), force=force, time_zone=check_time_zone(time_zone, "--tz"),
    )  # fmt: skip


def score(
    inputs: Annotated[
        list[str], typer.Argument(help="Transcript files: JSONL, JSON, CSV, Parquet; globs allowed.")
    ],
    out: Annotated[
        Path | None, typer.Option("--out", help="Write tickets/turns/rule_results.parquet here.")
    ] = None,
    rules: RulesOption = None,
    db: DbOption = DEFAULT_DB,
    registry: RegistryOption = None,
    model: ModelOption = None,
    batch_size: BatchSizeOption = 2000,
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

    config = build_score_config(out, rules, db, registry, model, batch_size, force, tz)
    config.affect_cache = not no_affect_cache
    summary = score_files(inputs, config)
    if as_json:
        typer.echo(json.dumps(summary.as_dict()))
    else:
        scored_summary_table(summary, f"qa score: run {summary.run_id}")


def rescore(
    since: Annotated[
        str, typer.Option("--since", help="Re-score stored tickets that started on or after DATE.")
    ],
    db: DbOption = DEFAULT_DB,
    rules: RulesOption = None,
    registry: RegistryOption = None,
    model: ModelOption = None,
    out: Annotated[Path | None, typer.Option("--out", help="Also write the contract's files here.")] = None,
) -> None:
    """Re-score stored tickets after a rule pack or model change (human reviews are kept)."""
    from qa_engine.rescore import rescore_since

    config = build_score_config(out, rules, db, registry, model, 2000, True)
    summary = rescore_since(parse_date(since, "--since"), config)
    scored_summary_table(summary, f"qa rescore: run {summary.run_id}")
