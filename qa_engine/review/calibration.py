"""How far the machine agrees with people, and people with each other: counts, confusion matrices, Cohen's kappa.

Machine vs human compares the machine's current verdict (so a better model or rule pack shows up at once after a
re-score) with each ticket's latest review. Human vs human compares, on tickets that two or more people reviewed,
each reviewer's latest review with every later reviewer's (first rater: the one who reviewed earlier). Per rule, a
reviewer's outcome is their override, or the machine's outcome they saw and let stand.

Kappa is (observed - expected agreement) / (1 - expected); it is null when expected agreement is 1 (both raters
used one and the same label throughout), where it is undefined.
"""

from __future__ import annotations

import csv
import io
import json
from collections import defaultdict
from dataclasses import dataclass, field
from itertools import combinations

from qa_engine.review.binding import CURRENT_REVIEW
from qa_engine.review.db import ReviewDB
from qa_engine.review.scope import Scope
from qa_engine.schema import OUTCOMES, TIERS

MACHINE_VS_HUMAN, HUMAN_VS_HUMAN = "machine_vs_human", "human_vs_human"
CSV_COLUMNS = ("comparison", "subject", "n", "agreement", "kappa", "first_label", "second_label", "count")


def cohen_kappa(matrix: list[list[int]]) -> float | None:
    """Cohen's kappa of a square confusion matrix (rows: first rater, columns: second); None when undefined."""
    n = sum(map(sum, matrix))
    if n == 0:
        return None
    observed = sum(matrix[i][i] for i in range(len(matrix))) / n
    rows = [sum(r) / n for r in matrix]
    cols = [sum(r[j] for r in matrix) / n for j in range(len(matrix))]
    expected = sum(a * b for a, b in zip(rows, cols, strict=True))
    if expected >= 1.0 - 1e-12:
        return None
    return (observed - expected) / (1.0 - expected)


@dataclass
class Agreement:
    """Pairs of labels from two raters over a fixed label set."""

    labels: tuple[str, ...]
    matrix: list[list[int]] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not self.matrix:
            self.matrix = [[0] * len(self.labels) for _ in self.labels]

    def add(self, first: str, second: str) -> None:
        if first in self.labels and second in self.labels:  # a label outside the set (null tier) is no pair
            self.matrix[self.labels.index(first)][self.labels.index(second)] += 1

    @property
    def n(self) -> int:
        return sum(map(sum, self.matrix))

    def as_dict(self) -> dict:
        n = self.n
        kappa = cohen_kappa(self.matrix)
        agree = sum(self.matrix[i][i] for i in range(len(self.labels)))
        return {
            "n": n,
            "agreement": round(agree / n, 4) if n else None,
            "kappa": round(kappa, 4) if kappa is not None else None,
            "labels": list(self.labels),
            "confusion": [list(r) for r in self.matrix],
        }


@dataclass
class Comparison:
    tier: Agreement = field(default_factory=lambda: Agreement(TIERS))
    rules: dict[str, Agreement] = field(default_factory=lambda: defaultdict(lambda: Agreement(OUTCOMES)))
    tickets: int = 0
    pairs: int = 0

    def add(self, first_tier: str, second_tier: str, first_rules: dict, second_rules: dict) -> None:
        self.pairs += 1
        self.tier.add(first_tier, second_tier)
        for rule_id in first_rules.keys() & second_rules.keys():
            self.rules[rule_id].add(first_rules[rule_id], second_rules[rule_id])

    def as_dict(self, first: str, second: str) -> dict:
        return {
            "first": first, "second": second, "tickets": self.tickets, "pairs": self.pairs,
            "tier": self.tier.as_dict(),
            "rules": {rule_id: self.rules[rule_id].as_dict() for rule_id in sorted(self.rules)},
        }  # fmt: skip


def calibration(db: ReviewDB, scope: Scope) -> dict:
    """Agreement over the reviewed tickets within `scope`."""
    with db.read() as con:
        reviews = con.execute(
            "SELECT r.ticket_id, r.reviewer, r.version, r.tier, r.rule_outcomes FROM reviews r "
            f"JOIN tickets t USING (ticket_id) WHERE ({scope.sql}) AND {CURRENT_REVIEW} "
            "QUALIFY row_number() OVER (PARTITION BY r.ticket_id, r.reviewer ORDER BY r.version DESC) = 1 "
            "ORDER BY r.ticket_id, r.version",
            scope.params,
        ).fetchall()
        ids = sorted({r[0] for r in reviews})
        machine_tier = dict(
            con.execute(
                "SELECT ticket_id, tier FROM tickets WHERE ticket_id IN (SELECT unnest(?))", [ids]
            ).fetchall()
        )
        machine_rules: dict[str, dict[str, str]] = defaultdict(dict)
        for ticket_id, rule_id, outcome in con.execute(
            "SELECT ticket_id, rule_id, outcome FROM rule_results WHERE ticket_id IN (SELECT unnest(?))",
            [ids],
        ).fetchall():
            machine_rules[ticket_id][rule_id] = outcome
    by_ticket: dict[str, list[tuple[str, dict]]] = defaultdict(list)  # in review order
    for ticket_id, _reviewer, _version, tier, outcomes in reviews:
        by_ticket[ticket_id].append((tier, json.loads(outcomes) if outcomes else {}))
    machine, humans = Comparison(), Comparison()
    for ticket_id, verdicts in by_ticket.items():
        machine.tickets += 1
        machine.add(machine_tier.get(ticket_id), verdicts[-1][0], machine_rules[ticket_id], verdicts[-1][1])
        if len(verdicts) > 1:
            humans.tickets += 1
            for (tier_a, rules_a), (tier_b, rules_b) in combinations(verdicts, 2):
                humans.add(tier_a, tier_b, rules_a, rules_b)
    return {
        MACHINE_VS_HUMAN: machine.as_dict("machine", "latest review"),
        HUMAN_VS_HUMAN: humans.as_dict("earlier reviewer", "later reviewer"),
    }


def calibration_csv(result: dict) -> str:
    """One row per confusion-matrix cell of every comparison and subject (tier, then each rule)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for comparison in (MACHINE_VS_HUMAN, HUMAN_VS_HUMAN):
        subjects = [("tier", result[comparison]["tier"])]
        subjects += [(f"rule:{rule_id}", a) for rule_id, a in result[comparison]["rules"].items()]
        for subject, agreement in subjects:
            for i, first in enumerate(agreement["labels"]):
                for j, second in enumerate(agreement["labels"]):
                    writer.writerow([
                        comparison, subject, agreement["n"],
                        "" if agreement["agreement"] is None else agreement["agreement"],
                        "" if agreement["kappa"] is None else agreement["kappa"],
                        first, second, agreement["confusion"][i][j],
                    ])  # fmt: skip
    return out.getvalue()
