"""User administration (CONTRACT.md section 2): QA leads in the app (API and page) and `qa users` on the server.

What matters: a disabled user or a reset password ends the user's sessions at once (their next request is refused),
a disabled user cannot sign in, a role change takes effect at the next request, only QA leads may do any of it (with
the CSRF token, from the app's own origin), and every change is in the audit log with who did it, never a password.
"""

from __future__ import annotations

import json
from pathlib import Path

from fastapi.testclient import TestClient
from typer.testing import CliRunner

from qa_engine.auth.sessions import find_session, start_session
from qa_engine.auth.users import User, authenticate
from qa_engine.errors import QAError
from qa_engine.review.db import ReviewDB
from qa_engine.store.location import raw
from tests.pgsupport import duckdb_only

from .support import PASSWORD, USERS, query
from .test_commands import users_cli

NEW_PASSWORD = "a brand new passphrase"


def _actions(db: Path) -> list[tuple]:
    return query(
        db, "SELECT username, method, path, code, reason, status FROM audit_log WHERE code LIKE 'user.%' "
        "ORDER BY logged_at",
    )  # fmt: skip


# API ----------------------------------------------------------------------------------------------------------------
def test_a_lead_lists_the_users_and_no_one_else_may(login) -> None:
    listed = login("lead").get("/api/users")
    assert listed.status_code == 200
    items = listed.json()["items"]
    assert [u["username"] for u in items] == sorted(USERS)
    assert items[0].keys() == {"username", "role", "team", "agent_id", "disabled"}
    agent1 = next(u for u in items if u["username"] == "agent1")
    assert agent1 == {
        "username": "agent1",
        "role": "agent",
        "team": "T1",
        "agent_id": "a-1",
        "disabled": False,
    }
    assert "password" not in listed.text and "argon2" not in listed.text
    for who in ("coach1", "agent1"):
        denied = login(who).get("/api/users")
        assert denied.status_code == 403 and denied.json()["code"] == "Q613"


def test_disabling_ends_the_sessions_at_once_and_refuses_logins(
    login, anon: TestClient, web_db: Path
) -> None:
    agent = login("agent1")
    other_browser = login("agent1")
    assert agent.get("/api/tickets").status_code == 200
    done = login("lead").post("/api/users/agent1/disable")
    assert done.status_code == 200, done.text
    assert done.json() == {
        "user": {"username": "agent1", "role": "agent", "team": "T1", "agent_id": "a-1", "disabled": True},
        "sessions_ended": 2,
    }
    for client in (agent, other_browser):
        refused = client.get("/api/tickets")
        assert refused.status_code == 401 and refused.json()["code"] == "Q610"
    assert query(web_db, "SELECT count(*) FROM sessions WHERE username = 'agent1'") == [(0,)]
    # the right password of a disabled user is answered like a wrong one
    again = anon.post("/api/login", json={"username": "agent1", "password": PASSWORD})
    assert again.status_code == 401 and again.json()["code"] == "Q611"

    assert login("lead").post("/api/users/agent1/enable").json()["user"]["disabled"] is False
    assert login("agent1").get("/api/tickets").status_code == 200
    actions = _actions(web_db)
    assert [a[3] for a in actions] == ["user.disable", "user.enable"]
    assert actions[0][:3] == ("lead", "POST", "/api/users/agent1/disable") and actions[0][5] == 200
    assert "2 session(s) ended" in actions[0][4]


def test_a_password_reset_ends_the_sessions_and_only_the_new_password_works(login, web_db: Path) -> None:
    agent = login("agent2")
    lead = login("lead")
    short = lead.post("/api/users/agent2/password", json={"password": "short"})
    assert short.status_code == 422 and short.json()["code"] == "Q605"
    assert agent.get("/api/tickets").status_code == 200  # a refused reset changes nothing
    done = lead.post("/api/users/agent2/password", json={"password": NEW_PASSWORD})
    assert done.status_code == 200 and done.json()["sessions_ended"] == 1
    assert agent.get("/api/tickets").status_code == 401
    db = ReviewDB(web_db)
    assert authenticate(db, "agent2", PASSWORD) is None
    assert authenticate(db, "agent2", NEW_PASSWORD) is not None
    [action] = _actions(web_db)
    assert action[3] == "user.reset_password" and "agent2" in action[4]
    everything = json.dumps(query(web_db, "SELECT * FROM audit_log"), default=str)
    assert NEW_PASSWORD not in everything and "short" not in everything


