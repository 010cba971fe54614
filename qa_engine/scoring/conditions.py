"""Tier conditions, registered by name so the policy YAML can use them (a new one is a function + a decorator).

Each condition looks at one ticket (its customer turns with affect, its rule results, its QA score) and returns the
reasons it fired, each with evidence pointing at a turn and span when there is one.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from qa_engine.scoring.params import (
    ConditionParams,
    CriticalRuleFailedParams,
    CustomerEndsUpsetParams,
    DissatisfactionRiskParams,
    EscalationRiskParams,
    MoodNotRecoveredParams,
    QaScoreBelowParams,
    ReasonUnresolvedParams,
    RuleFailedParams,
)


@dataclass
class Reason:
    id: str
    text: str
    evidence: dict[str, Any] | None = None


@dataclass
class TicketView:
    """What a condition may look at for one ticket."""

    ticket: dict[str, Any]
    customer_turns: list[dict[str, Any]]
    rule_results: list[dict[str, Any]]
    qa_score: float
    extras: dict[str, Any] = field(default_factory=dict)


Condition = Callable[[TicketView, Any], list[Reason]]
CONDITIONS: dict[str, Condition] = {}
PARAMS: dict[
    str, type[ConditionParams]
] = {}  # each condition's typed parameters (params.py), checked at load


def register_condition(name: str, params: type[ConditionParams]) -> Callable[[Condition], Condition]:
    """Make `fn` the condition `name` of the policy YAML; `params` validates its parameters when a pack loads."""

    def wrap(fn: Condition) -> Condition:
        CONDITIONS[name] = fn
        PARAMS[name] = params
        return fn

    return wrap


def _turn_evidence(turn: dict[str, Any], note: str) -> dict[str, Any]:
    text = turn.get("text") or ""
    return {"turn_index": turn["turn_index"], "start": 0, "end": len(text), "text": text[:200], "note": note}


UNTELLING_FLAGS = ("empty_text", "no_text_content", "phatic_reply")


def _telling(turns: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Turns whose affect says something about the mood: not empty, not a phatic "ok, thanks" or "no, that's all"."""
    return [t for t in turns if t.get("affect_flag") not in UNTELLING_FLAGS]


@register_condition("critical_rule_failed", CriticalRuleFailedParams)
def critical_rule_failed(view: TicketView, params: CriticalRuleFailedParams) -> list[Reason]:
    """Any critical rule that failed (PII leak, forbidden wording, ...)."""
    return [
        Reason(
            f"critical:{r['rule_id']}",
            f"critical rule failed: {r['rule_id']}" + (f" ({r['detail']})" if r.get("detail") else ""),
            r.get("evidence"),
        )
        for r in view.rule_results
        if r["outcome"] == "fail" and r["critical"]
    ]


@register_condition("rule_failed", RuleFailedParams)
def rule_failed(view: TicketView, params: RuleFailedParams) -> list[Reason]:
    """Named rules (`rules: [id, ...]`) or a whole category (`category: timeliness`) that failed."""
    ids = set(params.rules)
    category = params.category
    closing = _positive_closing(view) if params.unless_customer_ends_positive else None
    return [
        Reason(
            f"failed:{r['rule_id']}",
            f"{r['category']} rule failed: {r['rule_id']}" + (f" ({r['detail']})" if r.get("detail") else ""),
            r.get("evidence"),
        )
        for r in view.rule_results
        if r["outcome"] == "fail"
        and (r["rule_id"] in ids or (category and r["category"] == category))
        and not (closing is not None and (r.get("evidence") or {}).get("turn_index") == closing)
    ]


def _positive_closing(view: TicketView) -> int | None:
    """The turn index of the customer's last turn when it is positive and nothing follows it from the customer:
    a happy "perfect, thank you so much!" left unanswered is no customer waiting on a problem
    (`rule_failed` with `unless_customer_ends_positive: true`)."""
    turns = _telling(view.customer_turns)
    if not turns or turns[-1].get("sentiment") != "positive":
        return None
    return turns[-1]["turn_index"]


@register_condition("customer_ends_upset", CustomerEndsUpsetParams)
def customer_ends_upset(view: TicketView, params: CustomerEndsUpsetParams) -> list[Reason]:
    """The customer's last telling turn is angry/disgusted (emotion score >= min_emotion_score) or strongly
    negative. A closing "no, that's all" says nothing about the mood, so the turn before it counts."""
    telling = _telling(view.customer_turns)
    if not telling:
        return []
    last = telling[-1]
    emotions = set(params.emotions)
    min_score = params.min_emotion_score
    floor = params.sentiment_at_most
    scores = last.get("emotion_scores") or {}
    if last.get("emotion") in emotions and scores.get(last["emotion"], 0.0) >= min_score:
        why = f"customer ends {last['emotion']} ({scores[last['emotion']]:.2f})"
    elif last.get("sentiment_score") is not None and last["sentiment_score"] <= floor:
        why = f"customer ends strongly negative (sentiment {last['sentiment_score']:.2f})"
    else:
        return []
    return [Reason("customer_ends_upset", why, _turn_evidence(last, why))]


