"""The calibration page's tier thresholds: what `qa tiers calibrate --dry-run` prints, read-only.

The page shows how the tier policy's dissatisfaction thresholds agree with the store's own labels (a QA lead's latest
reviewed tier, else `csat`) now and at the thresholds the calibration would choose: labelled tickets, Cohen's kappa
and the confusion before and after, and the proposed thresholds. Nothing is written: moving the thresholds changes
every team's tiers, so it stays a deliberate command (`qa tiers calibrate`), followed by `qa rescore`.
The figures are over the whole store, like the command's, so only QA leads (who see every ticket) are shown them.
"""

from __future__ import annotations

from dataclasses import dataclass

from qa_engine.errors import QAError
from qa_engine.review.db import ReviewDB


@dataclass(frozen=True)
class ThresholdView:
    result: dict | None  # `Calibration.as_dict()`; None when the store cannot be calibrated
    problem: str | None  # why not (too few labels, no dissatisfaction condition in the policy)


def tier_thresholds(db: ReviewDB, pack: str | None = None) -> ThresholdView:
    """The dry-run calibration of the default pack's (or `pack`'s) tier thresholds over the store."""
    from qa_engine.scoring.calibrate import calibrate
    from qa_engine.store.location import StoreUrl

    # a PostgreSQL store by its whole URL (its `path` shows no password, so it could not connect), as a StoreUrl so
    # that the Q754 message on the page still shows none
    location = StoreUrl(db.store.url) if db.postgres else db.path
    try:
        with db.reading():
            result = calibrate(location, pack, write=False)
    except QAError as exc:
        if exc.code != "Q754":
            raise
        return ThresholdView(None, str(exc))
    return ThresholdView(result.as_dict(), None)
