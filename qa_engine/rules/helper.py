"""What runs inside a rules-stage helper process (`qa_engine.rules.parallel` is the parent's side).

A helper holds one rule pack and the Docs of its share of the current batch between the two calls a batch makes:
`build_docs` when the parent's NLP stage starts, `evaluate` when its rules stage starts. This module imports
nothing heavy at its top, so that `without_torch`, the helper's initializer, runs before spaCy is imported: thinc
imports torch whenever it is installed, and a helper, which only runs spaCy's numpy models, would carry torch's
185 MB for nothing.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import polars as pl
    from spacy.tokens import Doc

    from qa_engine.rules.loader import RulePack

_pack: RulePack | None = None
_docs: dict[int, list[Doc]] = {}  # batch key -> the Docs of this helper's share


def without_torch() -> None:
    """Make `import torch` fail in this process (thinc then runs without it, as it does where torch is absent)."""
    sys.modules.setdefault("torch", None)  # type: ignore[arg-type]  # None in sys.modules: ImportError


def load(path: Path) -> str:
    """Load the rule pack and every language's pipeline; the pack's version, to check it against the parent's."""
    global _pack
    from qa_engine import schema
    from qa_engine.nlp.pipelines import get_nlp
    from qa_engine.rules.loader import load_pack

    _pack = load_pack(path)
    for language in schema.LANGUAGES:
        get_nlp(language)("预热 warm-up")  # a first text loads what loads lazily (jieba's dictionary: 1 s)
    return _pack.version


def build_docs(key: int, tickets: pl.DataFrame, turns: pl.DataFrame) -> int:
    """Build and keep the Docs of this helper's share of batch `key`."""
    from qa_engine.nlp.pipelines import make_docs

    if _pack is None:
        raise RuntimeError("this helper has no rule pack loaded")
    _docs.clear()  # a batch whose rules stage never came (its run failed earlier) leaves nothing behind
    _docs[key] = make_docs(tickets, turns)
    return len(_docs[key])


def evaluate(key: int, tickets: pl.DataFrame, turns: pl.DataFrame) -> pl.DataFrame:
    """The rule results of this helper's share of batch `key` (its turns now carry the affect columns)."""
    from qa_engine.memory import frozen_heap
    from qa_engine.rules.engine import evaluate as evaluate_pack

    if _pack is None or key not in _docs:
        raise RuntimeError(f"no Docs for batch {key} in this helper")
    docs = _docs.pop(key)
    with frozen_heap():  # the share's Docs: not walked by each GC collection (as in the parent)
        return evaluate_pack(_pack, tickets, turns, docs)


def peak_rss_mb() -> float:
    """This process's peak resident memory in MB. VmHWM, not getrusage: a spawned process's ru_maxrss starts at
    its parent's size when it forked (Linux keeps it across exec)."""
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024  # kB
    return float("nan")  # not Linux