def test_a_role_change_takes_effect_at_the_next_request(login, web_db: Path) -> None:
    agent = login("agent3")
    assert agent.get("/api/calibration").status_code == 403
    lead = login("lead")
    moved = lead.post("/api/users/agent3/role", json={"role": "coach", "team": "T1"})
    assert moved.status_code == 200, moved.text
    assert moved.json()["user"] == {
        "username": "agent3", "role": "coach", "team": "T1", "agent_id": "a-3", "disabled": False,
    }  # fmt: skip
    assert agent.get("/api/calibration").status_code == 200  # the same session, now a coach's
    teams = {item["team"] for item in agent.get("/api/tickets?limit=200").json()["items"]}
    assert teams == {"T1"}
    # a coach's role without a team, and an unknown role, are refused and change nothing
    no_team = lead.post("/api/users/lead2/role", json={"role": "coach"})
    assert no_team.status_code == 422 and no_team.json()["code"] == "Q603"
    unknown = lead.post("/api/users/lead2/role", json={"role": "admin"})
    assert unknown.status_code == 422
    assert query(web_db, "SELECT role FROM users WHERE username = 'lead2'") == [("qa_lead",)]
    [action] = _actions(web_db)
    assert action[3] == "user.set_role" and "agent -> coach" in action[4] and "T2 -> T1" in action[4]


def test_refusals_roles_csrf_origin_self_and_unknown_users(login, web_db: Path) -> None:
    lead = login("lead")
    no_csrf = lead.post("/api/users/agent1/disable", csrf=False)
    assert no_csrf.status_code == 403 and no_csrf.json()["code"] == "Q612"
    cross = lead.post("/api/users/agent1/disable", headers={"Origin": "https://evil.example"})
    assert cross.status_code == 403 and cross.json()["code"] == "Q627"
    for who in ("coach1", "agent2"):
        denied = login(who).post("/api/users/agent1/disable")
        assert denied.status_code == 403 and denied.json()["code"] == "Q613"
        denied = login(who).post("/api/users/agent1/password", json={"password": NEW_PASSWORD})
        assert denied.status_code == 403
    mine = lead.post("/api/users/lead/disable")
    assert mine.status_code == 409 and mine.json()["code"] == "Q641"
    mine = lead.post("/api/users/lead/role", json={"role": "agent", "agent_id": "a-9"})
    assert mine.status_code == 409 and mine.json()["code"] == "Q641"
    ghost = lead.post("/api/users/nobody/disable")
    assert ghost.status_code == 404 and ghost.json()["code"] == "Q640"
    assert query(web_db, "SELECT count(*) FROM users WHERE disabled") == [(0,)]
    assert _actions(web_db) == []
    refusals = query(web_db, "SELECT code FROM audit_log WHERE path LIKE '/api/users%'")
    assert {"Q612", "Q613", "Q627"} <= {r[0] for r in refusals}  # the refusals themselves are on record


