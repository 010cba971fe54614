"""Reports rendered from the scored examples: their numbers against the store, their PDFs, their edge cases.

Every expected number is recomputed here with the test's own SQL over the same store, never written down.
"""

from __future__ import annotations

import logging
import re
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from qa_engine.errors import QAError
from qa_engine.reports import render_agent_report, render_all, render_team_report

from .support import metrics, one, sql

pytestmark = pytest.mark.slow  # the session store is scored with the real models

# the agent report's layout: summary, script, conversations, mood and response times, KPIs and contact reasons
# (with no coaching session: a session adds its own page, see test_planted.py)
AGENT_PAGES = 5
# summary, ranking, heat map and categories, languages and channels, KPIs, key issues and coaching (while the
# ranking and the per-agent KPIs fit a page each); the index of all teams ranks every agent: one page more
TEAM_PAGES = 6
INDEX_PAGES = 7
EMPTY_PAGES = 1
PLANTED = {
    "card": "4111 1111 1111 1111",
    "email": "planted.person@example.org",
    "phone": "+1 415 555 0199",
    "password": "Hunter2!xyz",
}
PLANTED_TEXT = (
    f"My card is {PLANTED['card']}, mail {PLANTED['email']}, call {PLANTED['phone']}, "
    f"and the password is {PLANTED['password']}. "
)


def pdf_pages(pdf: Path, tmp_path: Path) -> int:
    """Pages as pdftoppm rasterises them (an independent reader of the PDF)."""
    prefix = tmp_path / pdf.stem
    subprocess.run(["pdftoppm", "-r", "20", "-png", str(pdf), str(prefix)], check=True, capture_output=True)
    return len(list(tmp_path.glob(f"{pdf.stem}-*.png")))


def pdf_text(pdf: Path) -> str:
    return subprocess.run(["pdftotext", str(pdf), "-"], check=True, capture_output=True, text=True).stdout


def assert_self_contained(html: str) -> None:
    """No resource outside the file: every src is a data URI, no stylesheet links, no url() to anything else."""
    assert re.findall(r'src="(?!data:)', html) == []
    assert "<link" not in html and "@import" not in html and "<script" not in html
    assert re.findall(r"url\((?!data:)", html) == []


@pytest.fixture(scope="module")
def busiest_agent(scored_store: Path) -> str:
    """The agent with the most failed rules (ties: the smallest id), so every section has content."""
    ((agent,),) = sql(
        scored_store,
        "SELECT t.agent_id FROM rule_results r JOIN tickets t USING (ticket_id) WHERE r.outcome = 'fail' "
        "GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1",
    )
    return agent


@pytest.fixture(scope="module")
def agent_report(scored_store: Path, busiest_agent: str, tmp_path_factory: pytest.TempPathFactory):
    out = tmp_path_factory.mktemp("agent-report")
    return render_agent_report(scored_store, busiest_agent, out)


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


@pytest.fixture(scope="module")
def team_reports(scored_store: Path, tmp_path_factory: pytest.TempPathFactory):
    """The biggest team's report and the all-teams index, with what WeasyPrint warned about while laying them out
    (CSS it ignored, resources it could not load)."""
    out = tmp_path_factory.mktemp("team-report")
    ((team,),) = sql(scored_store, "SELECT team FROM tickets GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1")
    collect, logger = _Collect(), logging.getLogger("weasyprint")
    logger.addHandler(collect)
    try:
        files = render_team_report(scored_store, team, out), render_team_report(scored_store, None, out)
    finally:
        logger.removeHandler(collect)
    return team, *files, collect.messages


def test_agent_report_numbers_match_the_store(scored_store: Path, busiest_agent: str, agent_report) -> None:
    values = metrics(agent_report.html.read_text(encoding="utf-8"))
    ((n, red, yellow, green, mean),) = sql(
        scored_store,
        "SELECT count(*), count(*) FILTER (WHERE tier = 'red'), count(*) FILTER (WHERE tier = 'yellow'), "
        "count(*) FILTER (WHERE tier = 'green'), avg(qa_score) FROM tickets WHERE agent_id = ?",
        [busiest_agent],
    )
    assert [one(values, k) for k in ("tickets", "tier.red", "tier.yellow", "tier.green")] == [
        n,
        red,
        yellow,
        green,
    ]
    assert one(values, "score_mean") == pytest.approx(mean)
    assert one(values, "red_share") == pytest.approx(red / n)
    for category, passes, fails in sql(
        scored_store,
        "SELECT category, count(*) FILTER (WHERE outcome = 'pass'), count(*) FILTER (WHERE outcome = 'fail') "
        "FROM rule_results r JOIN tickets t USING (ticket_id) WHERE t.agent_id = ? GROUP BY 1",
        [busiest_agent],
    ):
        expected = passes / (passes + fails) if passes + fails else None
        assert one(values, f"category.{category}.rate") == pytest.approx(expected)


