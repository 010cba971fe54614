"""Load a rule pack (a YAML file or a folder of them) into validated rules, failing early with file and line.

Every problem names the file, the line, the rule id and the field: Q102 an unknown kind (listing the known ones),
Q103 a bad or missing field, Q104 a duplicate id, Q105 YAML that does not parse, Q109 a regular expression that
could backtrack exponentially (`rules.regex`). The pack's `version` is a hash
of its files' content, so stored results can say which rules produced them.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from qa_engine.errors import QAError
from qa_engine.kpi.targets import pack_settings
from qa_engine.nlp.normalize import base_language
from qa_engine.rules.kinds.base import RuleKind
from qa_engine.rules.models import ALL, COMMON_KEYS, RuleSpec
from qa_engine.rules.regex import SlowPattern
from qa_engine.rules.registry import registered_kinds

YAML_SUFFIXES = (".yaml", ".yml")


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

    def listing(self) -> dict[str, Any]:
        """The row `qa rules list` shows (CONTRACT.md section 2)."""
        spec = self.spec
        return {
            "id": spec.id, "title": spec.title, "kind": spec.kind, "category": spec.category,
            "weight": spec.weight, "critical": spec.critical, "languages": spec.languages, "channels": spec.channels,
            "markets": spec.markets, "contact_reasons": spec.contact_reasons,
        }  # fmt: skip


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


def load_pack(path: str | Path) -> RulePack:
    """Read and validate every rule in a YAML file, or in every *.yaml / *.yml file under a folder."""
    root = Path(path)
    if not root.exists():
        raise QAError("Q101", path=root)
    files = (
        sorted(p for p in root.rglob("*") if p.suffix in YAML_SUFFIXES and p.is_file())
        if root.is_dir()
        else [root]
    )
    if not files:
        raise QAError("Q108", path=root)
    digest = hashlib.sha256()
    rules: list[Rule] = []
    first_seen: dict[str, str] = {}
    for file in files:
        raw = file.read_bytes()
        file_rules = _load_file(file, raw, in_folder=root.is_dir())
        if file_rules:  # other pack data (tiers, targets, signals) is versioned by its own loader
            digest.update(
                file.relative_to(root).as_posix().encode() + b"\0" + raw + b"\0" if root.is_dir() else raw
            )
        for rule in file_rules:
            if rule.id in first_seen:
                raise QAError(
                    "Q104", rule_id=rule.id, file=rule.file, line=rule.line, first=first_seen[rule.id]
                )
            first_seen[rule.id] = f"{rule.file}:{rule.line}"
            rules.append(rule)
    if not rules:
        raise QAError("Q108", path=root)
    settings = pack_settings(root)
    for rule in rules:
        rule.kind.use_pack_settings(settings)
    # the shared settings the rules read are part of what produced their results
    digest.update(json.dumps(dict(settings.sla_seconds), sort_keys=True).encode())
    digest.update(repr(sorted(settings.business_hours.items())).encode())
    return RulePack(rules=tuple(rules), version=digest.hexdigest()[:12], path=root)


def _load_file(file: Path, raw: bytes, *, in_folder: bool) -> list[Rule]:
    """The rules of one file. In a pack folder, a mapping without `rules:` holds other pack data (the tier
    policy, read by scoring) and yields no rules; a file named on its own must be a rule file."""
    data, node = _parse(file, raw)
    name = str(file)
    if in_folder and isinstance(data, dict) and "rules" not in data:
        return []
    if not isinstance(data, dict) or not isinstance(data.get("rules"), list):
        raise QAError(
            "Q103", file=name, line=1, rule_id="-", field="rules", detail="the file needs a `rules:` list"
        )
    return [_load_rule(name, node, index, raw_rule) for index, raw_rule in enumerate(data["rules"])]


def _load_rule(file: str, node: yaml.Node, index: int, raw: Any) -> Rule:
    here = ("rules", index)
    line = _line(node, here)
    if not isinstance(raw, dict):
        raise QAError(
            "Q103", file=file, line=line, rule_id=f"#{index + 1}", field="rules", detail="expected a mapping"
        )
    rule_id = str(raw.get("id", f"#{index + 1}"))

    def invalid(exc: ValidationError) -> QAError:
        error = exc.errors()[0]
        loc = _clean_loc(error["loc"])
        cause = error.get("ctx", {}).get("error")
        if isinstance(cause, SlowPattern):  # its own code: a pattern that could hang a run, not a typo
            where = (*loc, cause.language)
            return QAError(
                "Q109", file=file, line=_line(node, here + where), rule_id=rule_id, field=_dotted(where),
                detail=str(cause),
            )  # fmt: skip
        return QAError(
            "Q103", file=file, line=_line(node, here + loc), rule_id=rule_id, field=_dotted(loc) or "(rule)",
            detail=error["msg"],
        )  # fmt: skip

    kinds = registered_kinds()
    kind_name = raw.get("kind")
    if isinstance(kind_name, str) and kind_name not in kinds:
        raise QAError(
            "Q102",
            kind=kind_name,
            file=file,
            line=_line(node, (*here, "kind")),
            rule_id=rule_id,
            known=list(kinds),
        )
    try:
        spec = RuleSpec.model_validate({k: v for k, v in raw.items() if k in COMMON_KEYS})
    except ValidationError as exc:
        raise invalid(exc) from None
    kind_cls = kinds[spec.kind]
    try:
        params: BaseModel = kind_cls.Params.model_validate(
            {k: v for k, v in raw.items() if k not in COMMON_KEYS}
        )
    except ValidationError as exc:
        raise invalid(exc) from None
    kind = kind_cls(params)
    problems = kind.language_problems(spec.languages) if spec.languages != ALL else []
    if problems:
        loc, detail = problems[0]
        raise QAError(
            "Q103",
            file=file,
            line=_line(node, here + loc),
            rule_id=rule_id,
            field=_dotted(loc),
            detail=detail,
        )
    return Rule(spec=spec, kind=kind, file=file, line=line)


def _parse(file: Path, raw: bytes) -> tuple[Any, yaml.Node | None]:
    """The file's data and its node tree (which knows every value's line)."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise QAError(
            "Q105", file=file, line=raw[: exc.start].count(b"\n") + 1, detail="not UTF-8 text"
        ) from None
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        _reject_duplicate_keys(file, node)
        data = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else 1
        raise QAError(
            "Q105", file=file, line=line, detail=f"{exc.context or ''} {exc.problem or ''}".strip()
        ) from None
    except yaml.YAMLError as exc:
        raise QAError("Q105", file=file, line=1, detail=exc) from None
    finally:
        loader.dispose()
    return data, node


