"""Tier conditions, registered by name so the policy YAML can use them (a new one is a function + a decorator).

Each condition looks at one ticket (its customer turns with affect, its rule results, its QA score) and returns the
reasons it fired, each with evidence pointing at a turn and span when there is one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


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


Condition = Callable[[TicketView, dict[str, Any]], list[Reason]]
CONDITIONS: dict[str, Condition] = {}


def register_condition(name: str) -> Callable[[Condition], Condition]:
    def wrap(fn: Condition) -> Condition:
        CONDITIONS[name] = fn
        return fn

    return wrap


def _turn_evidence(turn: dict[str, Any], note: str) -> dict[str, Any]:
    text = turn.get("text") or ""
    return {"turn_index": turn["turn_index"], "start": 0, "end": len(text), "text": text[:200], "note": note}


@register_condition("critical_rule_failed")
def critical_rule_failed(view: TicketView, params: dict[str, Any]) -> list[Reason]:
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


@register_condition("rule_failed")
def rule_failed(view: TicketView, params: dict[str, Any]) -> list[Reason]:
    """Named rules (`rules: [id, ...]`) or a whole category (`category: timeliness`) that failed."""
    ids = set(params.get("rules") or [])
    category = params.get("category")
    return [
        Reason(
            f"failed:{r['rule_id']}",
            f"{r['category']} rule failed: {r['rule_id']}" + (f" ({r['detail']})" if r.get("detail") else ""),
            r.get("evidence"),
        )
        for r in view.rule_results
        if r["outcome"] == "fail" and (r["rule_id"] in ids or (category and r["category"] == category))
    ]


@register_condition("customer_ends_upset")
def customer_ends_upset(view: TicketView, params: dict[str, Any]) -> list[Reason]:
    """The customer's last turn is angry/disgusted (emotion score >= min_emotion_score) or strongly negative."""
    if not view.customer_turns:
        return []
    last = view.customer_turns[-1]
    if last.get("affect_flag") in ("empty_text", "no_text_content"):
        return []
    emotions = set(params.get("emotions", ["anger", "disgust"]))
    min_score = float(params.get("min_emotion_score", 0.5))
    floor = float(params.get("sentiment_at_most", -0.6))
    scores = last.get("emotion_scores") or {}
    if last.get("emotion") in emotions and scores.get(last["emotion"], 0.0) >= min_score:
        why = f"customer ends {last['emotion']} ({scores[last['emotion']]:.2f})"
    elif last.get("sentiment_score") is not None and last["sentiment_score"] <= floor:
        why = f"customer ends strongly negative (sentiment {last['sentiment_score']:.2f})"
    else:
        return []
    return [Reason("customer_ends_upset", why, _turn_evidence(last, why))]


@register_condition("qa_score_below")
def qa_score_below(view: TicketView, params: dict[str, Any]) -> list[Reason]:
    threshold = float(params.get("threshold", 80))
    if view.qa_score < threshold:
        failed = [r["rule_id"] for r in view.rule_results if r["outcome"] == "fail"]
        return [
            Reason(
                "qa_score_below",
                f"QA score {view.qa_score:.0f} < {threshold:.0f} (failed: {', '.join(failed)})",
            )
        ]
    return []


@register_condition("mood_not_recovered")
def mood_not_recovered(view: TicketView, params: dict[str, Any]) -> list[Reason]:
    """The customer started negative and was still negative at the end (needs >= min_customer_turns turns)."""
    turns = [t for t in view.customer_turns if t.get("affect_flag") not in ("empty_text", "no_text_content")]
    if len(turns) < int(params.get("min_customer_turns", 2)):
        return []
    floor = float(params.get("sentiment_at_most", -0.3))
    first, last = turns[0], turns[-1]
    if first["sentiment_score"] <= floor and last["sentiment_score"] <= floor:
        why = f"customer mood did not recover (start {first['sentiment_score']:.2f}, end {last['sentiment_score']:.2f})"
        return [Reason("mood_not_recovered", why, _turn_evidence(last, why))]
    return []
