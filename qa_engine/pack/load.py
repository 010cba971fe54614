"""Read a rule pack once into a data-only `Pack`: its rules (common fields validated, each with its file and line),
tier policy, escalation signals, KPI targets and SLAs, and the version stored results carry.

Nothing is compiled here (no phrase matcher, no spaCy, no torch), so listing rules, writing reports, computing KPIs
and assigning tiers read the pack cheaply and all the same way. `qa_engine.rules.loader.compile_pack` builds the
rules' kinds (their parameters and matchers) from a `Pack`; `qa_engine.reasons` builds the signal matchers.

Every mistake names the file and the line: Q101 no such pack, Q103 a bad rule field, Q104 a duplicate rule id,
Q105 YAML that does not parse, Q108 a pack without rules, Q107 a bad tier policy, Q702 a bad signal file, Q801/Q802
bad targets.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from qa_engine.errors import QAError
from qa_engine.kpi.targets import KpiSettings, settings_from
from qa_engine.pack.files import POLICY_FILE, SIGNALS_FILE, TARGETS_FILE, pack_file, pack_path, yaml_files
from qa_engine.pack.yamlfile import YamlDocument, clean_loc, field_error, line_of, model_from, read_yaml
from qa_engine.reasons.escalation_spec import EscalationSpec
from qa_engine.rules.models import COMMON_KEYS, RuleSpec
from qa_engine.rules.regex import SlowPattern
from qa_engine.scoring.policy import TierPolicy, policy_from


@dataclass(frozen=True)
class RuleEntry:
    """One rule as the pack file wrote it: its validated common fields, the kind's own fields (validated when the
    rule is compiled), and where it is (`node` gives the line of any field)."""

    spec: RuleSpec
    params: dict[str, Any]
    file: str
    line: int
    node: yaml.Node
    index: int  # its position in the file's `rules:` list

    @property
    def id(self) -> str:
        return self.spec.id

    def line_of(self, *loc: Any) -> int:
        """The line of a field of this rule (of the rule itself when the field is missing)."""
        return line_of(self.node, loc)


@dataclass(frozen=True)
class Pack:
    """Everything a rule pack says, validated, with nothing compiled."""

    path: Path
    rules: tuple[RuleEntry, ...]
    settings: KpiSettings  # targets.yaml: KPI targets, SLAs, business hours, cost of an agent hour
    policy: TierPolicy  # tiers.yaml (the default pack's when the pack has none)
    policy_file: Path
    escalation: EscalationSpec  # escalation.yaml (the default pack's when the pack has none)
    escalation_file: Path
    escalation_sha: str
    version: str  # first 12 hex digits of the sha256 of the rule files and the settings the rules read

    def __iter__(self) -> Iterator[RuleEntry]:
        return iter(self.rules)

    def __len__(self) -> int:
        return len(self.rules)


def load_pack(path: str | Path | None = None) -> Pack:
    """Read and validate a pack: a folder of YAML files, or one rule file (its folder holds the rest); the default
    pack without a path."""
    root = pack_path(path)
    files = yaml_files(root)
    if not files:
        raise QAError("Q108", path=root)
    digest = hashlib.sha256()
    rules: list[RuleEntry] = []
    first_seen: dict[str, str] = {}
    documents: dict[Path, YamlDocument] = {}  # every file is read once
    for file in files:
        document = documents[file.resolve()] = read_yaml(file, "Q105")
        entries = _rule_entries(document, in_folder=root.is_dir())
        if entries:  # other pack data (tiers, targets, signals) has versions of its own
            digest.update(
                file.relative_to(root).as_posix().encode() + b"\0" + document.raw + b"\0"
                if root.is_dir()
                else document.raw
            )
        for entry in entries:
            if entry.id in first_seen:
                raise QAError(
                    "Q104", rule_id=entry.id, file=entry.file, line=entry.line, first=first_seen[entry.id]
                )
            first_seen[entry.id] = f"{entry.file}:{entry.line}"
            rules.append(entry)
    if not rules:
        raise QAError("Q108", path=root)

    def parsed(file: Path, code: str, **fields: str) -> YamlDocument:
        return documents.get(file.resolve()) or read_yaml(file, code, **fields)

    targets = pack_file(root, TARGETS_FILE, fallback=False)
    settings = settings_from(parsed(targets, "Q802", field="(yaml)")) if targets else KpiSettings()
    # the shared settings the rules read are part of what produced their results
    digest.update(json.dumps(dict(settings.sla_seconds), sort_keys=True).encode())
    digest.update(repr(sorted(settings.business_hours.items())).encode())
    policy_file = pack_file(root, POLICY_FILE)
    signals_file = pack_file(root, SIGNALS_FILE)
    if not signals_file.is_file():
        raise QAError("Q703", what="Escalation signal file", path=signals_file)
    signals = parsed(signals_file, "Q702", field="-")
    return Pack(
        path=root, rules=tuple(rules), settings=settings, policy=policy_from(parsed(policy_file, "Q107", field="-")),
        policy_file=policy_file, escalation=model_from(signals, EscalationSpec, "Q702"), escalation_file=signals_file,
        escalation_sha=signals.sha, version=digest.hexdigest()[:12],
    )  # fmt: skip


def _rule_entries(document: YamlDocument, *, in_folder: bool) -> list[RuleEntry]:
    """The rules of one file. In a pack folder, a mapping without `rules:` holds other pack data (tier policy,
    signals, targets) and yields no rules; a file named on its own must be a rule file."""
    data, name = document.data, str(document.file)
    if in_folder and isinstance(data, dict) and "rules" not in data:
        return []
    if not isinstance(data, dict) or not isinstance(data.get("rules"), list):
        raise QAError(
            "Q103", file=name, line=1, rule_id="-", field="rules", detail="the file needs a `rules:` list"
        )
    nodes = _rule_nodes(document.node)
    return [_rule_entry(name, nodes[i], i, raw) for i, raw in enumerate(data["rules"])]


def _rule_nodes(node: yaml.Node | None) -> list[yaml.Node]:
    """The nodes of a rule file's `rules:` items."""
    if not isinstance(node, yaml.MappingNode):
        return []
    return next(v for k, v in node.value if isinstance(k, yaml.ScalarNode) and k.value == "rules").value


