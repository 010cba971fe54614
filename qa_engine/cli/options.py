"""The options several `qa` commands share, written once so that `--db` (or `--rules`, `--model` ...) means the same
thing, with the same help, wherever it appears; and the one date format every `--since`, `--from` and `--to` takes.

A command whose option differs in meaning or wording (`qa demo --db` defaults to OUT/qa.duckdb, `qa reasons` names
its own registry default) keeps its own definition beside the command.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Annotated

import typer

from qa_engine.errors import QAError
from qa_engine.store.location import DB_ENV, store_location

# The store of every command that takes one: a DuckDB file or a PostgreSQL URL (a URL becomes a `StoreUrl` before
# anything could treat it as a file name). `db: DbOption = DEFAULT_DB`: without --db, $QA_DB, else ./qa.duckdb.
DEFAULT_DB = Path("qa.duckdb")
DbOption = Annotated[
    Path,
    typer.Option(
        "--db",
        envvar=DB_ENV,
        callback=store_location,
        help="The results store: a DuckDB file or a postgresql:// URL; default $QA_DB, else ./qa.duckdb.",
    ),
]

# What the scoring commands (score, rescore, pull) score with.
RulesOption = Annotated[
    Path | None, typer.Option("--rules", help="Rule pack: a YAML file or a folder of them.")
]
ModelOption = Annotated[
    list[str] | None,
    typer.Option("--model", help="Model override TASK[:LANG]=MODEL, e.g. sentiment=org/model (repeatable)."),
]
RegistryOption = Annotated[Path | None, typer.Option("--registry", help="Model registry YAML.")]
BatchSizeOption = Annotated[int, typer.Option("--batch-size", min=1, help="Tickets per batch.")]

# --json of the commands that print rows (qa kpi, qa coaching effect, qa users list).
JsonRowsOption = Annotated[bool, typer.Option("--json", help="Print one JSON array of objects.")]


def parse_date(value: str, option: str) -> date:
    """A YYYY-MM-DD day given to `option`; anything else is Q405 naming the option and the value."""
    try:
        return datetime.strptime(value, "%Y-%m-%d").date()
    except ValueError as exc:
        raise QAError("Q405", value=value, option=option) from exc