@register_condition("qa_score_below", QaScoreBelowParams)
def qa_score_below(view: TicketView, params: QaScoreBelowParams) -> list[Reason]:
    threshold = params.threshold
    if view.qa_score < threshold:
        failed = [r["rule_id"] for r in view.rule_results if r["outcome"] == "fail"]
        return [
            Reason(
                "qa_score_below",
                f"QA score {view.qa_score:.0f} < {threshold:.0f} (failed: {', '.join(failed)})",
            )
        ]
    return []


@register_condition("mood_not_recovered", MoodNotRecoveredParams)
def mood_not_recovered(view: TicketView, params: MoodNotRecoveredParams) -> list[Reason]:
    """The customer started negative and was still negative at the end (needs >= min_customer_turns turns)."""
    turns = _telling(view.customer_turns)
    if len(turns) < params.min_customer_turns:
        return []
    floor = params.sentiment_at_most
    first, last = turns[0], turns[-1]
    if first["sentiment_score"] <= floor and last["sentiment_score"] <= floor:
        why = f"customer mood did not recover (start {first['sentiment_score']:.2f}, end {last['sentiment_score']:.2f})"
        return [Reason("mood_not_recovered", why, _turn_evidence(last, why))]
    return []


@register_condition("escalation_risk_at_least", EscalationRiskParams)
def escalation_risk_at_least(view: TicketView, params: EscalationRiskParams) -> list[Reason]:
    """The escalation risk (qa_engine.reasons) is at least `min_risk`: one reason per signal that raised it, each
    naming the signal and pointing at the customer's words (chargeback, bad review, legal action, manager, ...)."""
    threshold = params.min_risk
    risk = view.ticket.get("escalation_risk")
    if risk is None or risk < threshold:
        return []
    found = json.loads(view.ticket.get("escalation_evidence") or "[]")
    head = f"escalation risk {risk:.2f} >= {threshold:.2f}"
    reasons = []
    for item in found:
        where = {k: item[k] for k in ("turn_index", "start", "end", "text")}
        # phrases quote the customer; the model's and the settled ending's items say what they measured
        said = f"({item['note']})" if item["signal"] in ("model", "settled") else f'"{item["text"]}"'
        text = f"{head}: {item['signal']} {said} in turn {item['turn_index']}"
        reasons.append(
            Reason(f"escalation:{item['signal']}", text, {**where, "note": item.get("note") or ""})
        )
    return reasons or [Reason("escalation", head)]


@register_condition("reason_unresolved", ReasonUnresolvedParams)
def reason_unresolved(view: TicketView, params: ReasonUnresolvedParams) -> list[Reason]:
    """The ticket is about one of `sub_reasons` (or whole reasons, e.g. `complaint`) and the customer's last turn is
    still negative (sentiment <= `sentiment_at_most`) or the closing turns have no resolution wording ("thanks, that
    helps")."""
    wanted = set(params.sub_reasons)
    labels = (view.ticket.get("contact_sub_reason"), view.ticket.get("contact_reason"))
    about = next((label for label in labels if label in wanted), None)
    turns = [t for t in view.customer_turns if t.get("affect_flag") not in ("empty_text", "no_text_content")]
    if about is None or not turns:
        return []
    last = turns[-1]
    floor = params.sentiment_at_most
    if last.get("sentiment_score") is not None and last["sentiment_score"] <= floor:
        why = f"{about} not resolved: the customer ends negative (sentiment {last['sentiment_score']:.2f})"
    elif not view.ticket.get("customer_resolved"):
        why = f"{about} not resolved: no resolution wording in the customer's closing turns"
    else:
        return []
    return [Reason("reason_unresolved", why, _turn_evidence(last, why))]


@register_condition("dissatisfaction_risk_at_least", DissatisfactionRiskParams)
def dissatisfaction_risk_at_least(view: TicketView, params: DissatisfactionRiskParams) -> list[Reason]:
    """The predicted dissatisfaction risk (qa_engine.satisfaction) is at least `min_risk`; the reason points at the
    turn that raised it most. `label` names the finding ("likely dissatisfied", "very dissatisfied")."""
    threshold = params.min_risk
    risk = view.ticket.get("dissatisfaction_risk")
    if risk is None or risk < threshold:
        return []
    label = params.label
    found = json.loads(view.ticket.get("dissatisfaction_evidence") or "[]")
    text = f"{label}: dissatisfaction risk {risk:.2f} >= {threshold:.2f}"
    top = next((item for item in found if item.get("turn_index") is not None), None)
    if top is None:
        return [
            Reason(
                "dissatisfaction",
                text,
                {"turn_index": None, "start": None, "end": None, "text": "", "note": text},
            )
        ]
    text += f" (turn {top['turn_index']} {top['note']})"
    where = {k: top[k] for k in ("turn_index", "start", "end", "text")}
    return [Reason("dissatisfaction", text, {**where, "note": top["note"]})]