def test_agent_report_shows_the_most_failed_rules_with_their_counts(
    scored_store: Path, busiest_agent: str, agent_report
) -> None:
    values = metrics(agent_report.html.read_text(encoding="utf-8"))
    fails = dict(
        sql(
            scored_store,
            "SELECT rule_id, count(*) FROM rule_results r JOIN tickets t USING (ticket_id) "
            "WHERE t.agent_id = ? AND outcome = 'fail' GROUP BY 1",
            [busiest_agent],
        )
    )
    shown = values["failed_rule"]
    assert len(shown) == min(3, len(fails))
    assert [fails[r] for r in shown] == sorted(fails.values(), reverse=True)[
        : len(shown)
    ]  # most failed first
    for rule in shown:
        assert one(values, f"failed_rule.{rule}.fails") == fails[rule]
    # what to practise: failed rules only, critical ones first, then by failure rate x weight
    stats = {
        r: (c, f / (p + f) * w)
        for r, c, w, p, f in sql(
            scored_store,
            "SELECT rule_id, bool_or(critical), max(weight), count(*) FILTER (WHERE outcome = 'pass'), "
            "count(*) FILTER (WHERE outcome = 'fail') FROM rule_results r JOIN tickets t USING (ticket_id) "
            "WHERE t.agent_id = ? GROUP BY 1 HAVING count(*) FILTER (WHERE outcome = 'fail') > 0",
            [busiest_agent],
        )
    }
    practise = [r for r in values["practise"] if r != "mood"]
    assert practise and set(practise) <= set(stats)
    keys = [(not stats[r][0], -stats[r][1]) for r in practise]
    assert keys == sorted(keys)


def test_agent_report_best_worst_mood_and_response_times(
    scored_store: Path, busiest_agent: str, agent_report
) -> None:
    values = metrics(agent_report.html.read_text(encoding="utf-8"))
    order = "CASE tier WHEN 'green' THEN 0 WHEN 'yellow' THEN 1 ELSE 2 END"
    ((best,),) = sql(
        scored_store,
        f"SELECT ticket_id FROM tickets WHERE agent_id = ? ORDER BY {order}, qa_score DESC, "
        "customer_sentiment_end DESC NULLS LAST, started_at DESC, ticket_id LIMIT 1",
        [busiest_agent],
    )
    ((worst,),) = sql(
        scored_store,
        f"SELECT ticket_id FROM tickets WHERE agent_id = ? ORDER BY {order} DESC, qa_score, "
        "customer_sentiment_end NULLS LAST, started_at DESC, ticket_id LIMIT 1",
        [busiest_agent],
    )
    assert values["best"] == [best] and values["worst"] == [worst]
    ((start, end, balance),) = sql(
        scored_store,
        "SELECT avg(customer_sentiment_start), avg(customer_sentiment_end), avg(emotional_balance) FROM tickets "
        "WHERE agent_id = ?",
        [busiest_agent],
    )
    assert one(values, "mood_start") == pytest.approx(start)
    assert one(values, "mood_end") == pytest.approx(end)
    assert one(values, "balance") == pytest.approx(balance)
    emotions = dict(
        sql(
            scored_store,
            "SELECT emotion, count(*) / sum(count(*)) OVER () FROM turns u JOIN tickets t USING (ticket_id) "
            "WHERE t.agent_id = ? AND u.speaker = 'customer' GROUP BY 1",
            [busiest_agent],
        )
    )
    for emotion, share in emotions.items():
        assert one(values, f"emotion.{emotion}") == pytest.approx(share)
    channels = {k.split(".")[1] for k in values if k.startswith("channel.")}
    assert channels == {
        c
        for (c,) in sql(
            scored_store, "SELECT DISTINCT channel FROM tickets WHERE agent_id = ?", [busiest_agent]
        )
    }


