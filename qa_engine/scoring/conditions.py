"""Tier conditions, registered by name so the policy YAML can use them (a new one is a function + a decorator).

A condition takes its typed parameters (`params.py`) and returns a `Check`: a polars boolean expression over the
per-ticket feature frame (`features.py`) that says where it fires, and a function that words its reasons, each with
evidence pointing at a turn and span when there is one, for one row where it fired. The expression decides the
tier for the whole batch at once; only the tickets a condition made red or yellow are worded in Python.

Adding one: a parameters model in `params.py`, then here

    @register_condition("my_condition", MyConditionParams)
    def my_condition(params: MyConditionParams) -> Check:
        return Check(fires=pl.col("...") > params.x, reasons=lambda row: [Reason("my_condition", "...")])

`reasons(row)` must give at least one reason wherever `fires` is true (the row is the feature frame's, as a dict).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import polars as pl

from qa_engine.reasons.taxonomy import is_about
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


Row = dict[str, Any]  # one row of the feature frame (features.ticket_features plus qa_score)


@dataclass(frozen=True)
class Check:
    """Where a condition fires (a boolean expression over the feature frame; null counts as not firing) and how
    to word its reasons for one row where it fired."""

    fires: pl.Expr
    reasons: Callable[[Row], list[Reason]]


Condition = Callable[[Any], Check]
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


def _turn_evidence(turn: Row, note: str) -> dict[str, Any]:
    text = turn.get("text") or ""
    return {"turn_index": turn["turn_index"], "start": 0, "end": len(text), "text": text[:200], "note": note}


def _any_failed(match: pl.Expr) -> pl.Expr:
    """Some failed rule result of the ticket matches (`match` reads `pl.element().struct`)."""
    return pl.col("failed").list.eval(match).list.any().fill_null(False)


def _detail(r: Row) -> str:
    return f" ({r['detail']})" if r.get("detail") else ""


@register_condition("critical_rule_failed", CriticalRuleFailedParams)
def critical_rule_failed(params: CriticalRuleFailedParams) -> Check:
    """Any critical rule that failed (PII leak, forbidden wording, ...)."""

    def reasons(row: Row) -> list[Reason]:
        return [
            Reason(
                f"critical:{r['rule_id']}", f"critical rule failed: {r['rule_id']}{_detail(r)}", r["evidence"]
            )
            for r in row["failed"] or []
            if r["critical"]
        ]

    return Check(_any_failed(pl.element().struct.field("critical").fill_null(False)), reasons)


@register_condition("rule_failed", RuleFailedParams)
def rule_failed(params: RuleFailedParams) -> Check:
    """Named rules (`rules: [id, ...]`) or a whole category (`category: timeliness`) that failed; with
    `unless_customer_ends_positive`, not one whose evidence is the customer's positive last telling turn (a happy
    "perfect, thank you so much!" left unanswered is no customer waiting on a problem); with `unless_untimed`, not
    one whose evidence is a turn without a time stamp that neither reads negative nor asks a question (a plain
    statement "never answered" in an export without times: the export may end before the reply), unless the
    ticket's dissatisfaction risk is at least `untimed_counts_from_risk`."""
    ids, category, unless = list(params.rules), params.category, params.unless_customer_ends_positive
    untimed, from_risk = params.unless_untimed, params.untimed_counts_from_risk

    def matches(r: Row, risk: float | None) -> bool:
        named = r["rule_id"] in ids or bool(category and r["category"] == category)
        seen_at_risk = from_risk is not None and (risk or 0.0) >= from_risk
        excused = untimed and r["at_untimed_turn"] and not seen_at_risk
        return named and not (unless and r["at_positive_closing"]) and not excused

    element = pl.element().struct
    named = element.field("rule_id").is_in(pl.Series(ids, dtype=pl.String)).fill_null(False)
    if category:
        named = named | (element.field("category") == category).fill_null(False)
    if unless:
        named = named & ~element.field("at_positive_closing")
    fires = _any_failed(named & ~element.field("at_untimed_turn") if untimed else named)
    if untimed and from_risk is not None:
        at_risk = (pl.col("dissatisfaction_risk") >= from_risk).fill_null(False)
        fires = fires | (_any_failed(named & element.field("at_untimed_turn")) & at_risk)

    def reasons(row: Row) -> list[Reason]:
        return [
            Reason(
                f"failed:{r['rule_id']}",
                f"{r['category']} rule failed: {r['rule_id']}{_detail(r)}",
                r["evidence"],
            )
            for r in row["failed"] or []
            if matches(r, row.get("dissatisfaction_risk"))
        ]

    return Check(fires, reasons)


@register_condition("customer_ends_upset", CustomerEndsUpsetParams)
def customer_ends_upset(params: CustomerEndsUpsetParams) -> Check:
    """The customer's last telling turn is angry/disgusted (emotion score >= min_emotion_score) or strongly
    negative. A closing "no, that's all" says nothing about the mood, so the turn before it counts."""
    emotions, min_score, floor = list(params.emotions), params.min_emotion_score, params.sentiment_at_most
    upset = pl.col("last_emotion").is_in(pl.Series(emotions, dtype=pl.String)).fill_null(False) & (
        pl.col("last_emotion_score") >= min_score
    )
    negative = (pl.col("last_sentiment") <= floor).fill_null(False)

    def reasons(row: Row) -> list[Reason]:
        last = row["last_telling"]
        emotion, score = last.get("emotion"), row["last_emotion_score"]
        if emotion in emotions and score >= min_score:
            why = f"customer ends {emotion} ({score:.2f})"
        else:
            why = f"customer ends strongly negative (sentiment {last['sentiment_score']:.2f})"
        return [Reason("customer_ends_upset", why, _turn_evidence(last, why))]

    return Check((pl.col("n_telling") > 0) & (upset | negative), reasons)