def _reject_duplicate_keys(file: Path, node: yaml.Node | None) -> None:
    """PyYAML keeps the last of two equal keys silently; in a rule pack that hides a mistake."""
    if isinstance(node, yaml.MappingNode):
        seen: dict[Any, int] = {}
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode):
                if key.value in seen:
                    detail = f"key '{key.value}' appears twice (lines {seen[key.value]} and {key.start_mark.line + 1})"
                    raise QAError("Q105", file=file, line=key.start_mark.line + 1, detail=detail)
                seen[key.value] = key.start_mark.line + 1
            _reject_duplicate_keys(file, value)
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            _reject_duplicate_keys(file, item)


def _line(node: yaml.Node | None, loc: tuple[Any, ...]) -> int:
    """The line of the deepest node along `loc` that exists (a missing field points at its parent)."""
    if node is None:
        return 1
    for part in loc:
        child = None
        if isinstance(node, yaml.MappingNode):
            child = next(
                (v for k, v in node.value if isinstance(k, yaml.ScalarNode) and k.value == str(part)), None
            )
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and 0 <= part < len(node.value):
            child = node.value[part]
        if child is None:
            break
        node = child
    return node.start_mark.line + 1


_TYPE_TAGS = frozenset({"str", "int", "float", "bool", "datetime", "list", "dict", "none"})


def _clean_loc(loc: tuple[Any, ...]) -> tuple[Any, ...]:
    """Drop the type tags pydantic puts in union locations ('list[str]', 'LastAgentTurns'): YAML has no such key."""
    return tuple(
        part
        for part in loc
        if isinstance(part, int)
        or not (part in _TYPE_TAGS or part[:1].isupper() or any(c in part for c in "[('-"))
    )


def _dotted(loc: tuple[Any, ...]) -> str:
    """('groups', 0, 'phrases', 'en') -> 'groups[0].phrases.en'."""
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text
