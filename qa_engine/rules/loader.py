"""Compile a rule pack: each rule of a `qa_engine.pack.Pack` gets its kind, with the kind's parameters validated and
its matchers built (this is the step that imports spaCy).

Reading the pack (YAML, common fields, duplicate ids: Q103, Q104, Q105, Q109) is `qa_engine.pack`'s; a problem
found here still names the file, the line, the rule id and the field: Q102 an unknown kind (listing the known
ones), Q103 a bad kind field or a language the kind cannot serve, Q109 a regular expression that could backtrack
exponentially (`rules.regex`). The pack's `version` (a hash of its rule files and the settings they read) lets
stored results say which rules produced them.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, ValidationError

from qa_engine.errors import QAError
from qa_engine.nlp.normalize import base_language
from qa_engine.pack.load import Pack, RuleEntry, rule_error
from qa_engine.pack.load import load_pack as read_pack
from qa_engine.pack.yamlfile import dotted
from qa_engine.rules.kinds.base import RuleKind
from qa_engine.rules.models import ALL, RuleSpec
from qa_engine.rules.registry import registered_kinds


@dataclass(frozen=True)
class Rule:
    """A validated rule: its common fields, its kind (with parameters loaded) and where it was defined."""

    spec: RuleSpec
    kind: RuleKind
    file: str
    line: int

    @property
    def id(self) -> str:
        return self.spec.id

    def skip_reason(self, language: str, channel: str) -> str | None:
        """Why the rule is na for a ticket's language or channel, or None when it applies."""
        languages, channels = self.spec.languages, self.spec.channels
        if languages != ALL and language not in {base_language(code) for code in languages}:
            return f"the rule does not cover language '{language}'"
        if channels != ALL and channel not in channels:
            return f"the rule does not cover channel '{channel}'"
        return None


@dataclass(frozen=True)
class RulePack:
    rules: tuple[Rule, ...]
    version: str  # first 12 hex digits of the sha256 of the pack's files (names and content)
    path: Path

    def __iter__(self) -> Iterator[Rule]:
        return iter(self.rules)

    def __len__(self) -> int:
        return len(self.rules)

    @property
    def covered_languages(self) -> frozenset[str] | None:
        """The languages some rule of the pack names (base codes): a ticket in another language is judged by
        language-independent rules only (SLAs, payment data), so its tier cannot say it was served well. None when
        no rule names a language (every rule applies to all)."""
        named = [rule.spec.languages for rule in self.rules if rule.spec.languages != ALL]
        return frozenset(base_language(code) for codes in named for code in codes) if named else None

    def get(self, rule_id: str) -> Rule:
        for rule in self.rules:
            if rule.id == rule_id:
                return rule
        raise KeyError(rule_id)


def load_pack(path: str | Path | None = None) -> RulePack:
    """Read a pack (a YAML file or a folder of them; the default pack without a path) and compile its rules."""
    return compile_pack(read_pack(path))


def compile_pack(pack: Pack) -> RulePack:
    """Every rule of `pack` with its kind built, the pack's shared settings (SLAs, business hours) handed to it."""
    rules = tuple(_compile(entry) for entry in pack.rules)
    for rule in rules:
        rule.kind.use_pack_settings(pack.settings)
    return RulePack(rules=rules, version=pack.version, path=pack.path)


def _compile(entry: RuleEntry) -> Rule:
    kinds = registered_kinds()
    spec, file = entry.spec, entry.file
    if spec.kind not in kinds:
        raise QAError(
            "Q102", kind=spec.kind, file=file, line=entry.line_of("kind"), rule_id=spec.id, known=list(kinds)
        )
    kind_cls = kinds[spec.kind]
    try:
        params: BaseModel = kind_cls.Params.model_validate(entry.params)
    except ValidationError as exc:
        raise rule_error(exc, file, entry.node, spec.id) from None
    kind = kind_cls(params)
    problems = kind.language_problems(spec.languages) if spec.languages != ALL else []
    if problems:
        loc, detail = problems[0]
        raise QAError(
            "Q103", file=file, line=entry.line_of(*loc), rule_id=spec.id, field=dotted(loc), detail=detail
        )
    return Rule(spec=spec, kind=kind, file=file, line=entry.line)
