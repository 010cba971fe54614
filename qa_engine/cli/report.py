"""`qa report agent AGENT_ID` and `qa report team [TEAM]` (CONTRACT.md section 2).

Rendering libraries (matplotlib, WeasyPrint) load only when a command runs, so `qa report --help` stays instant.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from qa_engine.cli.options import DEFAULT_DB, DbOption, parse_date

app = typer.Typer(
    help="Coaching reports per agent and per team: one self-contained HTML file and a PDF each.",
    no_args_is_help=True,
)

FromOption = Annotated[
    str | None, typer.Option("--from", help="First day, YYYY-MM-DD (default: four weeks before --to).")
]
ToOption = Annotated[
    str | None,
    typer.Option("--to", help="Last day, YYYY-MM-DD (default: the day of the latest scored ticket)."),
]
OutOption = Annotated[Path, typer.Option("--out", help="Folder the HTML and PDF go to.")]
RulesOption = Annotated[
    Path | None,
    typer.Option("--rules", help="Rule pack for rule titles, coaching tips and SLAs (default pack)."),
]


def _dates(date_from: str | None, date_to: str | None) -> tuple[date | None, date | None]:
    return (
        parse_date(date_from, "--from") if date_from else None,
        parse_date(date_to, "--to") if date_to else None,
    )


def _done(files) -> None:
    typer.echo(f"wrote {files.html}")
    typer.echo(f"wrote {files.pdf} ({files.pages} pages)")


@app.command()
def agent(
    agent_id: Annotated[str, typer.Argument(help="The agent's id, as in the tickets' agent_id.")],
    out: OutOption = Path("out/reports"),
    date_from: FromOption = None,
    date_to: ToOption = None,
    db: DbOption = DEFAULT_DB,
    rules: RulesOption = None,
) -> None:
    """Write OUT/<agent>.html and OUT/<agent>.pdf."""
    from qa_engine.reports.build import render_agent_report

    start, end = _dates(date_from, date_to)
    _done(render_agent_report(db, agent_id, out, start, end, rules))


@app.command()
def team(
    team_id: Annotated[
        str | None, typer.Argument(metavar="[TEAM]", help="The team; all teams when left out.")
    ] = None,
    out: OutOption = Path("out/reports"),
    date_from: FromOption = None,
    date_to: ToOption = None,
    db: DbOption = DEFAULT_DB,
    rules: RulesOption = None,
) -> None:
    """Write OUT/team-<team>.html and .pdf (team-all.* without TEAM)."""
    from qa_engine.reports.build import render_team_report

    start, end = _dates(date_from, date_to)
    _done(render_team_report(db, team_id, out, start, end, rules))
