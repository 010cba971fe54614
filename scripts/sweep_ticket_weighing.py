"""Sweep how much the opening request weighs in a ticket's contact reason (`opening_weight` of the reasons stage).

Why: a conversation's reason is the reason with the most probability over its topical customer turns, the first of
them counted `opening_weight` times, because customers usually say first why they came. Too little and a later turn
in another reason's words wins (a refund asked after a lost parcel); too much and a misread opening wins. Measured on
the whole-conversation set (models/reasons/eval/tickets_multiturn.*), encoded once (fp32, as the committed figures
are); the model card states the sweep.

    PYTHONPATH=$PWD .venv/bin/python scripts/sweep_ticket_weighing.py [WEIGHT ...]
"""

from __future__ import annotations

import sys

from sklearn.metrics import f1_score

from qa_engine.cli.reasons import COMMITTED_PRECISION, _scorer
from qa_engine.reasons.evaluate import read_tickets, run_stage, ticket_frames
from qa_engine.reasons.stage import ReasonsStage
from qa_engine.reasons.taxonomy import REASONS

DEFAULT_WEIGHTS = (1.0, 1.5, 2.0, 3.0, 4.0, 6.0)


def main(weights: list[float]) -> None:
    scorer = _scorer(None, None, COMMITTED_PRECISION)
    stage = ReasonsStage.load(scorer)
    labelled = read_tickets()
    if labelled is None:
        sys.exit("no whole-conversation set under models/reasons/eval/")
    frames = ticket_frames(scorer, labelled)
    gold = [r.label for r in labelled.labels]
    languages = [r.language for r in labelled.labels]
    print(f"classifier {stage.model.version}, {len(gold)} conversations")
    for weight in weights:
        at = ReasonsStage(stage.taxonomy, stage.signals, stage.model, opening_weight=weight)
        pred = run_stage(at, frames)["contact_reason"].to_list()
        f1 = f1_score(gold, pred, labels=list(REASONS), average="macro", zero_division=0)
        right = {
            lang: sum(g == p for g, p, x in zip(gold, pred, languages, strict=True) if x == lang)
            for lang in sorted(set(languages))
        }
        print(f"opening_weight {weight}: macro-F1 {f1:.3f}, right {sum(right.values())}/{len(gold)} {right}")


if __name__ == "__main__":
    main([float(x) for x in sys.argv[1:]] or list(DEFAULT_WEIGHTS))
