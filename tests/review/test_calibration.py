"""Calibration: Cohen's kappa as the textbook (and scikit-learn) has it, the comparisons it is computed over, CSV."""

from __future__ import annotations

import csv
import io
import random

import pytest
from sklearn.metrics import cohen_kappa_score

from qa_engine.review.calibration import CSV_COLUMNS, cohen_kappa

LABELS = ("red", "yellow", "green")


def confusion(first: list[str], second: list[str]) -> list[list[int]]:
    matrix = [[0] * len(LABELS) for _ in LABELS]
    for a, b in zip(first, second, strict=True):
        matrix[LABELS.index(a)][LABELS.index(b)] += 1
    return matrix


@pytest.mark.parametrize("seed", range(8))
def test_kappa_matches_scikit_learn(seed: int) -> None:
    rng = random.Random(seed)
    first = [rng.choice(LABELS) for _ in range(rng.randint(5, 60))]
    second = [a if rng.random() < 0.6 else rng.choice(LABELS) for a in first]
    expected = cohen_kappa_score(first, second, labels=list(LABELS))
    assert cohen_kappa(confusion(first, second)) == pytest.approx(expected)


def test_kappa_edge_cases() -> None:
    assert cohen_kappa(confusion(["red", "green"], ["red", "green"])) == pytest.approx(1.0)
    assert cohen_kappa(confusion(["red", "green"], ["green", "red"])) == pytest.approx(-1.0)
    assert cohen_kappa(confusion(["red"] * 4, ["red"] * 4)) is None  # one label only: undefined
    assert cohen_kappa(confusion([], [])) is None


@pytest.fixture
def reviewed(login):
    """R-1 (machine red): lead says yellow and that the greeting passed; later lead2 says red.
    Y-1 (machine yellow): lead agrees."""
    lead, lead2 = login("lead"), login("lead2")
    body = {"tier": "yellow", "version": 0, "rule_overrides": {"greeting_own_name": "pass"}}
    assert lead.post("/api/tickets/R-1/reviews", json=body).status_code == 201
    assert lead.post("/api/tickets/Y-1/reviews", json={"tier": "yellow", "version": 0}).status_code == 201
    assert lead2.post("/api/tickets/R-1/reviews", json={"tier": "red", "version": 1}).status_code == 201
    return lead


def test_machine_vs_latest_review_and_reviewer_vs_reviewer(reviewed) -> None:
    result = reviewed.get("/api/calibration").json()
    machine = result["machine_vs_human"]
    assert (machine["tickets"], machine["pairs"]) == (2, 2)
    assert machine["tier"]["confusion"] == [[1, 0, 0], [0, 1, 0], [0, 0, 0]]  # rows machine, columns human
    assert (machine["tier"]["agreement"], machine["tier"]["kappa"]) == (1.0, 1.0)
    # lead2's review is R-1's latest, and lead2 let the machine's "greeting failed" stand.
    assert machine["rules"]["greeting_own_name"]["confusion"][1][1] == 1
    humans = result["human_vs_human"]
    assert (humans["tickets"], humans["pairs"]) == (1, 1)
    assert humans["tier"]["confusion"] == [[0, 0, 0], [1, 0, 0], [0, 0, 0]]  # lead (yellow) then lead2 (red)
    assert humans["tier"]["agreement"] == 0.0
    greeting = humans["rules"]["greeting_own_name"]
    assert (
        greeting["labels"] == ["pass", "fail", "na"] and greeting["confusion"][0][1] == 1
    )  # pass, then fail
    assert humans["rules"]["no_blaming_customer"]["confusion"][1][1] == 1


def test_a_new_review_changes_the_figures(reviewed) -> None:
    before = reviewed.get("/api/calibration").json()["machine_vs_human"]["tier"]
    assert reviewed.post("/api/tickets/G-1/reviews", json={"tier": "red", "version": 0}).status_code == 201
    after = reviewed.get("/api/calibration").json()["machine_vs_human"]["tier"]
    assert after["n"] == before["n"] + 1 and after["confusion"][2][0] == 1
    assert after["kappa"] < before["kappa"]


def test_the_csv_export_has_every_cell(reviewed) -> None:
    response = reviewed.get("/api/calibration?format=csv")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert tuple(rows[0]) == CSV_COLUMNS
    result = reviewed.get("/api/calibration").json()
    for comparison in ("machine_vs_human", "human_vs_human"):
        tier = [r for r in rows if r["comparison"] == comparison and r["subject"] == "tier"]
        assert len(tier) == 9
        assert sum(int(r["count"]) for r in tier) == result[comparison]["tier"]["n"]
        rules = {r["subject"] for r in rows if r["comparison"] == comparison and r["subject"] != "tier"}
        assert rules == {f"rule:{rule_id}" for rule_id in result[comparison]["rules"]}
    cell = next(r for r in rows if r["comparison"] == "human_vs_human" and r["subject"] == "tier"
                and (r["first_label"], r["second_label"]) == ("yellow", "red"))  # fmt: skip
    assert cell["count"] == "1" and cell["n"] == "1"
    assert reviewed.get("/api/calibration?format=xml").status_code == 422


def test_the_calibration_page_shows_the_figures(reviewed) -> None:
    html = reviewed.get("/calibration").text
    assert "Machine vs human" in html and "Human vs human" in html
    assert '<strong class="tier-n">2</strong>' in html
    assert "greeting_own_name" in html and 'href="/api/calibration?format=csv"' in html
