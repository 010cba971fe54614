"""`--db` and `QA_DB`: a DuckDB file, or a PostgreSQL URL whose password never shows (CONTRACT.md section 7)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from qa_engine.store.location import describe, is_url, redact

SECRET = "s3cr3t-Pa55"
URL = f"postgresql://qa:{SECRET}@db.example:5432/qa"
ENV = {
    **os.environ,
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "DO_NOT_TRACK": "1",
    "QA_TESTING": "1",
}


@pytest.mark.parametrize(
    ("value", "url"),
    [(URL, True), ("postgres://u@h/db", True), ("postgresql+psycopg://u:p@h/d", True), ("qa.duckdb", False),
     ("/data/postgresql/qa.duckdb", False), (Path("postgresql://a:b@h/d"), True)],
)  # fmt: skip
def test_is_url(value, url: bool) -> None:
    assert is_url(value) is url


def test_redact_and_describe_leave_the_password_out() -> None:
    assert (
        redact(f"could not connect to {URL}: refused")
        == "could not connect to postgresql://qa:***@db.example:5432/qa: refused"
    )
    assert redact(str(Path(URL))) == "postgresql:/qa:***@db.example:5432/qa"  # a Path collapses '//'
    assert describe(URL) == "postgresql://qa@db.example:5432/qa"
    assert describe("store/qa.duckdb") == "store/qa.duckdb"


def _qa(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "qa_engine", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=env or ENV,
    )


@pytest.mark.slow  # several `qa` processes, each importing the engine: about ten seconds
def test_commands_read_qa_db_and_never_show_a_urls_password(
    tmp_path: Path,
) -> None:
    store = tmp_path / "team.duckdb"
    added = subprocess.run(
        [sys.executable, "-m", "qa_engine", "users", "add", "lena", "--role", "qa_lead"],
        input="long enough password\n", capture_output=True, text=True, timeout=120,
        env={**ENV, "QA_DB": str(store)},
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    listed = _qa("users", "list", "--json", env={**ENV, "QA_DB": str(store)})
    assert listed.returncode == 0 and '"lena"' in listed.stdout
    assert not Path("qa.duckdb").exists() or Path("qa.duckdb").stat().st_mtime < store.stat().st_mtime

    for args, env, code in (
        (["users", "list", "--db", URL], ENV, "Q404"),  # works on PostgreSQL: the server cannot be reached
        (["kpi", "--db", URL], ENV, "Q404"),
        (["users", "list"], {**ENV, "QA_DB": URL}, "Q404"),
        (["report", "team", "--db", URL, "--out", str(tmp_path / "r")], ENV, "Q404"),
        (["tiers", "calibrate", "--dry-run"], {**ENV, "QA_DB": URL}, "Q404"),
    ):
        refused = _qa(*args, env=env)
        assert refused.returncode == 2, refused.stderr
        assert code in refused.stderr and len(refused.stderr.strip().splitlines()) == 1
        assert SECRET not in refused.stderr + refused.stdout
        assert "db.example" in refused.stderr
    assert not list(tmp_path.glob("postgres*")) and not Path("postgresql:").exists()
