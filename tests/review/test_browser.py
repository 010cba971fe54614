"""End to end in real headless Chromium: log in, open the queue, open a red ticket, override its tier, see the
calibration page change; filter by contact reason, read the escalation signals, the KPI page, a coaching session;
and hostile text that stays text.

The server is the real app under uvicorn, on a free port, in a thread of this process. Screenshots of the queue, a
conversation and the KPI page go to the test's folder, or to docs/ when QA_UPDATE_SCREENSHOTS=1 (how
docs/review-*.png are made).
"""

from __future__ import annotations

import os
import re
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from playwright.sync_api import Page, expect, sync_playwright

from qa_engine.auth.users import add_user
from qa_engine.kpi.definitions import KPI_NAMES
from qa_engine.review.db import ReviewDB
from qa_engine.web.app import create_app

from .support import INJECTION, PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run",
]  # fmt: skip
DOCS = Path(__file__).resolve().parents[2] / "docs"


class LiveServer:
    def __init__(self, db: Path) -> None:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        config = uvicorn.Config(create_app(db), host="127.0.0.1", port=port, log_level="warning")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.url = f"http://127.0.0.1:{port}"

    def __enter__(self) -> LiveServer:
        self.thread.start()
        deadline = time.monotonic() + 60
        while not self.server.started:
            assert self.thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
            time.sleep(0.05)
        return self

    def __exit__(self, *exc) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=30)


@pytest.fixture(scope="module")
def chromium():
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(chromium) -> Iterator[Page]:
    context = chromium.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    page.set_default_timeout(60_000)  # a loaded two-core machine
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.dialogs = dialogs  # type: ignore[attr-defined]
    yield page
    context.close()


def screenshot_dir(tmp_path: Path) -> Path:
    return DOCS if os.environ.get("QA_UPDATE_SCREENSHOTS") == "1" else tmp_path