@register_condition("qa_score_below", QaScoreBelowParams)
def qa_score_below(params: QaScoreBelowParams) -> Check:
    """The QA score is under `threshold`; the reason lists the failed rules."""
    threshold = params.threshold

    def reasons(row: Row) -> list[Reason]:
        failed = [r["rule_id"] for r in row["failed"] or []]
        text = f"QA score {row['qa_score']:.0f} < {threshold:.0f} (failed: {', '.join(failed)})"
        return [Reason("qa_score_below", text)]

    return Check(pl.col("qa_score") < threshold, reasons)


@register_condition("mood_not_recovered", MoodNotRecoveredParams)
def mood_not_recovered(params: MoodNotRecoveredParams) -> Check:
    """The customer started negative and was still negative at the end (needs >= min_customer_turns turns)."""
    floor = params.sentiment_at_most
    fires = (
        (pl.col("n_telling") >= params.min_customer_turns)
        & (pl.col("first_sentiment") <= floor)
        & (pl.col("last_sentiment") <= floor)
    )

    def reasons(row: Row) -> list[Reason]:
        start, end = row["first_sentiment"], row["last_sentiment"]
        why = f"customer mood did not recover (start {start:.2f}, end {end:.2f})"
        return [Reason("mood_not_recovered", why, _turn_evidence(row["last_telling"], why))]

    return Check(fires, reasons)


@register_condition("escalation_risk_at_least", EscalationRiskParams)
def escalation_risk_at_least(params: EscalationRiskParams) -> Check:
    """The escalation risk (qa_engine.reasons) is at least `min_risk`: one reason per signal that raised it, each
    naming the signal and pointing at the customer's words (chargeback, bad review, legal action, manager, ...)."""
    threshold = params.min_risk

    def reasons(row: Row) -> list[Reason]:
        risk = row["escalation_risk"]
        head = f"escalation risk {risk:.2f} >= {threshold:.2f}"
        found = []
        for item in json.loads(row["escalation_evidence"] or "[]"):
            where = {k: item[k] for k in ("turn_index", "start", "end", "text")}
            # phrases quote the customer; the model's and the settled ending's items say what they measured
            said = f"({item['note']})" if item["signal"] in ("model", "settled") else f'"{item["text"]}"'
            text = f"{head}: {item['signal']} {said} in turn {item['turn_index']}"
            found.append(
                Reason(f"escalation:{item['signal']}", text, {**where, "note": item.get("note") or ""})
            )
        return found or [Reason("escalation", head)]

    return Check(pl.col("escalation_risk") >= threshold, reasons)


@register_condition("reason_unresolved", ReasonUnresolvedParams)
def reason_unresolved(params: ReasonUnresolvedParams) -> Check:
    """The ticket is about one of `sub_reasons` (or whole reasons, e.g. `complaint`) and the customer's last turn is
    still negative (sentiment <= `sentiment_at_most`) or the closing turns have no resolution wording ("thanks, that
    helps")."""
    wanted, floor = list(params.sub_reasons), params.sentiment_at_most
    about = is_about(wanted)
    negative = (pl.col("spoken_sentiment") <= floor).fill_null(False)
    unsettled = ~pl.col("customer_resolved").fill_null(False)

    def reasons(row: Row) -> list[Reason]:
        label = next(x for x in (row["contact_sub_reason"], row["contact_reason"]) if x in wanted)
        last = row["last_spoken"]
        if last.get("sentiment_score") is not None and last["sentiment_score"] <= floor:
            why = (
                f"{label} not resolved: the customer ends negative (sentiment {last['sentiment_score']:.2f})"
            )
        else:
            why = f"{label} not resolved: no resolution wording in the customer's closing turns"
        return [Reason("reason_unresolved", why, _turn_evidence(last, why))]

    return Check(about & pl.col("last_spoken").is_not_null() & (negative | unsettled), reasons)


@register_condition("dissatisfaction_risk_at_least", DissatisfactionRiskParams)
def dissatisfaction_risk_at_least(params: DissatisfactionRiskParams) -> Check:
    """The predicted dissatisfaction risk (qa_engine.satisfaction) is at least `min_risk`; the reason points at the
    turn that raised it most. `label` names the finding ("likely dissatisfied", "very dissatisfied")."""
    threshold, label = params.min_risk, params.label

    def reasons(row: Row) -> list[Reason]:
        text = f"{label}: dissatisfaction risk {row['dissatisfaction_risk']:.2f} >= {threshold:.2f}"
        found = json.loads(row["dissatisfaction_evidence"] or "[]")
        top = next((item for item in found if item.get("turn_index") is not None), None)
        if top is None:
            nowhere = {"turn_index": None, "start": None, "end": None, "text": "", "note": text}
            return [Reason("dissatisfaction", text, nowhere)]
        text += f" (turn {top['turn_index']} {top['note']})"
        where = {k: top[k] for k in ("turn_index", "start", "end", "text")}
        return [Reason("dissatisfaction", text, {**where, "note": top["note"]})]

    return Check(pl.col("dissatisfaction_risk") >= threshold, reasons)
