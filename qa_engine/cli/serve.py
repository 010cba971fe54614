"""`qa serve`: the review app over a store, with its TLS and reverse-proxy options checked before uvicorn starts.

FastAPI and uvicorn are imported inside the command, so `qa serve --help` stays instant.
"""

from __future__ import annotations

import ipaddress
import logging
import ssl
from pathlib import Path
from typing import Annotated

import typer

from qa_engine.cli.options import DEFAULT_DB, DbOption
from qa_engine.errors import QAError
from qa_engine.store.location import is_url
from qa_engine.web.workers import app_from_environment, export_settings


def serve(
    db: DbOption = DEFAULT_DB,
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
    import uvicorn

    from qa_engine.auth.users import count_users
    from qa_engine.review.db import ReviewDB
    from qa_engine.web.access_log import log_config

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
    serving = {"host": host, "port": port, "log_level": "info", "server_header": False, "log_config": log_config(),
               **tls, **proxies}  # fmt: skip
    if workers == 1:
        uvicorn.run(app, **serving)
        return
    uvicorn.run("qa_engine.web.workers:app_from_environment", factory=True, workers=workers, **serving)


def tls_options(cert: Path | None, key: Path | None) -> dict:
    """uvicorn's ssl_certfile/ssl_keyfile, checked first (both or neither; a pair that loads), so a mistake is a
    one-line Q628 rather than a traceback from inside the server."""
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
    for value in trusted:
        try:
            ipaddress.ip_network(value, strict=False)
        except ValueError as exc:
            detail = "give an IP address or a network, e.g. 10.0.0.5 or 10.0.0.0/24"
            raise QAError("Q628", option="--trusted-proxy", value=value, detail=detail) from exc
    if not trusted:
        return {"proxy_headers": False}
    return {"proxy_headers": True, "forwarded_allow_ips": list(trusted)}
