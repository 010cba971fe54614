"""`qa store` (CONTRACT.md sections 2 and 7): commands over a whole store."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from qa_engine.store.location import describe

app = typer.Typer(help="Whole stores: copy one into another.", no_args_is_help=True, add_completion=False)


@app.command("copy")
def copy(
    source: Annotated[
        str,
        typer.Option("--from", help="The store to copy: a DuckDB file or a postgresql:// URL (only read)."),
    ],
    target: Annotated[
        str, typer.Option("--to", help="A new or empty store: a DuckDB file or a postgresql:// URL.")
    ],
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
    typer.echo(
        f"copied {result.rows} rows in {len(result.tables)} tables from {describe(source)} to {describe(target)}"
    )
    for table, n in result.tables.items():
        typer.echo(f"  {table}: {n}")
