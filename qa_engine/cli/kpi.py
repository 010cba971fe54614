"""`qa kpi` and `qa coaching ...`: the service KPIs against their targets, and the coaching loop, from the terminal.

`kpi` is the command `qa kpi`, `coaching_app` the group `qa coaching`. polars and DuckDB are imported inside the
commands, so their `--help` stays instant.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

from qa_engine.cli.options import DEFAULT_DB, DbOption, JsonRowsOption, parse_date
from qa_engine.kpi.catalog import KPI_NAMES, LABELS

if TYPE_CHECKING:
    from qa_engine.kpi.compute import KpiTable

TargetsOption = Annotated[
    Path | None,
    typer.Option(
        "--targets",
        help="KPI targets: a targets YAML, or a rule pack folder holding targets.yaml (default: the default pack's).",
    ),
]
GROUP_COLUMN_WIDTH = 12  # a value such as "26.5 min" or "1.25 EUR" with its borders


def _date(value: str | None, option: str) -> date | None:
    return parse_date(value, option) if value else None


def _print_table(table: KpiTable) -> None:
    """KPIs as rows and groups as columns, the groups split over as many tables as the terminal's width needs:
    eleven KPIs side by side do not fit a terminal, eleven rows always do."""
    from qa_engine.kpi.display import format_value, target_text

    settings, console = table.settings, Console()
    if table.start or table.end:
        period = f"{table.start or 'the first stored ticket'} .. {table.end or 'the latest'}"
    else:
        period = "at any time (no --from / --to)"
    rows, statuses = table.rows(), table.statuses()
    if not rows:
        console.print(f"no tickets started in {period}")
    label_width = max(map(len, LABELS.values())) + 3
    per_table = max(1, (console.width - label_width - 10) // GROUP_COLUMN_WIDTH)
    colours = {"met": "green", "missed": "red", None: ""}
    for first in range(0, len(rows), per_table):
        chunk = range(first, min(first + per_table, len(rows)))
        view = Table(title=f"KPIs by {table.by}, tickets that started {period}" if first == 0 else None)
        view.add_column("KPI")
        view.add_column("target")
        for i in chunk:
            key = rows[i][table.column]
            view.add_column("(none)" if key is None else str(key), justify="right")
        for kpi in KPI_NAMES:
            target = settings.targets.get(kpi)
            cells = []
            for i in chunk:
                text, colour = format_value(kpi, rows[i][kpi], settings.currency), colours[statuses[i][kpi]]
                cells.append(f"[{colour}]{text}[/]" if colour else text)
            view.add_row(LABELS[kpi], target_text(target) if target else "", *cells)
        console.print(view)
    if settings.targets:
        console.print(f"targets: {settings.source} (green met, red missed)")
    else:
        console.print("no KPI targets configured (add targets.yaml to the rule pack)")


def kpi(
    by: Annotated[
        str, typer.Option("--by", help="Group by agent, team, channel, language or reason (contact reason).")
    ] = "team",
    from_: Annotated[
        str | None, typer.Option("--from", help="First day (YYYY-MM-DD) a ticket may start.")
    ] = None,
    to: Annotated[str | None, typer.Option("--to", help="Last day (YYYY-MM-DD) a ticket may start.")] = None,
    db: DbOption = DEFAULT_DB,
    targets: TargetsOption = None,
    as_json: JsonRowsOption = False,
) -> None:
    """Service KPIs per group for the tickets that start in the period, against their targets (CONTRACT section 5)."""
    from qa_engine.kpi.compute import kpi_table
    from qa_engine.kpi.targets import load_settings

    start, end = _date(from_, "--from"), _date(to, "--to")
    table = kpi_table(db, by=by.strip().lower(), start=start, end=end, settings=load_settings(targets))
    if table.undated and (start or end):
        typer.echo(
            f"qa kpi: {table.undated} stored tickets have no time stamp (no created_at, no turn ts): "
            "they count on the day they were received",
            err=True,
        )
    if as_json:
        typer.echo(json.dumps(table.rows(), ensure_ascii=False))
    else:
        _print_table(table)


coaching_app = typer.Typer(
    help="Coaching sessions: record them; reports compare the agent before and after.", no_args_is_help=True
)


@coaching_app.command("add")
def coaching_add(
    agent_id: Annotated[str, typer.Argument(help="The coached agent's id (must have tickets in the store).")],
    day: Annotated[str, typer.Option("--date", help="The session's day, YYYY-MM-DD.")],
    focus: Annotated[
        str, typer.Option("--focus", help="Rule ids the session worked on: RULE_ID[,RULE_ID...].")
    ],
    note: Annotated[str | None, typer.Option("--note", help="What was discussed or agreed.")] = None,
    practice: Annotated[
        bool,
        typer.Option(
            "--practice",
            help="Assign practice: the agent's report lists their failing excerpts for role-play.",
        ),
    ] = False,
    db: DbOption = DEFAULT_DB,
    rules: Annotated[
        Path | None, typer.Option("--rules", help="Rule pack whose ids --focus may name (default pack).")
    ] = None,
) -> None:
    """Record a coaching session (recording the same agent, day and focus again updates its note)."""
    from qa_engine.kpi.coaching_loop import add_session

    session_date = _date(day, "--date")
    assert session_date is not None  # --date is required
    session = add_session(
        db, agent_id, session_date, focus.split(","), note=note, rules=rules, practice=practice
    )
    typer.echo(
        f"recorded coaching session {session.session_id}: {session.agent_id} on {session.session_date}, "
        f"focus {', '.join(session.focus_rules)}" + (", practice assigned" if session.practice else "")
    )


def _score(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f}"


@coaching_app.command("effect")
def coaching_effect_cmd(
    agent_id: Annotated[str, typer.Argument(help="The coached agent's id.")],
    db: DbOption = DEFAULT_DB,
    as_json: JsonRowsOption = False,
) -> None:
    """Per session and focus rule: pass rate and QA score in the 14 days before vs the 14 days after."""
    from qa_engine.kpi.coaching_loop import coaching_effect
    from qa_engine.kpi.display import format_share

    effects = coaching_effect(db, agent_id)
    if as_json:
        typer.echo(json.dumps([asdict(e) for e in effects], default=str, ensure_ascii=False))
        return
    if not effects:
        typer.echo(f"no coaching sessions recorded for {agent_id}")
    for e in effects:
        rate = f"{format_share(e.before_pass_rate)} -> {format_share(e.after_pass_rate)}"
        score = f"{_score(e.before_qa_score)} -> {_score(e.after_qa_score)}"
        typer.echo(
            f"{e.session_date} {e.rule_id}: pass rate {rate} ({e.before_judged} -> {e.after_judged} tickets), "
            f"QA score {score} ({e.before_tickets} -> {e.after_tickets} tickets): {e.verdict}"
        )
