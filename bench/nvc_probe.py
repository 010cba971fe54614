"""Accuracy of the `nvc_after_complaint` rule on a held-apart probe (bench/probes/nvc.yaml), per language.

    PYTHONPATH=. .venv/bin/python bench/nvc_probe.py [--no-models]

The probe's wording is not the pack's. Unpinned affect comes from the real models, as in `qa rules test`
(`--no-models`: neutral affect, so only the complaint wording triggers the rule). Prints one line per language and
each miss, and exits 1 when any probe is missed.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
RULE = "nvc_after_complaint"


def probe_results(models: bool = True) -> list[tuple[str, str, str, str]]:
    """(language, expected, got, detail) for every probe."""
    from qa_engine.rules.examples import ExampleCase, run_examples
    from qa_engine.rules.loader import load_pack
    from qa_engine.rules.models import Example

    pack = load_pack(ROOT / "rules" / "default")
    rule = pack.get(RULE)
    probes = yaml.safe_load((ROOT / "bench" / "probes" / "nvc.yaml").read_text(encoding="utf-8"))["probes"]
    cases = [
        ExampleCase(rule, p["expect"], i, Example(language=p["language"], turns=p["turns"]))
        for i, p in enumerate(probes)
    ]
    affect = None
    if models:
        from qa_engine.affect import AffectScorer

        affect = AffectScorer.from_registry().score_turns
    return [
        (r.case.example.language, r.case.expected, r.got, r.detail)
        for r in run_examples(pack, cases, affect=affect)
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-models", action="store_true", help="neutral affect instead of the models")
    args = parser.parse_args()
    results = probe_results(models=not args.no_models)
    total, right = Counter(), Counter()
    for language, expected, got, detail in results:
        total[language] += 1
        right[language] += expected == got
        if expected != got:
            print(f"  miss [{language}] expected {expected}, got {got}: {detail}")
    for language in total:
        print(f"{language}: {right[language]}/{total[language]} ({right[language] / total[language]:.0%})")
    print(f"all: {sum(right.values())}/{len(results)}")
    return 0 if sum(right.values()) == len(results) else 1


if __name__ == "__main__":
    sys.exit(main())