def log_in(page: Page, base: str, username: str) -> None:
    page.goto(base + "/")
    expect(page).to_have_url(base + "/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    expect(page).to_have_url(base + "/")


def tier_n(page: Page, base: str) -> int:
    page.goto(base + "/calibration")
    return int(page.locator("#machine_vs_human .tier-n").inner_text())


def test_review_a_red_ticket_end_to_end(page: Page, scored_db: Path, tmp_path: Path) -> None:
    shots = screenshot_dir(tmp_path)
    with LiveServer(scored_db) as server:
        base = server.url
        log_in(page, base, "lead")
        rows = page.locator("table.queue tbody tr")
        expect(rows.first.locator(".badge").first).to_have_text("red")
        badges = page.locator("table.queue tbody tr td:first-child .badge").all_text_contents()
        tiers = [t.strip() for t in badges]
        assert tiers == sorted(tiers, key=("red", "yellow", "green").index)  # red, then yellow, then green
        page.screenshot(path=str(shots / "review-queue.png"))

        assert tier_n(page, base) == 0
        page.goto(base + "/")
        first_red = rows.first.locator("td:nth-child(2) a")
        ticket_id = first_red.inner_text()
        first_red.click()
        expect(page).to_have_url(base + f"/tickets/{ticket_id}")
        expect(page.locator("h1")).to_have_text(ticket_id)
        expect(page.locator("article.turn").first).to_be_visible()
        assert page.locator("article.turn .chip").count() >= 2  # sentiment and emotion per turn
        assert page.locator("mark").count() >= 1  # the evidence, highlighted in its turn
        page.screenshot(path=str(shots / "review-ticket.png"), full_page=True)

        page.check("input[name=tier][value=green]")
        page.fill(
            "textarea[name=comment]", "Customer was satisfied in the end; the flagged words were a quote."
        )
        page.click("#review-form button[type=submit]")
        expect(page).to_have_url(base + f"/tickets/{ticket_id}#reviews")
        expect(page.locator(".verdict .badge.green")).to_be_visible()
        expect(page.locator("article.review .comment")).to_contain_text("flagged words were a quote")

        assert tier_n(page, base) == 1
        red_to_green = (
            page.locator("#machine_vs_human table.matrix").first.locator("tr").nth(1).locator("td").nth(2)
        )
        expect(red_to_green).to_have_text("1")
        assert page.dialogs == []  # type: ignore[attr-defined]


def test_hostile_text_stays_text(page: Page, web_db: Path) -> None:
    with LiveServer(web_db) as server:
        base = server.url
        log_in(page, base, "lead")
        page.goto(base + "/tickets/X-1")
        expect(page.locator("#turn-0 .text")).to_contain_text(INJECTION)
        assert page.locator("#turn-0 .text img").count() == 0 and page.locator("main script").count() == 0
        page.fill("textarea[name=comment]", "<img src=x onerror=alert('comment')>")
        page.click("#review-form button[type=submit]")
        expect(page.locator("article.review .comment")).to_have_text("<img src=x onerror=alert('comment')>")
        assert page.locator("article.review img").count() == 0
        assert page.dialogs == []  # type: ignore[attr-defined]


def test_two_reviewers_at_once_the_second_keeps_their_words(chromium, web_db: Path) -> None:
    with LiveServer(web_db) as server:
        base = server.url
        first, second = (chromium.new_context().new_page() for _ in range(2))
        for p, user in ((first, "lead"), (second, "lead2")):
            p.set_default_timeout(60_000)
            log_in(p, base, user)
            p.goto(base + "/tickets/R-1")
        first.check("input[name=tier][value=yellow]")
        first.click("#review-form button[type=submit]")
        expect(first.locator(".verdict .badge.yellow")).to_be_visible()
        second.check("input[name=tier][value=green]")
        second.fill("textarea[name=comment]", "my careful words")
        second.click("#review-form button[type=submit]")
        expect(second.locator(".alert")).to_contain_text("reviewed meanwhile")
        expect(second.locator("textarea[name=comment]")).to_have_value("my careful words")
        second.click("#review-form button[type=submit]")  # now knowingly, on top of version 1
        expect(second.locator(".verdict .badge.green")).to_be_visible()
        expect(second.locator("article.review")).to_have_count(2)
        for p in (first, second):
            p.context.close()


def test_key_issues_kpis_and_coaching_end_to_end(page: Page, scored_db: Path, tmp_path: Path) -> None:
    """Filter the queue by contact reason, read a ticket's escalation signals, open the KPI page, and record a
    coaching session as a coach of one of the bundled teams."""
    shots = screenshot_dir(tmp_path)
    add_user(ReviewDB(scored_db), "coach-eu1", PASSWORD, "coach", team="EU-1")
    with LiveServer(scored_db) as server:
        base = server.url
        log_in(page, base, "lead")
        page.select_option("select[name=contact_reason]", "logistics")
        page.click("form.filters button[type=submit]")
        expect(page).to_have_url(re.compile(r"contact_reason=logistics"))
        reasons = page.locator("table.queue tbody td.reason").all_text_contents()
        assert reasons and all(r.strip() == "logistics" for r in reasons)

        page.goto(base + "/?min_escalation_risk=0.5")
        levels = page.locator("table.queue tbody .esc").all_text_contents()
        assert levels and all(level.startswith("high") for level in levels)
        page.locator("table.queue tbody tr").first.locator("td:nth-child(2) a").click()
        expect(page.locator("#key-issue")).to_be_visible()
        signals = page.locator("mark.escalation")
        expect(signals.first).to_be_visible()
        listed = " ".join(page.locator("#key-issue .signals li").all_inner_texts())
        assert signals.first.inner_text() in listed  # the highlighted words are a listed signal's evidence

        page.goto(base + "/kpi?by=team")
        cards = page.locator(".kpi-card")
        expect(cards).to_have_count(len(KPI_NAMES))  # a card for every KPI the contract defines
        assert page.locator(".kpi-card.met, .kpi-card.missed").count() >= 4  # the default pack's 4 targets
        teams = page.locator("table.kpi-table tbody tr td:first-child").all_text_contents()
        assert teams == sorted(teams) and "EU-1" in teams
        expect(page.locator("#sla-channels table tbody tr").first).to_be_visible()
        page.screenshot(path=str(shots / "review-kpi.png"), full_page=True)
        page.context.clear_cookies()

        log_in(page, base, "coach-eu1")
        page.goto(base + "/kpi?by=team")
        assert page.locator("table.kpi-table tbody tr td:first-child").all_text_contents() == ["EU-1"]
        page.goto(base + "/coaching")
        options = page.locator("select[name=agent_id] option").all_text_contents()[1:]
        assert options and all(a.startswith(("a-de-", "a-fr-")) for a in options)  # EU-1's agents only
        agent = options[0]
        page.select_option("select[name=agent_id]", agent)
        page.fill("input[name=date]", "2026-11-15")
        page.check("input[name=focus_rules][value=greeting_own_name]")
        page.fill("textarea[name=note]", "Greet with your own name in the first reply.")
        page.click("#coaching-form button[type=submit]")
        expect(page.locator(".notice")).to_have_text("Session recorded.")
        session = page.locator("article.coaching-session").first
        expect(session).to_contain_text(agent)
        expect(session).to_contain_text("greeting_own_name")
        expect(session.locator(".verdict-tag")).to_have_count(1)
        assert page.dialogs == []  # type: ignore[attr-defined]


def test_a_lead_disables_a_user_whose_open_page_then_asks_for_a_login(chromium, web_db: Path) -> None:
    """Two browsers: an agent at work, a QA lead on the users page. The lead disables the agent and resets a
    coach's password with the page's own forms; the agent's next click lands on the login page, and their
    password no longer signs them in."""
    with LiveServer(web_db) as server:
        base = server.url
        lead, agent = (chromium.new_context().new_page() for _ in range(2))
        for p, user in ((lead, "lead"), (agent, "agent1")):
            p.set_default_timeout(60_000)
            log_in(p, base, user)
        expect(agent.locator("nav a[href='/users']")).to_have_count(0)  # no users page for an agent
        lead.click("nav a[href='/users']")
        expect(lead).to_have_url(base + "/users")
        row = lead.locator("#user-agent1")
        row.locator("button", has_text="Disable").click()
        expect(lead.locator(".notice")).to_have_text("agent1 is disabled; their open sessions ended.")
        expect(lead.locator("#user-agent1")).to_contain_text("disabled")

        agent.click("nav a[href='/kpi']")
        expect(agent).to_have_url(re.compile(r"/login"))
        agent.fill("input[name=username]", "agent1")
        agent.fill("input[name=password]", PASSWORD)
        agent.click("button[type=submit]")
        expect(agent.locator(".alert")).to_contain_text("Wrong username or password")

        coach = lead.locator("#user-coach1")
        coach.locator("input[name=password]").fill("short")
        coach.locator(".password-form button").click()  # the browser's own check (minlength) keeps it
        expect(lead).to_have_url(base + "/users?done=disabled&user=agent1")
        lead.locator("#user-coach1 input[name=password]").fill("a new passphrase for coach1")
        lead.locator("#user-coach1 .password-form button").click()
        expect(lead.locator(".notice")).to_contain_text("coach1's password was reset")
        for p in (lead, agent):
            p.context.close()
