"""What a report says about each rule: its title, its coaching tip, and the channels' response-time SLAs; and,
from the same pack, the escalation signals' titles and the escalation risk its tier policy makes red.

Stored results carry a rule's id, category, weight and criticality, but not its words: those come from the rule
pack. A stored rule that the pack no longer has (results from an older pack) still gets a row, named by its id;
a stored escalation signal the pack lacks is named by its id too.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml

from qa_engine import paths
from qa_engine.errors import QAError
from qa_engine.kpi.targets import DEFAULT_SLA_SECONDS, pack_settings
from qa_engine.schema import CATEGORIES

CATEGORY_TITLES: dict[str, str] = {
    "first_impression": "First impression",
    "inquiry": "Inquiry",
    "reassurance": "Reassurance",
    "empathy": "Empathy",
    "closing": "Closing",
    "compliance": "Compliance",
    "timeliness": "Timeliness",
    "composure": "Composure",
    "nvc": "Non-violent communication",
    "language": "Reply language",
}
FIRE_CATEGORIES: tuple[str, ...] = CATEGORIES[:4]
# CONTRACT.md section 5 defaults, used when the pack has no first-response rule
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when present: ten times faster
NO_TIP = "No coaching tip: this rule is not in the current rule pack."
# the escalation risk a report calls high when the pack's tier policy has no red escalation condition: the
# contract's escalation_rate threshold (CONTRACT.md section 5)
DEFAULT_ESCALATION_RED = 0.5
ESCALATION_CONDITION = "escalation_risk_at_least"
# the risk from which a customer is "likely dissatisfied" when the pack's tier policy has no yellow dissatisfaction
# condition: that condition's own default (qa_engine.scoring.policy)
DEFAULT_LIKELY_DISSATISFIED = 0.5
DISSATISFACTION_CONDITION = "dissatisfaction_risk_at_least"
# signals that the store-based and model-based parts of qa_engine.reasons report, not the pack's phrase lists
BUILT_IN_SIGNALS: dict[str, str] = {
    "repeat_contact": "Contacted us again about the same order within days",
    "model": "Sounds like an escalation (the escalation model)",
}


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
    signal_titles: dict[str, str] = field(default_factory=lambda: dict(BUILT_IN_SIGNALS))
    escalation_red: float = DEFAULT_ESCALATION_RED  # risk at or above this is red in the pack's tier policy
    # dissatisfaction risk at or above this is "likely dissatisfied" (yellow) in the pack's tier policy
    likely_dissatisfied: float = DEFAULT_LIKELY_DISSATISFIED

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

    def signal_title(self, signal: str) -> str:
        return self.signal_titles.get(signal, signal)

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
    pack_slas = dict(pack_settings(root).sla_seconds)  # targets.yaml: what a rule without its own SLAs uses
    signals, red, likely = dict(BUILT_IN_SIGNALS), None, None
    for file in files:
        data, rules = _rules_of(file)
        signals |= _signal_titles(data)
        red = _escalation_red(data) if red is None else red
        likely = (
            _lowest_min_risk(data, "yellow", DISSATISFACTION_CONDITION, 0.5) if likely is None else likely
        )
        for raw, line in rules:
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
                slas = _slas(raw.get("sla_seconds"), file, line, rule_id, pack_slas)
    return Rulebook(
        notes, pack_slas if slas is None else slas, signals,
        DEFAULT_ESCALATION_RED if red is None else red,
        DEFAULT_LIKELY_DISSATISFIED if likely is None else likely,
    )  # fmt: skip


def _signal_titles(data: object) -> dict[str, str]:
    """id -> title of an escalation-signal file's signals (validated by qa_engine.reasons when it scored)."""
    if not isinstance(data, dict) or not isinstance(data.get("signals"), list):
        return {}
    return {
        str(s["id"]): str(s.get("title") or s["id"])
        for s in data["signals"]
        if isinstance(s, dict) and "id" in s
    }


def _escalation_red(data: object) -> float | None:
    """The lowest `min_risk` of the red tier's escalation conditions in a tier-policy file, if it has one."""
    return _lowest_min_risk(data, "red", ESCALATION_CONDITION, 0.7)  # the condition's own default


def _lowest_min_risk(data: object, tier: str, condition: str, default: float) -> float | None:
    """The lowest `min_risk` of `condition` under `tier` in a tier-policy file (`default` where an entry gives
    none, as the condition itself does), or None when the file has no such entry."""
    policy = data.get("tier_policy") if isinstance(data, dict) else None
    entries = policy.get(tier) if isinstance(policy, dict) else None
    if not isinstance(entries, list):
        return None
    found = [
        float(c.get("min_risk", default))
        for c in entries
        if isinstance(c, dict) and c.get("when") == condition
    ]
    return min(found) if found else None


def _rules_of(file: Path) -> tuple[object, list[tuple[dict, int]]]:
    """The file's data and its rule mappings with their line numbers (a pack file without `rules:` holds other
    pack data: tier policy, escalation signals, targets)."""
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
        return data, []
    items = next(v for k, v in node.value if isinstance(k, yaml.ScalarNode) and k.value == "rules").value
    found = []
    for raw, item in zip(data["rules"], items, strict=True):
        if not isinstance(raw, dict):
            raise QAError("Q103", file=file, line=item.start_mark.line + 1, rule_id="-", field="rules",
                          detail="expected a mapping")  # fmt: skip
        found.append((raw, item.start_mark.line + 1))
    return data, found


def _slas(raw: object, file: Path, line: int, rule_id: str, pack: dict[str, float]) -> dict[str, float]:
    """A rule's own SLAs merged over the pack's; a channel set to null has none."""
    if raw is None:
        return dict(pack)
    if not isinstance(raw, dict) or not all(v is None or isinstance(v, int | float) for v in raw.values()):
        raise QAError("Q103", file=file, line=line, rule_id=rule_id, field="sla_seconds",
                      detail="expected seconds per channel")  # fmt: skip
    merged = {**pack, **raw}
    return {channel: float(seconds) for channel, seconds in merged.items() if seconds is not None}
