"""What a report says about each rule: its title, its coaching tip, and the channels' response-time SLAs; and,
from the same pack, the escalation signals' titles and the escalation risk its tier policy makes red.

Stored results carry a rule's id, category, weight and criticality, but not its words: those come from the rule
pack. A stored rule that the pack no longer has (results from an older pack) still gets a row, named by its id;
a stored escalation signal the pack lacks is named by its id too.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from qa_engine.errors import QAError
from qa_engine.kpi.definitions import ESCALATION_FROM
from qa_engine.kpi.targets import DEFAULT_SLA_SECONDS
from qa_engine.pack import Pack, RuleEntry, load_pack
from qa_engine.schema import CATEGORIES
from qa_engine.scoring.policy import DEFAULT_LIKELY

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
NO_TIP = "No coaching tip: this rule is not in the current rule pack."
# the escalation risk a report calls high when the pack's tier policy has no red escalation condition: the KPI's
# "escalated" line (escalation_rate counts risk at or above it)
DEFAULT_ESCALATION_RED = ESCALATION_FROM
# the risk from which a customer is "likely dissatisfied" when the pack's tier policy has no yellow dissatisfaction
# condition: that condition's own default
DEFAULT_LIKELY_DISSATISFIED = DEFAULT_LIKELY
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


def load_rulebook(pack: str | Path | Pack | None = None) -> Rulebook:
    """Titles, tips and the first-response SLAs of a rule pack (a loaded `Pack`, a YAML file or a folder; default:
    the default pack), with its signal titles and tier thresholds.

    Read through `qa_engine.pack`, which compiles nothing (no spaCy): a file that does not parse (Q105) or a rule
    with a bad field (Q103) is an error that names the file and line."""
    pack = pack if isinstance(pack, Pack) else load_pack(pack)
    notes = {
        entry.id: RuleNote(
            rule_id=entry.id,
            title=entry.spec.title,
            coaching=" ".join(entry.spec.coaching.split()) or NO_TIP,
            category=entry.spec.category,
            weight=entry.spec.weight,
            critical=entry.spec.critical,
        )
        for entry in pack
    }
    pack_slas = dict(pack.settings.sla_seconds)  # targets.yaml: what a rule without its own SLAs uses
    first = next(
        (e for e in pack if e.spec.kind == "response_time" and e.params.get("mode") == "first_response"), None
    )
    signals = BUILT_IN_SIGNALS | {s.id: s.title for s in pack.escalation.signals}
    red = pack.policy.escalation_red_at()
    return Rulebook(
        notes, pack_slas if first is None else _slas(first, pack_slas), signals,
        ESCALATION_FROM if red is None else red, pack.policy.likely_dissatisfied_at(),
    )  # fmt: skip


def _slas(entry: RuleEntry, pack: dict[str, float]) -> dict[str, float]:
    """A rule's own SLAs merged over the pack's; a channel set to null has none."""
    raw = entry.params.get("sla_seconds")
    if raw is None:
        return dict(pack)
    if not isinstance(raw, dict) or not all(v is None or isinstance(v, int | float) for v in raw.values()):
        raise QAError("Q103", file=entry.file, line=entry.line_of("sla_seconds"), rule_id=entry.id,
                      field="sla_seconds", detail="expected seconds per channel")  # fmt: skip
    merged = {**pack, **raw}
    return {channel: float(seconds) for channel, seconds in merged.items() if seconds is not None}
