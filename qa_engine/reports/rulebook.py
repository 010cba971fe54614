"""What a report says about each rule: its title, its coaching tip, and the channels' response-time SLAs.

Stored results carry a rule's id, category, weight and criticality, but not its words: those come from the rule
pack. A stored rule that the pack no longer has (results from an older pack) still gets a row, named by its id.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml

from qa_engine import paths
from qa_engine.errors import QAError
from qa_engine.schema import CATEGORIES

CATEGORY_TITLES: dict[str, str] = {
    "first_impression": "First impression",
    "inquiry": "Inquiry",
    "reassurance": "Reassurance",
    "empathy": "Empathy",
    "closing": "Closing",
    "compliance": "Compliance",
    "timeliness": "Timeliness",
}
FIRE_CATEGORIES: tuple[str, ...] = CATEGORIES[:4]
# CONTRACT.md section 5 defaults, used when the pack has no first-response rule
DEFAULT_SLA_SECONDS: dict[str, float] = {"chat": 120.0, "social": 3600.0, "email": 86400.0, "other": 86400.0}
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when present: ten times faster
NO_TIP = "No coaching tip: this rule is not in the current rule pack."


@dataclass(frozen=True)
class RuleNote:
    rule_id: str
    title: str
    coaching: str
    category: str
    weight: float
    critical: bool


@dataclass(frozen=True)
class Rulebook:
    notes: dict[str, RuleNote] = field(default_factory=dict)  # in the pack's order
    first_response_sla: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_SLA_SECONDS))

    def note(self, rule_id: str, category: str = "", weight: float = 0.0, critical: bool = False) -> RuleNote:
        """The pack's words for a rule, or a stand-in named by its id when the pack lacks it."""
        return self.notes.get(rule_id) or RuleNote(
            rule_id,
            rule_id,
            "No coaching tip: this rule is not in the current rule pack.",
            category,
            weight,
            critical,
        )

    def order(self, rule_ids: list[str]) -> list[str]:
        """Rule ids in the pack's order (FIRE first), unknown ones after, alphabetically."""
        known = [r for r in self.notes if r in rule_ids]
        return known + sorted(set(rule_ids) - set(known))


def load_rulebook(pack: str | Path | None = None) -> Rulebook:
    """Titles, tips and the first-response SLAs of a rule pack (a YAML file or a folder; default: the default pack).

    Read straight from the YAML, not through `qa_engine.rules.load_pack`: building the rules' matchers imports
    spaCy, seconds a report does not need, and the pack was validated when it scored the tickets. What the reports
    use is still checked: a file that does not parse (Q105) or a rule without an id (Q103) is an error that names
    the file and line."""
    root = Path(pack or paths.rules_dir())
    if not root.exists():
        raise QAError("Q101", path=root)
    files = sorted(p for p in root.rglob("*") if p.suffix in (".yaml", ".yml")) if root.is_dir() else [root]
    notes: dict[str, RuleNote] = {}
    slas: dict[str, float] | None = None
    for file in files:
        for raw, line in _rules_of(file):
            rule_id = raw.get("id")
            if not isinstance(rule_id, str) or not rule_id:
                raise QAError(
                    "Q103", file=file, line=line, rule_id="-", field="id", detail="a rule needs an id"
                )
            notes[rule_id] = RuleNote(
                rule_id=rule_id,
                title=str(raw.get("title") or rule_id),
                coaching=" ".join(str(raw.get("coaching") or "").split()) or NO_TIP,
                category=str(raw.get("category") or ""),
                weight=float(raw.get("weight") or 0.0),
                critical=bool(raw.get("critical")),
            )
            if slas is None and raw.get("kind") == "response_time" and raw.get("mode") == "first_response":
                slas = _slas(raw.get("sla_seconds"), file, line, rule_id)
    return Rulebook(notes, DEFAULT_SLA_SECONDS if slas is None else slas)


def _rules_of(file: Path) -> list[tuple[dict, int]]:
    """The file's rule mappings with their line numbers (a pack file without `rules:` holds other pack data)."""
    loader = None
    try:
        loader = _LOADER(file.read_text(encoding="utf-8"))
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        mark = getattr(exc, "problem_mark", None)
        detail = str(exc).splitlines()[0]
        raise QAError("Q105", file=file, line=mark.line + 1 if mark else 1, detail=detail) from None
    finally:
        if loader is not None:
            loader.dispose()
    if not isinstance(data, dict) or not isinstance(data.get("rules"), list):
        return []
    items = next(v for k, v in node.value if isinstance(k, yaml.ScalarNode) and k.value == "rules").value
    found = []
    for raw, item in zip(data["rules"], items, strict=True):
        if not isinstance(raw, dict):
            raise QAError("Q103", file=file, line=item.start_mark.line + 1, rule_id="-", field="rules",
                          detail="expected a mapping")  # fmt: skip
        found.append((raw, item.start_mark.line + 1))
    return found


def _slas(raw: object, file: Path, line: int, rule_id: str) -> dict[str, float]:
    """The pack's SLAs merged over the defaults; a channel set to null has none."""
    if raw is None:
        return dict(DEFAULT_SLA_SECONDS)
    if not isinstance(raw, dict) or not all(v is None or isinstance(v, int | float) for v in raw.values()):
        raise QAError("Q103", file=file, line=line, rule_id=rule_id, field="sla_seconds",
                      detail="expected seconds per channel")  # fmt: skip
    merged = {**DEFAULT_SLA_SECONDS, **raw}
    return {channel: float(seconds) for channel, seconds in merged.items() if seconds is not None}
