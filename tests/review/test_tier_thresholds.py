"""The calibration page shows the tier threshold calibration as `qa tiers calibrate --dry-run` prints it:
labelled tickets, Cohen's kappa and confusion before and after, the proposed thresholds; read-only, QA leads only.

The browser test runs real headless Chromium over the bundled examples scored with the real default models (many
carry a CSAT), and checks every figure on the page against the command's own `--json` output for the same store.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from qa_engine import paths
from qa_engine.store import Store
from qa_engine.store.location import raw

from .test_browser import LiveServer, chromium, log_in, page  # noqa: F401  (fixtures)


def _fmt(value: float | None) -> str:
    return "—" if value is None else ("off" if value > 1 else f"{value:.2f}")


@pytest.mark.browser
@pytest.mark.slow
def test_the_page_shows_what_the_dry_run_prints_and_writes_nothing(page: Page, scored_db: Path, qa) -> None:  # noqa: F811
    policy = paths.rules_dir() / "tiers.yaml"
    before = policy.read_bytes()
    with LiveServer(scored_db) as server:
        log_in(page, server.url, "lead")
        page.goto(server.url + "/tickets/T-1001")  # a reviewed tier is a label too, and outranks the csat
        page.check("input[name=tier][value=red]")
        page.fill("textarea[name=comment]", "The customer was kept waiting.")
        page.click("#review-form button[type=submit]")
        expect(page.locator(".verdict .badge.red")).to_be_visible()
        code, out, err = qa("tiers", "calibrate", "--dry-run", "--json", "--db", raw(scored_db))
        assert code == 0, err
        want = json.loads(out)
        assert want["labelled"]["reviews"] == 1 and want["labelled"]["csat"] >= 20
        page.goto(server.url + "/calibration")
        section = page.locator("#tier_thresholds")
        expect(section).to_be_visible()
        labelled = want["labelled"]["reviews"] + want["labelled"]["csat"]
        expect(section.locator(".labelled-n")).to_have_text(str(labelled))
        expect(section.locator(".labelled-reviews")).to_have_text("1")
        for key, chosen in (("before", "thresholds_before"), ("after", "thresholds_after")):
            part = section.locator(f".thresholds-{key}")
            expect(part.locator(".kappa")).to_have_text(f"{want[key]['kappa']:.3f}")
            expect(part.locator(".agree")).to_have_text(str(want[key]["agree"]))
            expect(part.locator(".n")).to_have_text(str(labelled))
            expect(part.locator(".threshold-red")).to_have_text(_fmt(want[chosen]["red"]))
            expect(part.locator(".threshold-yellow")).to_have_text(_fmt(want[chosen]["yellow"]))
            cells = [
                [int(c) for c in row.locator("td").all_text_contents()]
                for row in part.locator("table.matrix tr").all()[1:]
            ]
            assert cells == want[key]["confusion"], key
        assert section.locator("form, button, input").count() == 0  # read-only: writing stays the command's
        expect(section).to_contain_text("qa tiers calibrate")
    assert policy.read_bytes() == before


def test_a_coach_is_not_shown_the_store_wide_thresholds(login) -> None:
    response = login("coach1").get("/calibration")
    assert response.status_code == 200 and 'id="tier_thresholds"' not in response.text
    assert 'id="machine_vs_human"' in response.text  # the rest of the page is theirs as before


def test_a_store_without_enough_labels_says_why(web_db: Path, login) -> None:
    signed = login("lead")
    with Store(web_db).connect() as con:
        con.execute("UPDATE tickets SET csat = NULL")
        con.execute("DELETE FROM reviews")
    response = signed.get("/calibration")
    assert response.status_code == 200 and 'id="tier_thresholds"' in response.text
    assert "Cannot calibrate the tiers" in response.text and "need 20" in response.text
    assert 'class="labelled-n"' not in response.text
