"""PostgreSQL for the tests: the server `scripts/postgres.sh` starts (its URL in QA_TEST_PG_URL), a fresh database per
store, and the backend the store-using suites run on (QA_TEST_BACKEND=postgres runs the review-app, KPI and report
suites on PostgreSQL stores: each store a test makes is copied from the DuckDB one it would have used, with
`qa store copy`)."""

from __future__ import annotations

import os
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

from qa_engine.store.location import StoreUrl

PG_ENV = "QA_TEST_PG_URL"
BACKEND_ENV = "QA_TEST_BACKEND"


def backend() -> str:
    return os.environ.get(BACKEND_ENV, "duckdb")


def on_postgres() -> bool:
    return backend() == "postgres"


def server_url() -> str:
    """QA_TEST_PG_URL, else a skip on a developer's machine and a failure under CI (never a silent pass)."""
    url = os.environ.get(PG_ENV)
    if not url:
        message = f"{PG_ENV} is not set: run `export {PG_ENV}=$(./scripts/postgres.sh)`"
        if os.environ.get("CI") or on_postgres():
            pytest.fail(message)
        pytest.skip(message)
    return url


def new_database(server: str) -> str:
    """The URL of a new, empty database on the server."""
    import psycopg

    name = f"qa_t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(server, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    return urlunsplit(urlsplit(server)._replace(path=f"/{name}"))


def drop_database(server: str, url: str) -> None:
    import psycopg

    from qa_engine.store.pgconn import close_pool

    close_pool(url)
    name = urlsplit(url).path.lstrip("/")
    for attempt in range(20):  # an autovacuum worker on the new database can hold it a moment
        try:
            with psycopg.connect(server, autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            return
        except (psycopg.errors.InsufficientPrivilege, psycopg.errors.ObjectInUse):
            if attempt == 19:
                raise
            time.sleep(0.25)


class Databases:
    """Databases made for one test (or module), dropped at its end."""

    def __init__(self) -> None:
        self.made: list[tuple[str, str]] = []

    def copy_of(self, template: Path) -> StoreUrl:
        """A PostgreSQL store holding what the DuckDB store `template` holds."""
        from qa_engine.store.copy import copy_store

        server = server_url()
        url = new_database(server)
        self.made.append((server, url))
        copy_store(template, url)
        return StoreUrl(url)

    def empty(self) -> StoreUrl:
        server = server_url()
        url = new_database(server)
        self.made.append((server, url))
        return StoreUrl(url)

    def drop(self) -> None:
        for server, url in self.made:
            drop_database(server, url)
        self.made.clear()


# A test about the DuckDB file itself (its planner, its file on disk, a store file of an older release, DuckDB-only
# SQL in the test): it runs in the DuckDB run of the suite, not again under QA_TEST_BACKEND=postgres.
duckdb_only = pytest.mark.skipif(
    on_postgres(), reason="about a DuckDB store file; runs on the DuckDB backend"
)
