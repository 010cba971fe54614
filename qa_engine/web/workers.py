"""`qa serve --workers N`: several server processes over one PostgreSQL store.

uvicorn starts worker processes from an import string, not from an app object, so the parent puts the serving
settings in each worker's environment (`SETTINGS_ENV`; the store's URL, password included, travels there and never
on a command line) and every worker builds its own app with `app_from_environment`. Nothing a request needs lives
in one process: sessions, login failures, reviews and the audit log are rows of the store, so any worker can answer
any request. A DuckDB file takes one writing process, so more than one worker needs a PostgreSQL store.
"""

from __future__ import annotations

import json
import os
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from qa_engine.store.location import raw, store_location

if TYPE_CHECKING:  # FastAPI is imported by the worker that serves, not by `qa --help`
    from fastapi import FastAPI

SETTINGS_ENV = "QA_SERVE_SETTINGS"


def export_settings(db: str | Path, session_hours: float, audit_days: int) -> None:
    """Put the serving settings where the worker processes uvicorn starts will read them."""
    os.environ[SETTINGS_ENV] = json.dumps(
        {"db": raw(db), "session_hours": session_hours, "audit_days": audit_days}
    )


def app_from_environment() -> FastAPI:
    """The app one worker serves (uvicorn's factory for `qa serve --workers N`)."""
    from qa_engine.review.audit import AuditLog
    from qa_engine.web.app import create_app

    settings = json.loads(os.environ[SETTINGS_ENV])
    return create_app(
        store_location(settings["db"]),
        session_ttl=timedelta(hours=settings["session_hours"]),
        audit_log=AuditLog(retention=timedelta(days=settings["audit_days"])),
    )
