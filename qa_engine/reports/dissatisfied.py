"""Likely-dissatisfied customers: an agent's share against the team's.

A ticket counts as *likely dissatisfied* when its predicted `dissatisfaction_risk` is at least the rule pack's
"likely dissatisfied" line: the yellow `dissatisfaction_risk_at_least` threshold of its tier policy, the same line
that makes a ticket yellow and that `qa tiers calibrate` moves. The share is over the tickets that carry a risk
(a ticket with nothing to judge has a null risk and counts in neither part). The counting is SQL in
`queries.load_period`; this module only pairs a subject's figure with its reference.
"""

from __future__ import annotations

from dataclasses import dataclass

from qa_engine.reports.keyissues import rate
from qa_engine.reports.queries import PeriodData


@dataclass(frozen=True)
class DissatisfiedShare:
    threshold: float  # risk at or above this is "likely dissatisfied"
    dissatisfied: int
    judged: int  # tickets with a risk
    reference_dissatisfied: int
    reference_judged: int

    @property
    def share(self) -> float | None:
        return rate(self.dissatisfied, self.judged)

    @property
    def reference_share(self) -> float | None:
        return rate(self.reference_dissatisfied, self.reference_judged)

    @property
    def verdict(self) -> str:
        """`worse` when the subject leaves a larger share of customers likely dissatisfied than the reference."""
        if (
            self.share is None
            or self.reference_share is None
            or abs(self.share - self.reference_share) < 1e-9
        ):
            return "same"
        return "worse" if self.share > self.reference_share else "better"


def counts(summary: dict | None) -> tuple[int, int]:
    """(likely dissatisfied, judged) of one summary row (0, 0 when there is none)."""
    if not summary:
        return 0, 0
    return int(summary.get("dissatisfied") or 0), int(summary.get("risk_judged") or 0)


def dissatisfied_share(
    data: PeriodData, threshold: float, level: str, key: str, ref_level: str, ref_key: str
) -> DissatisfiedShare:
    """The subject's (an agent's, a team's) likely-dissatisfied share with its reference's (the team, all)."""
    own = counts(data.summary_of(level, key))
    ref = counts(data.summary_of(ref_level, ref_key))
    return DissatisfiedShare(threshold, *own, *ref)
