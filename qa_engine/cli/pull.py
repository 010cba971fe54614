"""`qa pull`: what changed in each configured source since the last pull, scored like `qa score`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

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
)
from qa_engine.cli.score import build_score_config
from qa_engine.errors import QAError


def pull(
    names: Annotated[
        list[str] | None, typer.Argument(help="Sources to pull, by name (default: every source in the file).")
    ] = None,
    config: Annotated[
        Path,
        typer.Option("--config", help="SOURCES.yaml: the helpdesks, databases and folders to pull from."),
    ] = Path("SOURCES.yaml"),
    db: DbOption = DEFAULT_DB,
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Also write this pull's tickets as the contract's files here."),
    ] = None,
    rules: RulesOption = None,
    registry: RegistryOption = None,
    model: ModelOption = None,
    batch_size: BatchSizeOption = 2000,
    tz: Annotated[
        str,
        typer.Option("--tz", help="IANA time zone of timestamps given without one (SQL and folder sources)."),
    ] = "UTC",
    as_json: Annotated[bool, typer.Option("--json", help="Print the pull summary as JSON.")] = False,
) -> None:
    """Pull what changed since the last pull from each source and score it like `qa score` (CONTRACT.md
    section 6). A failed source is one line naming it; the others still run; the exit status is then 1."""
    from qa_engine.pull import pull_sources

    score_config = build_score_config(out, rules, db, registry, model, batch_size, False, tz)
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
