""" "What to practise this week": a short list derived from the agent's own results, not boilerplate.

Rules the agent failed are ranked by failure rate x rule weight, so a rule failed half the time that weighs 15
outranks one failed as often that weighs 5; critical rules come first whatever their rate, because a single
critical failure turns a ticket red. Each item says why it is on the list in the agent's numbers against the team,
names recent tickets to replay in the coaching session, and carries the rule's coaching tip. When the agent
recovers upset customers clearly less often than the team, that is an item too (the rules cannot see it).
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from qa_engine.reports.rulebook import Rulebook

MAX_ITEMS = 3  # three things to practise in a week; with suggestions beside them the list still fits page one
MOOD_MIN_TICKETS = 2  # upset customers needed before the recovery rate means anything
MOOD_GAP = 0.15  # how far below the team the recovery rate must be
MOOD_WEIGHT = 10.0  # puts the recovery gap on the rules' rate x weight scale (a typical rule weighs 10)
TIP_WITH_SUGGESTION_CHARS = 110
SUGGESTION_CHARS = (
    160  # a suggestion is cut shorter than a tip: the practise list must stay on the first page
)
TIP_CHARS = 280  # the default pack's tips are under 250; a longer one is cut so the first page still fits
MOOD_TIP = (
    'When a customer starts upset, name the feeling before the fix ("I can see why this is frustrating"), then '
    "say what you will do and by when. Close by checking that the answer works for them."
)


@dataclass(frozen=True)
class PractiseItem:
    title: str
    why: str  # the agent's numbers that put it on the list
    tip: str  # how to do it better
    critical: bool
    priority: float
    rule_id: str | None = None
    tickets: tuple[str, ...] = ()  # recent tickets that show it
    # what the agent could have written in the latest such ticket (rules.suggestions)
    suggestion: str | None = None
    suggestion_ticket: str | None = None


def short_tip(text: str, limit: int = TIP_CHARS) -> str:
    """The tip, cut at a word boundary when it is longer than `limit` characters."""
    if len(text) <= limit:
        return text
    return text[:limit].rsplit(" ", 1)[0].rstrip(",;:") + " …"


def _rate(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.0%}"


def practise_items(
    agent_rules: pl.DataFrame,
    team_rules: pl.DataFrame,
    agent_summary: dict,
    team_summary: dict | None,
    rulebook: Rulebook,
    team_label: str,
) -> list[PractiseItem]:
    """The prioritised list for one agent (empty when there is nothing to work on)."""
    team_rates = {
        row["rule_id"]: _rate(row["fails"], row["passes"] + row["fails"])
        for row in team_rules.iter_rows(named=True)
    }
    items = []
    for row in agent_rules.filter(pl.col("fails") > 0).iter_rows(named=True):
        applicable = row["passes"] + row["fails"]
        rate = row["fails"] / applicable
        note = rulebook.note(row["rule_id"], row["category"], row["weight"], row["critical"])
        why = f"Failed in {row['fails']} of {applicable} tickets where it applied ({_pct(rate)}; {team_label} {_pct(team_rates.get(row['rule_id']))})"
        if row["fails_this_week"]:
            why += f", {row['fails_this_week']} of them in the last 7 days"
        why += "."
        if row["critical"]:
            why += " Critical: each failure turns the ticket red."
        suggestion = _masked(row.get("suggestion"))
        # with a suggestion beside it the tip is cut shorter, so that the list still fits the first page
        tip = short_tip(note.coaching, TIP_WITH_SUGGESTION_CHARS if suggestion else TIP_CHARS)
        items.append(
            PractiseItem(
                title=note.title, why=why, tip=tip, critical=bool(row["critical"]),
                priority=rate * float(row["weight"] or 0.0), rule_id=row["rule_id"],
                tickets=tuple(row["recent_fails"] or ()),
                suggestion=suggestion, suggestion_ticket=row.get("suggestion_ticket"),
            )
        )  # fmt: skip
    mood = _mood_item(agent_summary, team_summary, team_label)
    if mood is not None:
        items.append(mood)
    items.sort(key=lambda i: (not i.critical, -i.priority, i.rule_id or ""))
    return items[:MAX_ITEMS]


def _masked(text: str | None) -> str | None:
    """A suggestion may quote the customer: e-mails, phone numbers and cards masked, as in every excerpt."""
    from qa_engine.nlp.pii import mask_pii

    return short_tip(mask_pii(text, None), SUGGESTION_CHARS) if text else None


def _mood_item(agent: dict, team: dict | None, team_label: str) -> PractiseItem | None:
    if team is None or agent["negative_start"] < MOOD_MIN_TICKETS or not team["negative_start"]:
        return None
    rate = agent["recovered"] / agent["negative_start"]
    team_rate = team["recovered"] / team["negative_start"]
    if team_rate - rate < MOOD_GAP:
        return None
    why = (
        f"Of {agent['negative_start']} customers who started negative, {agent['recovered']} ended not negative "
        f"({_pct(rate)}; {team_label} {_pct(team_rate)})."
    )
    return PractiseItem(
        title="Turn upset customers around", why=why, tip=MOOD_TIP,
        critical=False, priority=(team_rate - rate) * MOOD_WEIGHT,
    )  # fmt: skip