# page ---------------------------------------------------------------------------------------------------------------
def test_the_users_page_disables_resets_and_changes_roles(login, web_db: Path) -> None:
    lead = login("lead")
    page = lead.get("/users")
    assert page.status_code == 200
    assert 'href="/users"' in page.text and 'id="user-agent1"' in page.text
    assert page.text.count(f'name="csrf_token" value="{lead.csrf}"') >= 3 * (len(USERS) - 1)
    agent_page = login("agent1").get("/users", follow_redirects=False)
    assert agent_page.status_code == 403 and 'href="/users"' not in login("agent1").get("/").text

    agent = login("agent1")
    form = {"csrf_token": lead.csrf}
    done = lead.client.post("/users/agent1/disable", data=form, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == "/users?done=disabled&user=agent1"
    assert "agent1 is disabled" in lead.get(done.headers["location"]).text
    assert agent.get("/", follow_redirects=False).status_code == 303  # to /login: the session ended

    forged = lead.client.post("/users/agent2/disable", data={"csrf_token": "wrong"}, follow_redirects=False)
    assert forged.status_code == 403
    short = lead.client.post("/users/agent2/password", data={**form, "password": "short"})
    assert short.status_code == 422 and "too short" in short.text
    moved = lead.client.post(
        "/users/agent2/role",
        data={**form, "role": "coach", "team": "T9", "agent_id": ""},
        follow_redirects=False,
    )
    assert moved.status_code == 303
    reset = lead.client.post(
        "/users/agent2/password", data={**form, "password": NEW_PASSWORD}, follow_redirects=False
    )
    assert reset.status_code == 303
    own = lead.client.post("/users/lead/disable", data=form, follow_redirects=False)
    assert own.status_code == 409
    assert query(web_db, "SELECT role, team, disabled FROM users WHERE username = 'agent2'") == [
        ("coach", "T9", False)
    ]
    assert authenticate(ReviewDB(web_db), "agent2", NEW_PASSWORD) is not None
    assert [a[3] for a in _actions(web_db)] == ["user.disable", "user.set_role", "user.reset_password"]


# qa users -------------------------------------------------------------------------------------------------------------
@duckdb_only
def test_qa_users_commands(web_db: Path) -> None:
    runner, db = CliRunner(), ["--db", raw(web_db)]
    store = ReviewDB(web_db)
    token, _ = start_session(store, User("agent1", "agent", "a-1", "T1"))

    listed = runner.invoke(users_cli(), ["users", "list", "--json", *db])
    assert listed.exit_code == 0, listed.output
    rows = json.loads(listed.output)
    assert [r["username"] for r in rows] == sorted(USERS) and all(r["disabled"] is False for r in rows)
    table = runner.invoke(users_cli(), ["users", "list", *db])
    assert table.exit_code == 0 and "coach1" in table.output

    off = runner.invoke(users_cli(), ["users", "disable", "agent1", *db])
    assert off.exit_code == 0 and "1 open session(s) ended" in off.output
    assert find_session(store, token) is None
    assert authenticate(store, "agent1", PASSWORD) is None
    rows = json.loads(runner.invoke(users_cli(), ["users", "list", "--json", *db]).output)
    assert [r["username"] for r in rows if r["disabled"]] == ["agent1"]
    assert runner.invoke(users_cli(), ["users", "enable", "agent1", *db]).exit_code == 0
    assert authenticate(store, "agent1", PASSWORD) is not None

    role = runner.invoke(users_cli(), ["users", "set-role", "agent1", "--role", "qa_lead", *db])
    assert role.exit_code == 0 and "qa_lead (sees every ticket)" in role.output

    token, _ = start_session(store, User("agent2", "agent", "a-2", "T1"))
    reset = runner.invoke(
        users_cli(), ["users", "reset-password", "agent2", *db], input=NEW_PASSWORD + "\nx\n"
    )
    assert reset.exit_code == 0 and "1 open session(s) ended" in reset.output
    assert find_session(store, token) is None and authenticate(store, "agent2", NEW_PASSWORD) is not None
    assert NEW_PASSWORD not in reset.output

    for args, stdin, code in (
        (["disable", "nobody"], None, "Q640"),
        (["set-role", "agent2", "--role", "coach", "--team", ""], None, None),  # agent2 has team T1: kept
        (["set-role", "lead2", "--role", "agent"], None, "Q603"),
        (["set-role", "lead2", "--role", "admin"], None, "Q606"),
        (["reset-password", "agent2"], "short\n", "Q605"),
        (["reset-password", "agent2"], "", "Q604"),
    ):
        result = runner.invoke(users_cli(), ["users", *args, *db], input=stdin)
        if code is None:
            assert result.exit_code == 0, result.output
        else:
            assert isinstance(result.exception, QAError) and result.exception.code == code, result.output
    added = runner.invoke(users_cli(), ["users", "add", "newbie", "--role", "agent", "--agent-id", "a-7", *db],
                          input=NEW_PASSWORD + "\n")  # fmt: skip
    assert added.exit_code == 0, added.output
    missing = runner.invoke(users_cli(), ["users", "list", "--db", str(web_db.with_name("none.duckdb"))])
    assert isinstance(missing.exception, QAError) and missing.exception.code == "Q607"
    assert not web_db.with_name("none.duckdb").exists()

    actions = _actions(web_db)
    assert [a[3] for a in actions] == [
        "user.disable", "user.enable", "user.set_role", "user.reset_password", "user.set_role", "user.add",
    ]  # fmt: skip
    assert all(a[0].startswith("cli:") and a[1] == "CLI" and a[5] is None for a in actions)
    assert actions[0][2] == "qa users disable agent1"
    assert actions[-1][2:5] == (
        "qa users add newbie",
        "user.add",
        "added user 'newbie' (agent, agent_id a-7)",
    )
    assert NEW_PASSWORD not in json.dumps(query(web_db, "SELECT * FROM audit_log"), default=str)


@duckdb_only
def test_a_store_from_before_user_administration_is_upgraded(tmp_path: Path, web_db: Path) -> None:
    """A store whose users table has no `disabled` column: every user is enabled, and disabling works."""
    import duckdb

    con = duckdb.connect(raw(web_db))
    con.execute("ALTER TABLE users DROP COLUMN disabled")
    con.close()
    runner = CliRunner()
    listed = runner.invoke(users_cli(), ["users", "list", "--json", "--db", raw(web_db)])
    assert listed.exit_code == 0, listed.output
    assert {r["disabled"] for r in json.loads(listed.output)} == {False}
    assert runner.invoke(users_cli(), ["users", "disable", "coach1", "--db", raw(web_db)]).exit_code == 0
    assert authenticate(ReviewDB(web_db), "coach1", PASSWORD) is None
