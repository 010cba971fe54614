"""`qa schedule`: the nightly flow served on a cron schedule (Prefect loads only when it runs)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from qa_engine.cli.options import DEFAULT_DB, DbOption
from qa_engine.store.location import raw


def schedule(
    source: Annotated[
        Path | None, typer.Option("--source", help="Folder the helpdesk export drops transcripts into.")
    ] = None,
    config: Annotated[
        Path | None,
        typer.Option("--config", help="SOURCES.yaml: pull every source in it each night (see `qa pull`)."),
    ] = None,
    cron: Annotated[str, typer.Option("--cron", help="Cron schedule, e.g. '0 2 * * *'.")] = "0 2 * * *",
    db: DbOption = DEFAULT_DB,
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
