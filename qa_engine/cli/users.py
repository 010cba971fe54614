"""`qa users` (CONTRACT.md section 2): add, list, disable, enable, set-role, reset-password.

argon2 and DuckDB are imported inside the commands, so `qa users --help` stays instant.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from qa_engine.cli.options import DEFAULT_DB, DbOption, JsonRowsOption
from qa_engine.errors import QAError

app = typer.Typer(help="Review-app users.", no_args_is_help=True, add_completion=False)


@app.command("add")
def add(
    username: Annotated[str, typer.Argument(help="Login name: letters, digits, '.', '_', '-', '@'.")],
    role: Annotated[str, typer.Option("--role", help="qa_lead, coach or agent.")],
    agent_id: Annotated[str | None, typer.Option("--agent-id", help="The agent's id (role agent).")] = None,
    team: Annotated[str | None, typer.Option("--team", help="The coach's team (role coach).")] = None,
    db: DbOption = DEFAULT_DB,
) -> None:
    """Create a user; the password is the first line of standard input."""
    from qa_engine.auth.users import add_user
    from qa_engine.review.audit import Actor
    from qa_engine.review.db import ReviewDB

    password = _stdin_password()
    actor = Actor.cli(f"qa users add {username}")
    user = add_user(ReviewDB(db), username, password, role, agent_id=agent_id, team=team, actor=actor)
    scope = {"qa_lead": "every ticket", "coach": f"team {user.team}", "agent": f"agent {user.agent_id}"}[
        user.role
    ]
    typer.echo(f"added {user.username} ({user.role}; sees {scope}) to {db}")


def _stdin_password() -> str:
    """The first line of standard input, without its line ending (never an argument: it would show in `ps`)."""
    return sys.stdin.readline().rstrip("\r\n")


def _admin_db(db: Path):
    """The review store of an existing store file (its tables upgraded in place); Q607 when there is none, so a
    mistyped --db is an error rather than a new empty store."""
    from qa_engine.review.db import ReviewDB

    if not db.exists():
        raise QAError("Q607", path=db)
    store = ReviewDB(db)
    store.init()
    return store


@app.command("list")
def list_command(
    as_json: JsonRowsOption = False,
    db: DbOption = DEFAULT_DB,
) -> None:
    """The review-app users: username, role, team, agent_id, disabled."""
    from qa_engine.auth.admin import FIELDS, list_users

    rows = list_users(_admin_db(db))
    if as_json:
        typer.echo(json.dumps([row.as_dict() for row in rows]))
        return
    table = Table(title=f"users in {db}")
    for name in FIELDS:
        table.add_column(name)
    for row in rows:
        table.add_row(
            row.username, row.role, row.team or "", row.agent_id or "", "yes" if row.disabled else ""
        )
    Console().print(table)


def _set_disabled(username: str, db: Path, disabled: bool) -> None:
    from qa_engine.auth.admin import set_disabled
    from qa_engine.review.audit import Actor

    verb = "disable" if disabled else "enable"
    change = set_disabled(_admin_db(db), username, disabled, Actor.cli(f"qa users {verb} {username}"))
    if disabled:
        typer.echo(f"disabled {username}; {change.sessions_ended} open session(s) ended")
    else:
        typer.echo(f"enabled {username}")


@app.command("disable")
def disable(
    username: Annotated[str, typer.Argument(help="The user to disable.")],
    db: DbOption = DEFAULT_DB,
) -> None:
    """Disable a user: they cannot log in, and their open sessions end at once."""
    _set_disabled(username, db, True)


@app.command("enable")
def enable(
    username: Annotated[str, typer.Argument(help="The user to enable again.")],
    db: DbOption = DEFAULT_DB,
) -> None:
    """Let a disabled user log in again."""
    _set_disabled(username, db, False)


@app.command("set-role")
def set_role_command(
    username: Annotated[str, typer.Argument(help="The user to change.")],
    role: Annotated[str, typer.Option("--role", help="qa_lead, coach or agent.")],
    team: Annotated[
        str | None, typer.Option("--team", help="The coach's team (kept when not given).")
    ] = None,
    agent_id: Annotated[
        str | None, typer.Option("--agent-id", help="The agent's id (kept when not given).")
    ] = None,
    db: DbOption = DEFAULT_DB,
) -> None:
    """Change a user's role and scope; it takes effect at their next request."""
    from qa_engine.auth.admin import set_role
    from qa_engine.review.audit import Actor

    actor = Actor.cli(f"qa users set-role {username} --role {role}")
    user = set_role(_admin_db(db), username, role, actor, team=team, agent_id=agent_id).user
    scope = {"qa_lead": "every ticket", "coach": f"team {user.team}", "agent": f"agent {user.agent_id}"}[
        user.role
    ]
    typer.echo(f"{user.username} is now {user.role} (sees {scope})")


@app.command("reset-password")
def reset_password_command(
    username: Annotated[str, typer.Argument(help="The user whose password to replace.")],
    db: DbOption = DEFAULT_DB,
) -> None:
    """Set a new password, read from the first line of standard input; the user's open sessions end."""
    from qa_engine.auth.admin import reset_password
    from qa_engine.review.audit import Actor

    password = _stdin_password()
    change = reset_password(
        _admin_db(db), username, password, Actor.cli(f"qa users reset-password {username}")
    )
    typer.echo(f"reset the password of {username}; {change.sessions_ended} open session(s) ended")