def test_agent_report_is_self_contained_and_its_pdf_has_the_layouts_pages(
    agent_report, tmp_path: Path
) -> None:
    html = agent_report.html.read_text(encoding="utf-8")
    assert_self_contained(html)
    assert html.count('src="data:image/png;base64,') >= 2
    assert agent_report.pages == pdf_pages(agent_report.pdf, tmp_path) == AGENT_PAGES


def test_team_reports_rank_agents_and_fill_the_heat_map_from_the_store(
    scored_store: Path, team_reports
) -> None:
    team, files, everyone, _ = team_reports
    values = metrics(files.html.read_text(encoding="utf-8"))
    ranked = sql(
        scored_store,
        "SELECT agent_id, count(*), avg(qa_score) FROM tickets WHERE team = ? GROUP BY 1 "
        "ORDER BY avg(qa_score) DESC, count(*) FILTER (WHERE tier = 'red'), count(*) DESC, agent_id",
        [team],
    )
    assert values["agent_row"] == [a for a, _, _ in ranked]
    for agent, n, mean in ranked:
        assert one(values, f"agent.{agent}.tickets") == n
        assert one(values, f"agent.{agent}.score_mean") == pytest.approx(mean)
    cells = sql(
        scored_store,
        "SELECT t.agent_id, r.rule_id, count(*) FILTER (WHERE outcome = 'fail'), "
        "count(*) FILTER (WHERE outcome IN ('pass', 'fail')) FROM rule_results r JOIN tickets t USING (ticket_id) "
        "WHERE t.team = ? GROUP BY ALL",
        [team],
    )
    for agent, rule, fails, applicable in cells:
        name = f"heat.{agent}.{rule}"
        if applicable:
            assert one(values, name) == pytest.approx(fails / applicable)
        else:
            assert name not in values  # shown as "never applied"
    for dimension in ("language", "channel"):
        for value, n in sql(
            scored_store, f"SELECT {dimension}, count(*) FROM tickets WHERE team = ? GROUP BY 1", [team]
        ):
            assert one(values, f"{dimension}.{value}.tickets") == n
    all_values = metrics(everyone.html.read_text(encoding="utf-8"))
    for value, n in sql(scored_store, "SELECT team, count(*) FROM tickets GROUP BY 1"):
        assert one(all_values, f"team.{value}.tickets") == n
    ((agents,),) = sql(scored_store, "SELECT count(DISTINCT agent_id) FROM tickets")
    assert one(all_values, "agents") == agents == len(all_values["agent_row"])


def test_team_reports_are_self_contained_pdfs_of_the_layouts_pages(team_reports, tmp_path: Path) -> None:
    team, files, everyone, _ = team_reports
    assert files.html.name == f"team-{team}.html" and everyone.html.name == "team-all.html"
    for report, pages in ((files, TEAM_PAGES), (everyone, INDEX_PAGES)):
        assert_self_contained(report.html.read_text(encoding="utf-8"))
        assert report.pages == pdf_pages(report.pdf, tmp_path) == pages


def test_rendering_logs_no_layout_warnings(team_reports) -> None:
    assert team_reports[-1] == []


def test_an_agent_without_tickets_in_the_period_gets_a_one_page_no_tickets_report(
    scored_store: Path, busiest_agent: str, tmp_path: Path
) -> None:
    files = render_agent_report(scored_store, busiest_agent, tmp_path, date(2020, 1, 1), date(2020, 1, 31))
    html = files.html.read_text(encoding="utf-8")
    assert "No scored tickets" in html and metrics(html)["empty"] == ["1"]
    ((last,),) = sql(
        scored_store,
        "SELECT max(CAST(timezone('UTC', started_at) AS DATE)) FROM tickets WHERE agent_id = ?",
        [busiest_agent],
    )
    assert last.isoformat() in html  # points the coach at the agent's latest ticket
    assert files.pages == pdf_pages(files.pdf, tmp_path) == EMPTY_PAGES


