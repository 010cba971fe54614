"""Reports from a PostgreSQL store (CONTRACT.md section 7): the same figures as from the DuckDB store it was copied
from with `qa store copy`. The planted store (KPIs, key issues, three coaching sessions) is rendered from both and
the HTML compared whole; the scored examples' aggregates (`load_period`) are compared frame by frame."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from qa_engine import paths
from qa_engine.kpi import add_session
from qa_engine.reports import render_agent_report, render_team_report
from qa_engine.reports.period import resolve_period
from qa_engine.reports.queries import load_period, store_facts
from qa_engine.reports.rulebook import DEFAULT_SLA_SECONDS
from qa_engine.store import Store
from qa_engine.store.location import StoreUrl
from tests.pgsupport import Databases

from .planted import FOCUS, PERIOD, SESSION_DAY, build_store
from .support import metrics

START, END = PERIOD
GENERATED = re.compile(
    r"Generated \d{4}-\d\d-\d\d \d\d:\d\d UTC"
)  # the one line that differs: the time of writing


@pytest.fixture(scope="module")
def databases() -> Iterator[Databases]:
    made = Databases()
    yield made
    made.drop()


@pytest.fixture(scope="module")
def planted(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = build_store(tmp_path_factory.mktemp("planted-pg") / "qa.duckdb")
    add_session(db, "a-good", SESSION_DAY, [FOCUS], note="Role-play the closing", practice=True)
    add_session(db, "a-flat", SESSION_DAY, [FOCUS], note="Talked it through")
    add_session(db, "a-few", SESSION_DAY, [FOCUS])
    return db


@pytest.fixture(scope="module")
def planted_pg(planted: Path, databases: Databases) -> StoreUrl:
    return databases.copy_of(planted)


def _html(render, db, subject, out: Path) -> str:
    files = render(db, subject, out, START, END)
    assert files.pdf.stat().st_size > 0
    return GENERATED.sub("Generated -", files.html.read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    ("render", "subject"),
    [(render_agent_report, "a-good"), (render_agent_report, "a-few"), (render_team_report, "T1"),
     (render_team_report, None)],
)  # fmt: skip
def test_a_report_from_postgresql_is_the_report_from_duckdb(
    planted: Path, planted_pg: str, tmp_path: Path, render, subject
) -> None:
    url = planted_pg
    from_duckdb = _html(render, planted, subject, tmp_path / "duckdb")
    from_postgres = _html(render, url, subject, tmp_path / "postgres")
    shown = metrics(from_postgres)
    assert any(name.startswith("kpi.") for name in shown)  # the KPI figures are there to compare
    assert from_postgres == from_duckdb


def test_qa_report_takes_a_postgresql_url_and_never_shows_its_password(
    planted_pg: StoreUrl, tmp_path: Path, qa
) -> None:
    url = planted_pg
    password = urlsplit(url.url).password
    code, out, err = qa("report", "agent", "a-good", "--db", url.url, "--out", str(tmp_path),
                        "--from", str(START), "--to", str(END))  # fmt: skip
    assert code == 0, err
    assert (tmp_path / "a-good.html").exists() and (tmp_path / "a-good.pdf").exists()
    code, out2, err2 = qa("report", "agent", "nobody", "--db", url.url, "--out", str(tmp_path))
    assert code != 0 and "nobody" in err2  # an unknown agent is named, the store shown without credentials
    if password:
        assert password not in out + err + out2 + err2


def _frames(data) -> dict[str, pl.DataFrame]:
    """Every frame of the period; times in one zone name (PostgreSQL's session zone reads as Etc/UTC: the same
    instants under another name)."""
    frames = {
        name: value
        for name, value in vars(data).items()
        if isinstance(value, pl.DataFrame) and name != "tickets"
    } | {"tickets": data.tickets.drop("tier_evidence")}
    zoned = pl.col(pl.Datetime(time_zone="*"))
    return {name: frame.with_columns(zoned.dt.convert_time_zone("UTC")) for name, frame in frames.items()}


@pytest.mark.slow  # the session store is scored with the real models
def test_every_aggregate_of_the_scored_examples_is_the_same_on_postgresql(
    scored_store: Path, databases: Databases
) -> None:
    url = databases.copy_of(scored_store)
    got = {}
    for db in (scored_store, url):
        store = Store(db)
        period = resolve_period(None, None, store_facts(store).latest_day)
        got[str(db)] = _frames(load_period(store, period, DEFAULT_SLA_SECONDS))
    duck, pg = got.values()
    examples = (paths.examples_dir() / "tickets.jsonl").read_text(encoding="utf-8").splitlines()
    assert duck["tickets"].height == len(examples)  # every example ticket falls in the default period
    for name, frame in duck.items():
        other = pg[name]
        scalar = [c for c, t in frame.schema.items() if not isinstance(t, pl.List | pl.Struct)]
        (
            assert_frame_equal(
                other.sort(scalar, nulls_last=True),
                frame.sort(scalar, nulls_last=True),
                check_dtypes=False,
                check_column_order=False,
                rel_tol=1e-9,
            ),
            name,
        )
