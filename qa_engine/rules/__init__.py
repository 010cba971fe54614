"""Compliance rules as data: YAML rule packs, kinds registered by name, and the engine that evaluates them.

pack = load_pack("rules/default")
results = evaluate(pack, tickets, turns, docs)  # schema.RULE_RESULTS, one row per ticket x rule
"""

from qa_engine.rules.engine import evaluate
from qa_engine.rules.examples import ExampleCase, ExampleResult, example_cases, run_examples
from qa_engine.rules.loader import Rule, RulePack, load_pack
from qa_engine.rules.registry import register_kind, registered_kinds

__all__ = [
    "ExampleCase", "ExampleResult", "Rule", "RulePack", "evaluate", "example_cases", "load_pack", "register_kind",
    "registered_kinds", "run_examples",
]  # fmt: skip