@pytest.mark.parametrize(
    ("call", "code"),
    [
        (lambda db, out: render_agent_report(db, "a-nobody", out), "Q805"),
        (lambda db, out: render_team_report(db, "NO-SUCH-TEAM", out), "Q502"),
    ],
    ids=["agent", "team"],
)
def test_unknown_ids_are_one_line_errors_that_list_known_ones(
    scored_store: Path, tmp_path: Path, call, code
) -> None:
    with pytest.raises(QAError) as info:
        call(scored_store, tmp_path)
    assert info.value.code == code and "\n" not in str(info.value) and "Known" in str(info.value)
    assert not any(tmp_path.iterdir())  # nothing written


def test_cli_reports_unknown_agent_in_one_line_and_writes_a_team_report(
    scored_store: Path, tmp_path: Path
) -> None:
    base = [sys.executable, "-m", "qa_engine", "report"]
    bad = subprocess.run([*base, "agent", "a-nobody", "--db", str(scored_store), "--out", str(tmp_path)],
                         capture_output=True, text=True)  # fmt: skip
    assert bad.returncode != 0
    assert (
        bad.stderr.strip().startswith("qa: [Q805] Unknown agent id 'a-nobody'")
        and len(bad.stderr.strip().splitlines()) == 1
    )
    ((team,),) = sql(scored_store, "SELECT min(team) FROM tickets")
    good = subprocess.run([*base, "team", team, "--db", str(scored_store), "--out", str(tmp_path), "--from", "2026-11-01",
                           "--to", "2026-11-30"], capture_output=True, text=True)  # fmt: skip
    assert good.returncode == 0, good.stderr
    assert (tmp_path / f"team-{team}.html").is_file() and (tmp_path / f"team-{team}.pdf").is_file()


def test_excerpts_mask_planted_personal_data_in_html_and_pdf(
    store_copy: Path, busiest_agent: str, tmp_path: Path
) -> None:
    """Plant a card, an e-mail, a phone and a password into every turn of the agent's tickets, inside each
    evidence span too, and check that neither the HTML nor the PDF shows any of them."""
    import duckdb

    con = duckdb.connect(str(store_copy))
    planted = PLANTED_TEXT
    con.execute(
        "UPDATE turns SET text = substr(turns.text, 1, e.start) || ? || substr(turns.text, e.start + 1) "
        "FROM (SELECT r.ticket_id, r.evidence.turn_index AS turn_index, min(r.evidence.start) AS start "
        "      FROM rule_results r JOIN tickets t USING (ticket_id) "
        "      WHERE t.agent_id = ? AND r.evidence IS NOT NULL GROUP BY ALL) e "
        "WHERE turns.ticket_id = e.ticket_id AND turns.turn_index = e.turn_index",
        [planted, busiest_agent],
    )
    con.execute(
        "UPDATE turns SET text = ? || text WHERE ticket_id IN (SELECT ticket_id FROM tickets WHERE agent_id = ?) "
        "AND NOT contains(text, ?)",
        [planted, busiest_agent, PLANTED["email"]],
    )
    con.close()
    files = render_agent_report(store_copy, busiest_agent, tmp_path)
    html, text = files.html.read_text(encoding="utf-8"), pdf_text(files.pdf)
    for label, secret in PLANTED.items():
        assert secret not in html, label
        assert secret not in text.replace("\n", " "), label
    for tag in ("[CARD]", "[EMAIL]", "[PHONE]", "[PASSWORD]"):
        assert tag in html  # the excerpts were there, masked
    assert re.search(
        r"<mark>[^<]*\[(CARD|EMAIL|PHONE|PASSWORD)", html
    )  # masked data inside a highlighted span


def test_render_all_writes_every_active_agent_each_team_and_a_linked_index(
    scored_store: Path, tmp_path: Path
) -> None:
    summary = render_all(scored_store, tmp_path, workers=2)  # the process pool, as the nightly flow runs it
    assert summary.workers == 2
    agents = {a for (a,) in sql(scored_store, "SELECT DISTINCT agent_id FROM tickets")}
    teams = {t for (t,) in sql(scored_store, "SELECT DISTINCT team FROM tickets")}
    assert {f.html.stem for f in summary.agents} == agents
    assert {f.html.stem for f in summary.teams} == {"team-all"} | {f"team-{t}" for t in teams}
    assert all(f.pdf.is_file() and f.pages >= 1 for f in summary.files)
    index = (tmp_path / "team-all.html").read_text(encoding="utf-8")
    links = set(re.findall(r'href="([^"]+)"', index))
    assert {f"{a}.html" for a in agents} | {f"team-{t}.html" for t in teams} <= links
    assert all((tmp_path / link).is_file() for link in links)


