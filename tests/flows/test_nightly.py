"""The nightly Prefect flow, run for real on Prefect's temporary local server (offline)."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow


@pytest.fixture(scope="session")
def prefect_harness():
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield


def test_nightly_scores_new_files_then_skips_them(prefect_harness, tmp_path: Path, ticket_file: Path) -> None:
    from flows.nightly import nightly

    inbox = tmp_path / "inbox"
    inbox.mkdir()
    shutil.copy(ticket_file, inbox / "day1.jsonl")
    old = time.time() - 3600
    os.utime(inbox / "day1.jsonl", (old, old))
    db = str(tmp_path / "qa.duckdb")
    first = nightly(source=str(inbox), db=db, out=str(tmp_path / "out"))
    assert (first["files"], first["read"], first["scored"], first["quarantined"]) == (1, 3, 3, 2)
    assert (tmp_path / "out" / "tickets.parquet").exists()

    second = nightly(source=str(inbox), db=db)
    assert second["files"] == 0  # nothing newer than the last successful run

    (inbox / "day2.jsonl").write_text((inbox / "day1.jsonl").read_text())
    third = nightly(source=str(inbox), db=db)
    assert third["files"] == 1
    assert (third["read"], third["unchanged"], third["scored"]) == (3, 3, 0)


def test_schedule_builds_a_cron_deployment_offline(tmp_path: Path) -> None:
    from flows.nightly import nightly_deployment

    deployment = nightly_deployment(str(tmp_path), "qa.duckdb", None, "0 2 * * *", "Europe/Berlin")
    assert deployment.name == "nightly-qa"
    (schedule,) = deployment.schedules
    assert schedule.schedule.cron == "0 2 * * *"
    assert schedule.schedule.timezone == "Europe/Berlin"
    assert deployment.parameters["source"] == str(tmp_path)