def _rule_entry(file: str, node: yaml.Node, index: int, raw: Any) -> RuleEntry:
    line = node.start_mark.line + 1
    if not isinstance(raw, dict):
        raise QAError(
            "Q103", file=file, line=line, rule_id=f"#{index + 1}", field="rules", detail="expected a mapping"
        )
    rule_id = str(raw.get("id", f"#{index + 1}"))
    try:
        spec = RuleSpec.model_validate({k: v for k, v in raw.items() if k in COMMON_KEYS})
    except ValidationError as exc:
        raise rule_error(exc, file, node, rule_id) from None
    params = {k: v for k, v in raw.items() if k not in COMMON_KEYS}
    return RuleEntry(spec=spec, params=params, file=file, line=line, node=node, index=index)


def rule_error(exc: ValidationError, file: str, node: yaml.Node, rule_id: str) -> QAError:
    """Pydantic's first complaint about a rule as Q103 (Q109 for a regular expression that could hang a run),
    naming the file, the field's line and the field."""
    cause = exc.errors()[0].get("ctx", {}).get("error")
    line, field, detail = field_error(exc, node)
    if isinstance(cause, SlowPattern):  # its own code: a pattern that could hang a run, not a typo
        field = f"{field}.{cause.language}"
        line = line_of(node, (*_loc(exc), cause.language))
        return QAError("Q109", file=file, line=line, rule_id=rule_id, field=field, detail=str(cause))
    return QAError("Q103", file=file, line=line, rule_id=rule_id, field=field or "(rule)", detail=detail)


def _loc(exc: ValidationError) -> tuple[Any, ...]:
    return clean_loc(exc.errors()[0]["loc"])