def test_the_nightly_flow_task_renders_the_reports(store_copy: Path, tmp_path: Path) -> None:
    """The flow's task on a one-team store (fewer reports: render_all itself is tested above)."""
    import duckdb

    from flows.nightly import render_reports

    con = duckdb.connect(str(store_copy))
    ((team,),) = con.execute("SELECT team FROM tickets GROUP BY 1 ORDER BY count(*), 1 LIMIT 1").fetchall()
    con.execute("DELETE FROM tickets WHERE team <> ?", [team])
    con.close()
    done = render_reports.fn(str(store_copy), str(tmp_path / "reports"))
    ((agents,),) = sql(store_copy, "SELECT count(DISTINCT agent_id) FROM tickets")
    assert (done["agents"], done["teams"]) == (agents, 2)  # the index and the one team
    assert (tmp_path / "reports" / "team-all.pdf").is_file() and (
        tmp_path / "reports" / f"team-{team}.pdf"
    ).is_file()


def test_lookalike_agents_and_a_team_called_all_get_files_of_their_own(
    store_copy: Path, tmp_path: Path
) -> None:
    import duckdb

    agents = [a for (a,) in sql(store_copy, "SELECT DISTINCT agent_id FROM tickets ORDER BY 1")][:2]
    teams = [
        t for (t,) in sql(store_copy, "SELECT DISTINCT team FROM tickets WHERE team IS NOT NULL ORDER BY 1")
    ]
    con = duckdb.connect(str(store_copy))
    try:  # `a/1` and `a_1` once both wrote a_1.html; a team "all" wrote over the all-teams index
        for old, new in zip(agents, ["a/1", "a_1"], strict=True):
            con.execute("UPDATE tickets SET agent_id = ? WHERE agent_id = ?", [new, old])
        con.execute("UPDATE tickets SET team = 'all' WHERE team = ?", [teams[0]])
        # only the lookalikes and the team called "all": every report costs a PDF (render_all of the whole store is
        # tested above)
        con.execute(
            "DELETE FROM tickets WHERE agent_id NOT IN ('a/1', 'a_1') AND team IS DISTINCT FROM 'all'"
        )
    finally:
        con.close()
    summary = render_all(store_copy, tmp_path / "all")
    names = [f.html.name for f in summary.files]
    assert len(names) == len(set(names))
    assert "a_1.html" in names and "team-all.html" in names
    index = (tmp_path / "all" / "team-all.html").read_text(encoding="utf-8")
    assert "Team" in index and all(
        (tmp_path / "all" / link).is_file() for link in re.findall(r'href="([^"]+)"', index)
    )
    one_agent = render_agent_report(store_copy, "a/1", tmp_path / "one")
    assert one_agent.html.name.startswith("a_1-") and one_agent.html.parent == tmp_path / "one"
    team_all = render_team_report(
        store_copy, "all", tmp_path / "one"
    )  # the team, since a team is called "all"
    assert team_all.html.name.startswith("team-all-")
    assert render_team_report(store_copy, None, tmp_path / "one").html.name == "team-all.html"


def test_the_agent_report_shows_a_sessions_latest_note_and_the_earlier_ones(
    store_copy: Path, tmp_path: Path
) -> None:
    from qa_engine.kpi import add_session

    agent, day = sql(
        store_copy, "SELECT agent_id, max(created_at)::DATE FROM tickets GROUP BY 1 ORDER BY 1 LIMIT 1"
    )[0]
    rule = sql(store_copy, "SELECT min(rule_id) FROM rule_results")[0][0]
    add_session(store_copy, agent, day, [rule], note="Greet by name", coach="coach-1")
    add_session(store_copy, agent, day, [rule], note="Better: greet and thank", coach="coach-2")
    html = render_agent_report(store_copy, agent, tmp_path).html.read_text(encoding="utf-8")
    assert "Better: greet and thank" in html
    assert 'data-metric="earlier_note"' in html and "Greet by name" in html and "coach-1" in html
