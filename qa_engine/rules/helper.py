"""What runs inside a rules-stage helper process (`qa_engine.rules.parallel` is the parent's side).

A helper holds one rule pack and tier policy, and its share of the current batch across the three calls a batch
makes: `judge_before_affect` when the parent's NLP stage starts (it builds the Docs and judges every rule that does
not read sentiment or emotion), `evaluate` when the rules stage starts (the rest of the rules; it keeps the turns
and results), `tiers` when the tier stage starts. This module imports nothing heavy at its top, so that
`without_torch`, the helper's initializer, runs before spaCy is imported: thinc imports torch whenever it is
installed, and a helper, which only runs spaCy's numpy models, would carry torch's 185 MB for nothing.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import polars as pl
    from spacy.tokens import Doc

    from qa_engine.rules.conversation import Outcome
    from qa_engine.rules.loader import RulePack
    from qa_engine.scoring.policy import TierPolicy

_pack: RulePack | None = None
_policy: TierPolicy | None = None
# batch key -> the Docs of this helper's share, and the outcomes of the rules judged before affect (by position)
_early: dict[int, tuple[list[Doc], dict[int, list[Outcome]]]] = {}
_judged: dict[int, tuple[pl.DataFrame, pl.DataFrame]] = {}  # batch key -> the share's turns and rule results


def without_torch() -> None:
    """Make `import torch` fail in this process (thinc then runs without it, as it does where torch is absent)."""
    sys.modules.setdefault("torch", None)  # type: ignore[arg-type]  # None in sys.modules: ImportError


def load(path: Path) -> tuple[str, str]:
    """Load the rule pack, its tier policy and every language's pipeline; the pack's and the policy's versions, to
    check them against the parent's."""
    global _pack, _policy
    from qa_engine import schema
    from qa_engine.nlp.pipelines import get_nlp
    from qa_engine.rules.loader import load_pack
    from qa_engine.scoring import load_policy

    _pack, _policy = load_pack(path), load_policy(path)
    for language in schema.LANGUAGES:
        get_nlp(language)("预热 warm-up")  # a first text loads what loads lazily (jieba's dictionary: 1 s)
    return _pack.version, _policy.version


def judge_before_affect(key: int, tickets: pl.DataFrame, turns: pl.DataFrame) -> int:
    """Build and keep the Docs of this helper's share of batch `key`, and judge the rules whose kinds do not read
    affect (`reads_affect`) now, while the parent runs NLP and the models; the number of Docs."""
    from qa_engine.memory import frozen_heap
    from qa_engine.nlp.pipelines import make_docs
    from qa_engine.rules.engine import judge, prepare

    if _pack is None:
        raise RuntimeError("this helper has no rule pack loaded")
    _early.clear()  # a batch whose later stages never came (its run failed earlier) leaves nothing behind
    _judged.clear()
    docs = make_docs(tickets, turns)
    early = [at for at, rule in enumerate(_pack.rules) if not rule.kind.reads_affect]
    with frozen_heap():  # the share's Docs: not walked by each GC collection (as in the parent)
        conversations, frame = prepare(tickets, turns, docs)
        outcomes = judge([_pack.rules[at] for at in early], conversations, frame)
    _early[key] = (docs, dict(zip(early, outcomes, strict=True)))
    return len(docs)


def evaluate(key: int, tickets: pl.DataFrame, turns: pl.DataFrame) -> pl.DataFrame:
    """The rule results of this helper's share of batch `key`: its turns now carry the affect columns, so the
    rules that read them are judged now and joined with those judged before."""
    from qa_engine.memory import frozen_heap
    from qa_engine.rules.engine import judge, prepare, results_frame

    if _pack is None or key not in _early:
        raise RuntimeError(f"no Docs for batch {key} in this helper")
    docs, early = _early.pop(key)
    rules = _pack.rules
    late = [at for at in range(len(rules)) if at not in early]
    with frozen_heap():
        conversations, frame = prepare(tickets, turns, docs)
        outcomes = early | dict(
            zip(late, judge([rules[at] for at in late], conversations, frame), strict=True)
        )
        results = results_frame(rules, conversations, [outcomes[at] for at in range(len(rules))])
    _judged[key] = (turns, results)
    return results


def tiers(key: int, tickets: pl.DataFrame) -> pl.DataFrame:
    """The tiers of `tickets`, some of this helper's share of batch `key` (the parent computes the others), with
    the reasons stage's columns now."""
    import polars as pl

    from qa_engine.memory import frozen_heap
    from qa_engine.rules.scopes import apply_scopes
    from qa_engine.scoring import assign_tiers

    if _policy is None or _pack is None or key not in _judged:
        raise RuntimeError(f"no rule results for batch {key} in this helper")
    turns, results = _judged.pop(key)
    ids = tickets["ticket_id"].implode()
    with frozen_heap():
        return assign_tiers(
            tickets,
            turns.filter(pl.col("ticket_id").is_in(ids)),
            apply_scopes(_pack.rules, tickets, results.filter(pl.col("ticket_id").is_in(ids))),
            _policy,
            _pack.covered_languages,
        )


def peak_rss_mb() -> float:
    """This process's peak resident memory in MB. VmHWM, not getrusage: a spawned process's ru_maxrss starts at
    its parent's size when it forked (Linux keeps it across exec)."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024  # kB
    except OSError:  # not Linux
        pass
    return float("nan")
