"""The HTML reports in real headless Chromium, opened from disk: they render, log no error and load nothing."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from qa_engine.reports import render_agent_report, render_team_report

from .support import sql

pytestmark = [pytest.mark.slow, pytest.mark.browser]

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]  # fmt: skip


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser
        browser.close()


def _open_alone(browser, html: Path, tmp_path: Path) -> tuple[list[str], list[str], int, Path]:
    """Copy the report into an empty folder, open it from disk, screenshot it: (errors, other requests, images
    decoded, screenshot)."""
    alone = tmp_path / "alone"
    alone.mkdir()
    page_file = alone / html.name
    shutil.copy(html, page_file)
    page = browser.new_page(viewport={"width": 1000, "height": 900})
    errors: list[str] = []
    requests: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("requestfailed", lambda request: errors.append(f"failed: {request.url}"))
    page.on("request", lambda request: requests.append(request.url))
    page.goto(page_file.as_uri(), wait_until="load")
    decoded = page.evaluate(
        "Array.from(document.images).filter(i => i.complete && i.naturalWidth > 0).length"
    )
    total = page.evaluate("document.images.length")
    assert decoded == total
    shot = tmp_path / f"{html.stem}.png"
    page.screenshot(path=str(shot), full_page=True)
    page.close()
    others = [url for url in requests if url != page_file.as_uri() and not url.startswith("data:")]
    return errors, others, decoded, shot


def test_agent_report_opens_offline_with_no_errors_and_no_requests(
    browser, scored_store: Path, tmp_path: Path
) -> None:
    ((agent,),) = sql(
        scored_store, "SELECT agent_id FROM tickets GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1"
    )
    files = render_agent_report(scored_store, agent, tmp_path / "out")
    errors, requests, images, shot = _open_alone(browser, files.html, tmp_path)
    assert errors == [] and requests == []
    assert images >= 2  # the charts, inline
    assert shot.stat().st_size > 50_000  # a real, full page


def test_team_index_opens_offline_with_no_errors_and_no_requests(
    browser, scored_store: Path, tmp_path: Path
) -> None:
    files = render_team_report(scored_store, None, tmp_path / "out")
    errors, requests, images, shot = _open_alone(browser, files.html, tmp_path)
    assert errors == [] and requests == []
    assert images >= 2
    assert shot.stat().st_size > 50_000
