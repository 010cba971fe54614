"""Stores for the review app's tests, and clients signed in as each role.

Two kinds of store. `web_db`: a small hand-built store written through `Store.write_results` (fast, exact: we know
which ticket is whose, which words are evidence, where the script injection sits). `scored_db`: the bundled example
tickets scored once per test session with the real default models (for the end-to-end browser tests). Tests copy the
template file, so each test mutates its own store.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from qa_engine.auth.users import FAST_HASH_ENV
from qa_engine.web.app import create_app
from qa_engine.web.deps import CSRF_FIELD
from tests.pgsupport import Databases, on_postgres

from .support import PASSWORD, add_users, write_store

# Real argon2id, with cheap parameters: these tests sign in hundreds of times (test_auth checks the real defaults).
# Honoured only while a test runs (users.fast_hashing); a process a test starts is marked with QA_TESTING=1.
os.environ.setdefault(FAST_HASH_ENV, "1")

CSRF_VALUE = re.compile(rf'(name="{CSRF_FIELD}" value=")[^"]*')


@pytest.fixture(scope="session")
def web_db_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("web") / "template.duckdb"
    write_store(path)
    return path


@pytest.fixture
def databases() -> Iterator[Databases]:
    """PostgreSQL databases of one test, dropped after it."""
    made = Databases()
    yield made
    made.drop()


@pytest.fixture(scope="module")
def module_databases() -> Iterator[Databases]:
    made = Databases()
    yield made
    made.drop()


def store_copy(template: Path, path: Path, databases: Databases) -> Path:
    """A copy of a template store: a DuckDB file, or (QA_TEST_BACKEND=postgres) a new PostgreSQL database."""
    if on_postgres():
        return databases.copy_of(template)
    shutil.copy(template, path)
    return path


@pytest.fixture
def web_db(web_db_template: Path, tmp_path: Path, databases: Databases) -> Path:
    """A fresh copy of the hand-built store for one test."""
    return store_copy(web_db_template, tmp_path / "qa.duckdb", databases)


@pytest.fixture
def app(web_db: Path):
    return create_app(web_db)


class Signed:
    """A test client signed in as one user, with the CSRF token for mutating calls."""

    def __init__(self, client: TestClient, csrf: str) -> None:
        self.client, self.csrf = client, csrf

    def get(self, url: str, **kw):
        return self.client.get(url, **kw)

    def page(self, url: str) -> str:
        """The HTML of a page with its random CSRF token blanked, for "this id is not on the page" checks
        (a 43-character token holds "T2" about once in a hundred pages)."""
        return CSRF_VALUE.sub(r"\1", self.client.get(url).text)

    def post(self, url: str, json=None, csrf: bool = True, **kw):
        headers = {"X-CSRF-Token": self.csrf} if csrf else {}
        headers.update(kw.pop("headers", {}))
        return self.client.post(url, json=json, headers=headers, **kw)


@pytest.fixture
def login(app) -> Callable[[str], Signed]:
    """login("lead") -> a client signed in as that user (each call a new browser)."""
    clients: list[TestClient] = []

    def sign_in(username: str) -> Signed:
        signed = _sign_in(app, username)
        clients.append(signed.client)
        return signed

    yield sign_in
    for client in clients:
        client.close()


@pytest.fixture(scope="module")
def shared_db(
    web_db_template: Path, tmp_path_factory: pytest.TempPathFactory, module_databases: Databases
) -> Path:
    """One copy of the hand-built store for a whole module of tests that only read (or are refused)."""
    return store_copy(web_db_template, tmp_path_factory.mktemp("shared") / "qa.duckdb", module_databases)


@pytest.fixture(scope="module")
def shared_app(shared_db: Path):
    return create_app(shared_db)


@pytest.fixture(scope="module")
def shared_login(shared_app) -> Iterator[Callable[[str], Signed]]:
    """Like `login`, over the module's shared store, one session per user (argon2 is slow on purpose)."""
    signed: dict[str, Signed] = {}

    def sign_in(username: str) -> Signed:
        if username not in signed:
            signed[username] = _sign_in(shared_app, username)
        return signed[username]

    yield sign_in
    for s in signed.values():
        s.client.close()


def _sign_in(app, username: str) -> Signed:
    client = TestClient(app, raise_server_exceptions=False)
    response = client.post("/api/login", json={"username": username, "password": PASSWORD})
    assert response.status_code == 200, response.text
    return Signed(client, response.json()["csrf_token"])


@pytest.fixture
def anon(app) -> Iterator[TestClient]:
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


@pytest.fixture(scope="session")
def scored_db_template(scored_examples, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundled examples scored once per run with the real default models (a copy), plus the test users."""
    path = tmp_path_factory.mktemp("scored") / "template.duckdb"
    shutil.copy(scored_examples.db, path)
    add_users(path)
    return path


@pytest.fixture
def scored_db(scored_db_template: Path, tmp_path: Path, databases: Databases) -> Path:
    return store_copy(scored_db_template, tmp_path / "scored.duckdb", databases)
