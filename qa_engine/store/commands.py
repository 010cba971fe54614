"""`qa store` (CONTRACT.md sections 2 and 7): commands over a whole store."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(help="Whole stores: copy one into another.", no_args_is_help=True, add_completion=False)


@app.command("copy")
def copy(
    source: Annotated[Path, typer.Option("--from", help="The store to copy (it is only read).")],
    target: Annotated[Path, typer.Option("--to", help="A new or empty store to copy into.")],
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the rows per table as one JSON object.")
    ] = False,
) -> None:
    """Copy everything (results, reviews, disputes, users, coaching, audit log; not login sessions) into an empty
    store, in one transaction."""
    from qa_engine.store.copy import copy_store

    result = copy_store(source, target)
    if as_json:
        typer.echo(json.dumps(result.tables))
        return
    typer.echo(f"copied {result.rows} rows in {len(result.tables)} tables from {source} to {target}")
    for table, n in result.tables.items():
        typer.echo(f"  {table}: {n}")
