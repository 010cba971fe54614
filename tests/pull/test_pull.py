"""`qa pull` end to end: helpdesk stand-ins, a SQLite database and a folder, scored into a real store.

What the contract promises (CONTRACT.md section 6): every conversation lands once, scored like `qa score`; the
next pull fetches exactly what changed since the saved cursor; a pull that dies halfway loses nothing and scores
nothing twice; a failing source is one line and the others still run; secrets appear nowhere.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

from qa_engine.pipeline import Engine, ScoreConfig
from qa_engine.pull import pull_sources
from qa_engine.pull.state import PullState
from qa_engine.store import Store
from tests.conftest import TICKETS
from tests.pull import data
from tests.pull.helpdesks import Fault, Freshdesk, Gorgias, Zendesk

pytestmark = pytest.mark.slow

ZD_TOKEN, FD_KEY, GG_KEY = "zd-token-Secret-1a2b", "fd-key-Secret-3c4d", "gg-key-Secret-5e6f"


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine(ScoreConfig())


@pytest.fixture
def secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ZD_TOKEN", ZD_TOKEN)
    monkeypatch.setenv("FD_KEY", FD_KEY)
    monkeypatch.setenv("GG_KEY", GG_KEY)


def sources_file(tmp_path: Path, *entries: str) -> Path:
    path = tmp_path / "SOURCES.yaml"
    path.write_text("sources:\n" + "".join(entries), encoding="utf-8")
    return path


def zendesk_entry(url: str, name: str = "zd") -> str:
    return (
        f"  - name: {name}\n    kind: zendesk\n    url: {url}\n    email: bot@acme.example\n"
        "    token_env: ZD_TOKEN\n    start: 2026-11-01\n    retries: 3\n"
    )


def freshdesk_entry(url: str) -> str:
    return (
        f"  - name: fd\n    kind: freshdesk\n    url: {url}\n    api_key_env: FD_KEY\n    start: 2026-11-01\n"
    )


def gorgias_entry(url: str) -> str:
    return (
        f"  - name: gg\n    kind: gorgias\n    url: {url}\n    username: bot@acme.example\n"
        "    api_key_env: GG_KEY\n    start: 2026-11-01\n"
    )


@pytest.fixture(params=["duckdb", "postgres"])
def store_at(request: pytest.FixtureRequest, tmp_path: Path):
    """Where the pull stores: a DuckDB file, and (CONTRACT.md section 7) a fresh PostgreSQL database."""
    if request.param == "duckdb":
        yield tmp_path / "qa.duckdb"
        return
    from tests.pgsupport import Databases

    made = Databases()
    try:
        yield made.empty()
    finally:
        made.drop()


def stored(db: Path, sql: str) -> pl.DataFrame:
    return Store(db).query(sql)


def by_source(summary) -> dict[str, object]:
    return {s.name: s for s in summary.sources}


def test_every_helpdesk_ticket_lands_once_and_the_next_pull_fetches_only_what_changed(
    tmp_path: Path, engine: Engine, secrets: None, store_at
) -> None:
    with (
        Zendesk("bot@acme.example", ZD_TOKEN) as zd,
        Freshdesk(FD_KEY) as fd,
        Gorgias("bot@acme.example", GG_KEY) as gg,
    ):
        data.fill_zendesk(zd), data.fill_freshdesk(fd), data.fill_gorgias(gg)
        zd.faults.append(
            Fault("/incremental/", 429, {"Retry-After": "1"}, skip=1)
        )  # on the export's 2nd page
        fd.faults.append(Fault("/conversations", 503))
        config = sources_file(tmp_path, zendesk_entry(zd.url), freshdesk_entry(fd.url), gorgias_entry(gg.url))
        db, out = store_at, tmp_path / "out"
        first = pull_sources(config, None, ScoreConfig(db=db, out=out), engine=engine)
        assert not first.failed, [s.error for s in first.failed]
        results = by_source(first)
        want = {"zd": len(data.ZENDESK_CHANNELS) + 1, "fd": len(data.FRESHDESK_SOURCES) + 1,
                "gg": len(data.GORGIAS_CHANNELS) + 1}  # fmt: skip
        assert {name: results[name].scored for name in want} == want
        assert {name: results[name].quarantined for name in want} == {"zd": 2, "fd": 2, "gg": 2}
        tickets = stored(db, "SELECT ticket_id, channel, csat, tier, source FROM tickets")
        assert (
            tickets.height == sum(want.values()) and tickets["tier"].is_in(["red", "yellow", "green"]).all()
        )
        assert set(pl.read_parquet(out / "tickets.parquet")["ticket_id"]) == set(tickets["ticket_id"])
        row = {r["ticket_id"]: r for r in tickets.iter_rows(named=True)}
        assert (row["zd:100"]["csat"], row["zd:101"]["csat"], row["zd:102"]["csat"]) == (5, 1, None)
        assert (row["zd:105"]["channel"], row["fd:4"]["channel"], row["gg:703"]["channel"]) == (
            "phone",
            "phone",
            "social",
        )
        quarantine = stored(db, "SELECT source, reason FROM quarantine ORDER BY ALL").rows()
        assert ("zd:ticket/201", "no_usable_turn") in quarantine and (
            "gg:ticket/802",
            "missing_author",
        ) in quarantine
        texts = stored(db, "SELECT text FROM turns")["text"].to_list()
        assert data.PRIVATE_NOTE not in " ".join(texts)
        runs = stored(db, "SELECT status, inputs, summary FROM runs")
        assert runs["status"].to_list() == ["finished"]
        assert json.loads(runs["inputs"][0]) == [
            "pull:zd (zendesk)",
            "pull:fd (freshdesk)",
            "pull:gg (gorgias)",
        ]

        # a QA lead reviews a ticket; then it gets a new comment, other tickets change and a new one arrives
        with Store(db).connect() as con:
            con.execute(
                "INSERT INTO reviews VALUES ('r1', 'zd:105', 1, 'lead', 'green', '{}', '{}', 'green', '{}', "
                "'fine', now(), '2001', NULL)"
            )
        zd.tickets[105]["updated_at"] = data.stamp(0, day=21)
        zd.comments[105].append(
            data.zendesk_comment(9001, data.CUSTOMER, "Where is it now? This is taking forever!", 99)
        )
        zd.put(data.zendesk_ticket(300, "chat", 0, updated_at=data.stamp(1, day=21)), list(zd.comments[104]))
        fd.tickets[2]["updated_at"] = data.stamp(0, day=21)
        fd.conversations[2].append(data.freshdesk_conversation(9002, True, data.CUSTOMER, "Any news?", 99))
        zd.tickets[103]["satisfaction_rating"] = {"score": "bad"}  # a new rating, no new comment
        zd.tickets[103]["updated_at"] = data.stamp(2, day=21)
        gg.tickets[703]["updated_datetime"] = data.stamp(0, day=21)
        gg.tickets[703]["status"] = "open"  # touched, but no new message: fetched, then unchanged by content
        for desk in (zd, fd, gg):
            desk.log.clear()
        second = pull_sources(config, None, ScoreConfig(db=db, out=tmp_path / "out2"), engine=engine)
        results = by_source(second)
        assert {n: (results[n].read, results[n].scored) for n in want} == {
            "zd": (3, 3),
            "fd": (1, 1),
            "gg": (1, 0),
        }
        assert results["gg"].unchanged == 1
        assert sorted({p.split("/")[4] for p in zd.fetched("/comments.json")}) == ["103", "105", "300"]
        assert stored(db, "SELECT csat FROM tickets WHERE ticket_id = 'zd:103'")["csat"][0] == 1
        assert fd.fetched("/conversations") == ["/api/v2/tickets/2/conversations"]
        assert set(gg.fetched("/messages")) == {"/api/tickets/703/messages"}
        assert "cursor" in zd.log[0][1] and "start_time" not in zd.log[0][1]  # from the saved cursor
        assert fd.log[0][1]["updated_since"] > "2026-11-20T09:"
        assert sorted(pl.read_parquet(tmp_path / "out2" / "tickets.parquet")["ticket_id"]) == [
            "fd:2", "gg:703", "zd:103", "zd:105", "zd:300",
        ]  # fmt: skip
        assert stored(db, "SELECT count(*) AS n FROM turns WHERE ticket_id = 'zd:105'")["n"][0] == 4
        assert stored(db, "SELECT count(*) AS n FROM reviews WHERE ticket_id = 'zd:105'")["n"][0] == 1
        assert stored(db, "SELECT count(*) AS n FROM tickets")["n"][0] == sum(want.values()) + 1

        for desk in (zd, fd, gg):
            desk.log.clear()
        third = pull_sources(config, None, ScoreConfig(db=db), engine=engine)
        assert sum(s.scored + s.read for s in third.sources) == 0 and not third.failed
        assert not zd.fetched("/comments.json") + fd.fetched("/conversations") + gg.fetched("/messages")


def test_a_pull_that_dies_halfway_loses_nothing_and_scores_nothing_twice(
    tmp_path: Path, engine: Engine, secrets: None, monkeypatch: pytest.MonkeyPatch, store_at
) -> None:
    with Zendesk("bot@acme.example", ZD_TOKEN) as zd:
        data.fill_zendesk(zd)
        total = len(data.ZENDESK_CHANNELS) + 1
        config = sources_file(tmp_path, zendesk_entry(zd.url))
        db = store_at
        # the export's third page fails past every retry: the source fails, keeping pages 1-2 and their cursor
        zd.faults.append(Fault("/incremental/", 500, skip=2, times=10))
        first = pull_sources(config, None, ScoreConfig(db=db), engine=engine)
        (failed,) = first.failed
        assert failed.name == "zd" and "HTTP 500" in failed.error and failed.scored == 4
        assert stored(db, "SELECT status FROM runs")["status"].to_list() == ["failed"]
        zd.faults.clear()
        # the next pull resumes at the saved cursor; then the process "dies" between storing a page and saving
        # its cursor (the cursor is saved after the store, never before)
        real, calls = PullState.save_page, []

        def dies_on_the_second_page(self, *args, **kwargs):
            calls.append(1)
            if len(calls) == 2:
                raise RuntimeError("killed")
            return real(self, *args, **kwargs)

        monkeypatch.setattr(PullState, "save_page", dies_on_the_second_page)
        zd.log.clear()
        second = pull_sources(config, None, ScoreConfig(db=db), engine=engine)
        assert "cursor" in zd.log[0][1]
        assert second.failed and by_source(second)["zd"].scored == 4
        monkeypatch.setattr(PullState, "save_page", real)
        third = pull_sources(config, None, ScoreConfig(db=db), engine=engine)
        zd3 = by_source(third)["zd"]
        assert not third.failed
        assert zd3.unchanged == 2  # the page stored before the "crash": read again, not scored again
        scored = first.sources[0].scored + second.sources[0].scored + zd3.scored
        assert scored == total  # each ticket scored exactly once over the three pulls
        assert stored(db, "SELECT count(*) AS n FROM tickets")["n"][0] == total


def test_a_wrong_token_fails_that_source_in_one_line_and_no_secret_is_kept_anywhere(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "day1.jsonl").write_text("\n".join(json.dumps(t) for t in TICKETS) + "\n", encoding="utf-8")
    with Zendesk("bot@acme.example", ZD_TOKEN) as zd, Freshdesk(FD_KEY) as fd:
        data.fill_zendesk(zd), data.fill_freshdesk(fd)
        config = sources_file(
            tmp_path, zendesk_entry(zd.url), freshdesk_entry(fd.url),
            f"  - name: inbox\n    kind: folder\n    path: {inbox}\n",
        )  # fmt: skip
        env = {**os.environ, "ZD_TOKEN": "wrong-Secret-token-9z", "FD_KEY": FD_KEY, "PYTHONPATH": os.getcwd()}
        db, out = tmp_path / "qa.duckdb", tmp_path / "out"
        done = subprocess.run(
            [sys.executable, "-m", "qa_engine", "pull", "--config", str(config), "--db", str(db), "--out", str(out)],
            capture_output=True, text=True, env=env, timeout=600,
        )  # fmt: skip
    assert done.returncode == 1, done.stderr
    failures = [line for line in done.stderr.splitlines() if "FAILED" in line]
    assert failures == [
        "qa pull: zd: FAILED: GET /api/v2/incremental/tickets/cursor.json: HTTP 401 Unauthorized: check its credentials"
    ] or (len(failures) == 1 and "zd" in failures[0] and "401" in failures[0])
    assert "qa: [Q976] 1 of 3 sources failed: zd" in done.stderr
    assert "Traceback" not in done.stderr
    tickets = Store(db).query("SELECT ticket_id FROM tickets")["ticket_id"].to_list()
    assert len(tickets) == len(data.FRESHDESK_SOURCES) + 1 + len(TICKETS)  # the other sources still ran
    # no secret anywhere: the store's every table, the run's outputs, what the command printed
    dump = [done.stdout, done.stderr]
    with Store(db).connect(read_only=True) as con:
        for (table,) in con.execute("SELECT table_name FROM information_schema.tables").fetchall():
            dump.append(str(con.execute(f'SELECT * FROM "{table}"').fetchall()))
    for file in out.iterdir():
        dump.append(str(pl.read_parquet(file).rows()) if file.suffix == ".parquet" else file.read_text())
    text = "\n".join(dump)
    assert "pull:zd (zendesk)" in text  # the dump did reach the runs table
    for secret in ("wrong-Secret-token-9z", FD_KEY, ZD_TOKEN):
        assert secret not in text


def test_sql_pulls_keyset_pages_and_then_exactly_the_changed_tickets(
    tmp_path: Path, engine: Engine, monkeypatch
) -> None:
    path = tmp_path / "helpdesk.sqlite"
    con = sqlite3.connect(path)
    con.execute(
        "CREATE TABLE turns (ticket_id TEXT, turn_index INTEGER, speaker TEXT, text TEXT, ts TEXT, agent_id TEXT, "
        "channel TEXT, language TEXT, team TEXT, customer_id TEXT, created_at TEXT, updated_at TEXT)"
    )

    def add(
        tid: str, index: int, speaker: str, text: str, minute: int, updated: str, channel: str = "chat"
    ) -> None:
        con.execute(
            "INSERT INTO turns VALUES (?, ?, ?, ?, ?, ?, ?, 'en', 'EU-1', 'c-1', ?, ?)",
            [tid, index, speaker, text, data.stamp(minute), "a-1" if speaker == "agent" else None, channel,
             data.stamp(0), updated],
        )  # fmt: skip

    for n in range(5):
        add(f"S-{n}", 0, "customer", data.QUESTION, n, f"2026-11-20 10:0{n}:00")
        add(f"S-{n}", 1, "agent", data.ANSWER, n + 1, f"2026-11-20 10:0{n}:00")
    add("S-bad", 0, "customer", data.QUESTION, 1, "2026-11-20 10:09:00", channel="chat")
    add("S-bad", 1, "agent", data.ANSWER, 2, "2026-11-20 10:09:00", channel="email")
    con.commit()
    (tmp_path / "turns.sql").write_text("SELECT * FROM turns;\n", encoding="utf-8")
    monkeypatch.setenv("DWH_URL", f"sqlite:///{path}")
    config = sources_file(
        tmp_path, "  - name: dwh\n    kind: sql\n    url_env: DWH_URL\n    query: turns.sql\n"
        "    start: 2026-11-01\n    page_tickets: 2\n",
    )  # fmt: skip
    db = tmp_path / "qa.duckdb"
    first = by_source(pull_sources(config, None, ScoreConfig(db=db), engine=engine))["dwh"]
    assert (first.pages, first.scored, first.quarantined) == (3, 5, 1)
    assert stored(db, "SELECT source FROM quarantine")["source"].to_list() == ["dwh:ticket/S-bad"]
    assert sorted(stored(db, "SELECT ticket_id FROM tickets")["ticket_id"]) == [f"S-{n}" for n in range(5)]
    # a new turn on S-1 and a new ticket S-9
    add("S-1", 2, "customer", "Thanks, that solved it!", 9, "2026-11-21 08:00:00")
    add("S-9", 0, "customer", data.QUESTION, 0, "2026-11-21 08:01:00")
    add("S-9", 1, "agent", data.ANSWER, 1, "2026-11-21 08:01:00")
    con.commit()
    con.close()
    second = by_source(pull_sources(config, None, ScoreConfig(db=db), engine=engine))["dwh"]
    assert (second.listed, second.read, second.scored) == (2, 2, 2)
    assert stored(db, "SELECT count(*) AS n FROM turns WHERE ticket_id = 'S-1'")["n"][0] == 3
    cursor = PullState(Store(db)).cursor("dwh")
    assert cursor == {"updated_at": {"type": "str", "value": "2026-11-21 08:01:00"}, "ticket_id": "S-9"}


def test_folder_keeps_a_ledger_of_files_not_modification_times(tmp_path: Path, engine: Engine) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    lines = [json.dumps(t) for t in TICKETS]
    first_file = inbox / "day1.jsonl"
    first_file.write_text("\n".join(lines) + "\n", encoding="utf-8")
    os.utime(first_file, (0, 0))  # copied in with a 1970 time stamp: still new to the ledger
    (inbox / "broken.jsonl").write_text("not json at all\n", encoding="utf-8")
    config = sources_file(tmp_path, f"  - name: inbox\n    kind: folder\n    path: {inbox}\n")
    db = tmp_path / "qa.duckdb"
    first = pull_sources(config, None, ScoreConfig(db=db), engine=engine)
    (result,) = first.sources
    assert result.status == "failed" and "broken.jsonl" in result.error and result.scored == 3
    (inbox / "broken.jsonl").unlink()
    shutil.copy(first_file, inbox / "day1-again.jsonl")  # the same file delivered twice
    again = by_source(pull_sources(config, None, ScoreConfig(db=db), engine=engine))["inbox"]
    assert (again.status, again.read, again.skipped) == ("ok", 0, 2)
    changed = json.loads(lines[2])
    changed["turns"][1]["text"] = "Guten Tag, hier ist Jonas. Das Etikett kommt heute per E-Mail."
    (inbox / "day2.jsonl").write_text("\n".join([lines[0], json.dumps(changed)]) + "\n", encoding="utf-8")
    third = by_source(pull_sources(config, None, ScoreConfig(db=db), engine=engine))["inbox"]
    assert (third.read, third.scored, third.unchanged) == (2, 1, 1)
    ledger = stored(db, "SELECT item, version, detail FROM pull_ledger ORDER BY detail")
    assert ledger["detail"].to_list() == [str(first_file), str(inbox / "day2.jsonl")]
    assert ledger["item"].str.starts_with("sha256:").all()


# PostgreSQL: a throwaway cluster from the local server binaries ----------------------------------------------------
PG_PASSWORD = "pg-Secret-pass-7g8h"


@pytest.fixture(scope="module")
def postgres():
    """A PostgreSQL server on 127.0.0.1 with password auth, for this module; skipped where none is installed."""
    import socket

    initdb = shutil.which("initdb") or next(
        iter(sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))), None
    )
    if not initdb:
        pytest.skip("no PostgreSQL server binaries (initdb) on this machine")
    bin_dir = Path(initdb).resolve().parent
    import tempfile

    root = Path(
        tempfile.mkdtemp(prefix="qa-pg-")
    )  # not under pytest's root-only folders: postgres must reach it
    data_dir, pwfile = root / "data", root / "pw"
    pwfile.write_text(PG_PASSWORD + "\n")
    as_user: list[str] = []
    if os.geteuid() == 0:  # initdb refuses root: run the server as the postgres user
        shutil.chown(root, "postgres")
        shutil.chown(pwfile, "postgres")
        as_user = ["runuser", "-u", "postgres", "--"]
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    run = lambda *cmd: subprocess.run([*as_user, *cmd], check=True, capture_output=True, timeout=120)  # noqa: E731
    run(
        str(bin_dir / "initdb"), "-D", str(data_dir), "-U", "qa", "--auth=scram-sha-256", f"--pwfile={pwfile}"
    )
    run(
        str(bin_dir / "pg_ctl"), "-D", str(data_dir), "-w", "-l", str(root / "log"), "start",
        "-o", f"-p {port} -k {root} -c listen_addresses=127.0.0.1",
    )  # fmt: skip
    try:
        yield f"postgresql://qa:{PG_PASSWORD}@127.0.0.1:{port}/postgres"
    finally:
        run(str(bin_dir / "pg_ctl"), "-D", str(data_dir), "-m", "fast", "stop")
        shutil.rmtree(root, ignore_errors=True)


def test_sql_pulls_from_postgresql_and_a_wrong_password_stays_secret(
    tmp_path: Path, engine: Engine, postgres: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sqlalchemy as sa

    from qa_engine.pull.sql import _with_installed_driver

    db_engine = sa.create_engine(_with_installed_driver(postgres))
    with db_engine.begin() as con:
        con.execute(sa.text("DROP TABLE IF EXISTS chats"))
        con.execute(
            sa.text(
                "CREATE TABLE chats (ticket_id TEXT, turn_index INT, speaker TEXT, text TEXT, ts TIMESTAMPTZ, "
                "agent_id TEXT, channel TEXT, updated_at TIMESTAMPTZ)"
            )
        )
        for n in range(3):
            for index, (speaker, text) in enumerate((("customer", data.QUESTION), ("agent", data.ANSWER))):
                con.execute(
                    sa.text("INSERT INTO chats VALUES (:t, :i, :s, :x, :ts, :a, 'email', :u)"),
                    {"t": f"PG-{n}", "i": index, "s": speaker, "x": text, "ts": data.stamp(n + index),
                     "a": "a-1" if speaker == "agent" else None, "u": f"2026-11-20T10:0{n}:00.123456Z"},
                )  # fmt: skip
    (tmp_path / "q.sql").write_text(
        "SELECT ticket_id, turn_index, speaker, text, ts, agent_id, channel, updated_at FROM chats"
    )
    config = sources_file(
        tmp_path, "  - name: pg\n    kind: sql\n    url_env: PG_URL\n    query: q.sql\n    start: 2026-11-01\n"
        "    page_tickets: 2\n",
    )  # fmt: skip
    monkeypatch.setenv("PG_URL", postgres)
    db = tmp_path / "qa.duckdb"
    first = by_source(pull_sources(config, None, ScoreConfig(db=db), engine=engine))["pg"]
    assert (first.status, first.pages, first.scored) == ("ok", 2, 3), first.error
    with db_engine.begin() as con:
        con.execute(
            sa.text("INSERT INTO chats VALUES ('PG-1', 2, 'customer', 'Thank you!', :ts, NULL, 'email', :u)"),
            {"ts": data.stamp(30), "u": "2026-11-21T08:00:00Z"},
        )
    second = by_source(pull_sources(config, None, ScoreConfig(db=db), engine=engine))["pg"]
    assert (second.read, second.scored) == (1, 1)
    assert stored(db, "SELECT count(*) AS n FROM turns WHERE ticket_id = 'PG-1'")["n"][0] == 3
    db_engine.dispose()

    monkeypatch.setenv("PG_URL", postgres.replace(PG_PASSWORD, "wrong-Pg-pass-0"))
    failed = by_source(pull_sources(config, None, ScoreConfig(db=db), engine=engine))["pg"]
    assert failed.status == "failed" and "password authentication failed" in failed.error
    runs = str(stored(db, "SELECT * FROM runs").rows())
    assert "wrong-Pg-pass-0" not in failed.error + runs and PG_PASSWORD not in runs
