"""What a report says about each rule: its title, its coaching tip, and the channels' response-time SLAs.

Stored results carry a rule's id, category, weight and criticality, but not its words: those come from the rule
pack. A stored rule that the pack no longer has (results from an older pack) still gets a row, named by its id.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from qa_engine import paths
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
    """Titles, tips and SLAs from a rule pack (default: the default pack); a bad pack fails with its Q1xx error."""
    from qa_engine.rules import load_pack
    from qa_engine.rules.kinds.response_time import ResponseTimeParams

    loaded = load_pack(pack or paths.rules_dir())
    notes = {
        rule.id: RuleNote(
            rule.id, rule.spec.title, " ".join(rule.spec.coaching.split()), rule.spec.category,
            rule.spec.weight, rule.spec.critical,
        )
        for rule in loaded
    }  # fmt: skip
    slas = dict(DEFAULT_SLA_SECONDS)
    for rule in loaded:
        params = getattr(rule.kind, "params", None)
        if isinstance(params, ResponseTimeParams) and params.mode == "first_response":
            slas = params.slas()
            break
    return Rulebook(notes, slas)
