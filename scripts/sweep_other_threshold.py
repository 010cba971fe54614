"""Sweep the contact-reason `other` threshold (`min_score` in models/reasons/taxonomy.yaml) on the held-apart sets.

Why: `other` must hold what fits no reason, not what the classifier is unsure of, so the threshold is
chosen on held-apart requests, and the model card states the sweep. The sets are encoded once (fp32, as the
committed figures are) and the reasons stage is run at each threshold with the committed classifier.

    PYTHONPATH=$PWD .venv/bin/python scripts/sweep_other_threshold.py [THRESHOLD ...]
"""

from __future__ import annotations

import sys
from dataclasses import replace

from sklearn.metrics import f1_score

from qa_engine import paths
from qa_engine.cli.reasons import COMMITTED_PRECISION, _scorer
from qa_engine.reasons.evaluate import (
    REASON_SET,
    UNSEEN_SET,
    read_set,
    realistic_sets,
    request_frames,
    run_stage,
)
from qa_engine.reasons.stage import ReasonsStage
from qa_engine.reasons.taxonomy import OTHER, REASONS

DEFAULT_THRESHOLDS = (0.2, 0.3, 0.35, 0.4, 0.45, 0.5, 0.6)
SETS = (("reasons", REASON_SET), ("unseen", UNSEEN_SET))


def main(thresholds: list[float]) -> None:
    scorer = _scorer(None, None, COMMITTED_PRECISION)
    stage = ReasonsStage.load(scorer)
    print(f"classifier {stage.model.version}")
    sets = {name: read_set(paths.models_dir() / file, "reason", REASONS) for name, file in SETS}
    sets["realistic"] = [r for file in realistic_sets() for r in read_set(file, "reason", REASONS)]
    frames = {name: request_frames(scorer, requests) for name, requests in sets.items()}
    for threshold in thresholds:
        spec = stage.taxonomy.spec.model_copy(update={"min_score": threshold})
        at = ReasonsStage(replace(stage.taxonomy, spec=spec), stage.signals, stage.model)
        line = [f"min_score {threshold}"]
        for name, requests in sets.items():
            found = run_stage(at, frames[name])
            pred, gold = found["contact_reason"].to_list(), [r.label for r in requests]
            f1 = f1_score(gold, pred, labels=list(REASONS), average="macro", zero_division=0)
            to_other = sum(g != OTHER and p == OTHER for g, p in zip(gold, pred, strict=True))
            given = sum(g == OTHER and p != OTHER for g, p in zip(gold, pred, strict=True))
            topical = sum(g != OTHER for g in gold)
            line.append(
                f"{name}: macro-F1 {f1:.3f}, topical to other {to_other}/{topical}, "
                f"other given a reason {given}/{len(gold) - topical}"
            )
        print(" | ".join(line), flush=True)


if __name__ == "__main__":
    main([float(x) for x in sys.argv[1:]] or list(DEFAULT_THRESHOLDS))
