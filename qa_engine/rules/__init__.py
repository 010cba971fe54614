"""Compliance rules as data: YAML rule packs, kinds registered by name, and the engine that evaluates them.

pack = load_pack("rules/default")
results = evaluate(pack, tickets, turns, docs)  # schema.RULE_RESULTS, one row per ticket x rule

Names are imported on first use (PEP 562), so `import qa_engine.cli.rules` does not load spaCy: `qa rules --help`
stays instant.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "evaluate": "qa_engine.rules.engine",
    "ExampleCase": "qa_engine.rules.examples",
    "ExampleResult": "qa_engine.rules.examples",
    "example_cases": "qa_engine.rules.examples",
    "run_examples": "qa_engine.rules.examples",
    "Rule": "qa_engine.rules.loader",
    "RulePack": "qa_engine.rules.loader",
    "load_pack": "qa_engine.rules.loader",
    "register_kind": "qa_engine.rules.registry",
    "registered_kinds": "qa_engine.rules.registry",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'qa_engine.rules' has no attribute {name!r}")
