"""Pin the registered rule kinds and their YAML fields, like spaCy's factory-registration snapshot.

A change here changes what rule packs may say: update kinds_snapshot.json on purpose, never to make CI green.
"""

import json
from pathlib import Path

import pytest

from qa_engine.rules import register_kind, registered_kinds
from qa_engine.rules.kinds.base import RuleKind

SNAPSHOT = Path(__file__).with_name("kinds_snapshot.json")


def test_registered_kinds_match_the_snapshot() -> None:
    current = {name: sorted(cls.Params.model_fields) for name, cls in registered_kinds().items()}
    assert current == json.loads(SNAPSHOT.read_text(encoding="utf-8"))


def test_every_kind_is_a_rule_kind_named_as_registered() -> None:
    for name, cls in registered_kinds().items():
        assert issubclass(cls, RuleKind)
        assert cls.name == name


def test_a_name_cannot_be_taken_twice() -> None:
    with pytest.raises(ValueError, match="already registered"):

        @register_kind("phrase")
        class Impostor(RuleKind):  # pragma: no cover - never instantiated
            pass
