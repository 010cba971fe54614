"""`qa serve` and `qa users` (CONTRACT.md section 2): add, list, disable, enable, set-role, reset-password.

FastAPI, uvicorn and argon2 are imported inside the commands, so `qa --help` stays instant.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from qa_engine.errors import QAError
from qa_engine.store.location import DbOption, is_url
from qa_engine.web.workers import app_from_environment, export_settings

users_app = typer.Typer(help="Review-app users.", no_args_is_help=True, add_completion=False)


def serve(
    db: DbOption = Path("qa.duckdb"),
    host: Annotated[str, typer.Option("--host", help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="Port to listen on.")] = 8000,
    session_hours: Annotated[
        float, typer.Option("--session-hours", min=0.01, help="A login lasts this long.")
    ] = 8.0,
    audit_days: Annotated[
        int, typer.Option("--audit-retention-days", min=1, help="Audit log rows older than this are deleted.")
    ] = 90,
    tls_cert: Annotated[
        Path | None,
        typer.Option("--tls-cert", help="Serve HTTPS with this certificate (PEM; with --tls-key)."),
    ] = None,
    tls_key: Annotated[
        Path | None, typer.Option("--tls-key", help="The certificate's private key (PEM).")
    ] = None,
    trusted_proxy: Annotated[
        list[str] | None,
        typer.Option(
            "--trusted-proxy",
            help="A reverse proxy's address or network (repeatable): its X-Forwarded-For and -Proto are believed.",
        ),
    ] = None,
    workers: Annotated[
        int,
        typer.Option(
            "--workers",
            min=1,
            help="Server processes (more than one needs a PostgreSQL store: a DuckDB file takes one writer).",
        ),
    ] = 1,
) -> None:
    """Start the review app: queue, conversation view, reviews, disputes, calibration, KPIs, coaching, and the
    JSON API. HTTPS with --tls-cert/--tls-key, or behind a reverse proxy named with --trusted-proxy
    (docs/security.md)."""
    import logging

    import uvicorn

    from qa_engine.auth.users import count_users
    from qa_engine.review.db import ReviewDB

    if not db.exists():
        raise QAError("Q607", path=db)
    if not 1 <= port <= 65535:
        raise QAError("Q608", port=port)
    if workers > 1 and not is_url(db):
        raise QAError("Q609", workers=workers, path=db)
    tls = tls_options(tls_cert, tls_key)
    proxies = proxy_options(trusted_proxy or [])
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # the settings every worker builds its app from; with several workers this first app is not served, but it
    # creates or upgrades the tables and refuses a bad set-up (Q629) once, before any worker starts
    export_settings(db, session_hours, audit_days)
    app = app_from_environment()
    if not count_users(ReviewDB(db)):
        typer.echo(
            f"qa serve: no users yet; add one with `qa users add NAME --role qa_lead --db {db}`", err=True
        )
    typer.echo(
        f"qa serve: {'https' if tls else 'http'}://{host}:{port}/ over {db}, {workers} worker(s)", err=True
    )
    serving = {"host": host, "port": port, "log_level": "info", "server_header": False, **tls, **proxies}
    if workers == 1:
        uvicorn.run(app, **serving)
        return
    uvicorn.run("qa_engine.web.workers:app_from_environment", factory=True, workers=workers, **serving)


def tls_options(cert: Path | None, key: Path | None) -> dict:
    """uvicorn's ssl_certfile/ssl_keyfile, checked first (both or neither; a pair that loads), so a mistake is a
    one-line Q628 rather than a traceback from inside the server."""
    import ssl

    if cert is None and key is None:
        return {}
    if cert is None or key is None:
        given, missing = ("--tls-cert", "--tls-key") if key is None else ("--tls-key", "--tls-cert")
        raise QAError("Q628", option=given, value=cert or key, detail=f"give {missing} with it")
    try:  # an empty password: an encrypted key fails here instead of prompting on the terminal
        ssl.create_default_context(ssl.Purpose.CLIENT_AUTH).load_cert_chain(cert, key, password=lambda: b"")
    except (OSError, ssl.SSLError) as exc:
        detail = f"{exc} (both PEM files; the key unencrypted and the certificate's own)"
        raise QAError("Q628", option="--tls-cert", value=f"{cert} (key {key})", detail=detail) from exc
    return {"ssl_certfile": str(cert), "ssl_keyfile": str(key)}


def proxy_options(trusted: list[str]) -> dict:
    """uvicorn's proxy settings: X-Forwarded-For and -Proto are read only from these addresses, and not at all
    without any (uvicorn's own default would believe them from 127.0.0.1, i.e. from anyone on this host)."""
    import ipaddress

    for value in trusted:
        try:
            ipaddress.ip_network(value, strict=False)
        except ValueError as exc:
            detail = "give an IP address or a network, e.g. 10.0.0.5 or 10.0.0.0/24"
            raise QAError("Q628", option="--trusted-proxy", value=value, detail=detail) from exc
    if not trusted:
        return {"proxy_headers": False}
    return {"proxy_headers": True, "forwarded_allow_ips": list(trusted)}


@users_app.command("add")
def add(
    username: Annotated[str, typer.Argument(help="Login name: letters, digits, '.', '_', '-', '@'.")],
    role: Annotated[str, typer.Option("--role", help="qa_lead, coach or agent.")],
    agent_id: Annotated[str | None, typer.Option("--agent-id", help="The agent's id (role agent).")] = None,
    team: Annotated[str | None, typer.Option("--team", help="The coach's team (role coach).")] = None,
    db: DbOption = Path("qa.duckdb"),
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


@users_app.command("list")
def list_command(
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON array of objects.")] = False,
    db: DbOption = Path("qa.duckdb"),
) -> None:
    """The review-app users: username, role, team, agent_id, disabled."""
    import json

    from qa_engine.auth.admin import FIELDS, list_users

    rows = list_users(_admin_db(db))
    if as_json:
        typer.echo(json.dumps([row.as_dict() for row in rows]))
        return
    from rich.console import Console
    from rich.table import Table

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


@users_app.command("disable")
def disable(
    username: Annotated[str, typer.Argument(help="The user to disable.")],
    db: DbOption = Path("qa.duckdb"),
) -> None:
    """Disable a user: they cannot log in, and their open sessions end at once."""
    _set_disabled(username, db, True)


@users_app.command("enable")
def enable(
    username: Annotated[str, typer.Argument(help="The user to enable again.")],
    db: DbOption = Path("qa.duckdb"),
) -> None:
    """Let a disabled user log in again."""
    _set_disabled(username, db, False)


@users_app.command("set-role")
def set_role_command(
    username: Annotated[str, typer.Argument(help="The user to change.")],
    role: Annotated[str, typer.Option("--role", help="qa_lead, coach or agent.")],
    team: Annotated[
        str | None, typer.Option("--team", help="The coach's team (kept when not given).")
    ] = None,
    agent_id: Annotated[
        str | None, typer.Option("--agent-id", help="The agent's id (kept when not given).")
    ] = None,
    db: DbOption = Path("qa.duckdb"),
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


@users_app.command("reset-password")
def reset_password_command(
    username: Annotated[str, typer.Argument(help="The user whose password to replace.")],
    db: DbOption = Path("qa.duckdb"),
) -> None:
    """Set a new password, read from the first line of standard input; the user's open sessions end."""
    from qa_engine.auth.admin import reset_password
    from qa_engine.review.audit import Actor

    password = _stdin_password()
    change = reset_password(
        _admin_db(db), username, password, Actor.cli(f"qa users reset-password {username}")
    )
    typer.echo(f"reset the password of {username}; {change.sessions_ended} open session(s) ended")
