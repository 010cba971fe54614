"""The typed parameters of every tier condition: one pydantic model per condition, checked when the pack loads.

A QA lead writes a condition's parameters by hand in `tiers.yaml`; a typo (`min_rsik`), a wrong type (`min_risk:
high`) or a value out of range (`min_risk: 7`) must fail at load naming the file, the line and the field (Q107), not
silently fall back to a default while scoring. The defaults here are what a policy that omits a parameter gets.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

DEFAULT_LIKELY = (
    0.5  # the dissatisfaction condition's own default min_risk (policy.py's likely-dissatisfied line)
)
DEFAULT_ESCALATION_RISK = 0.7  # the escalation condition's own default min_risk

Emotion = Literal[
    "anger", "disgust", "fear", "joy", "sadness", "surprise", "neutral"
]  # affect.labels.EMOTIONS


class ConditionParams(BaseModel):
    """Base of every condition's parameters: unknown keys are errors, types are not coerced from strings."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class CriticalRuleFailedParams(ConditionParams):
    """`critical_rule_failed` takes no parameters."""


class RuleFailedParams(ConditionParams):
    rules: list[str] = Field(default_factory=list)  # rule ids
    category: str | None = None  # or every rule of a category, e.g. timeliness
    unless_customer_ends_positive: bool = False  # a happy closing turn left unanswered does not count
    # a failure whose evidence is a turn without a time stamp that neither reads negative nor asks a question does
    # not count (an untimed export may end before the reply came, or the reply went by another channel: nobody can
    # say the customer waited; an unanswered complaint or question still counts)
    unless_untimed: bool = False
    # ...but such a failure still counts when the ticket's dissatisfaction risk is at least this: a complaint told
    # flatly neither reads negative nor asks, and the outcome model, which reads the whole dialogue, may see it
    untimed_counts_from_risk: float | None = Field(None, ge=0.0, le=1.0)

    @model_validator(mode="after")
    def _names_something(self) -> RuleFailedParams:
        if not self.rules and not self.category:
            raise ValueError("rule_failed needs `rules: [id, ...]` or `category: ...` (it would never fire)")
        if self.untimed_counts_from_risk is not None and not self.unless_untimed:
            raise ValueError("`untimed_counts_from_risk` only applies with `unless_untimed: true`")
        return self


class CustomerEndsUpsetParams(ConditionParams):
    emotions: list[Emotion] = Field(default_factory=lambda: ["anger", "disgust"], min_length=1)
    min_emotion_score: float = Field(0.5, ge=0.0, le=1.0)
    sentiment_at_most: float = Field(-0.9, ge=-1.0, le=1.0)


class QaScoreBelowParams(ConditionParams):
    threshold: float = Field(80.0, ge=0.0, le=100.0)


class MoodNotRecoveredParams(ConditionParams):
    min_customer_turns: int = Field(2, ge=1)
    sentiment_at_most: float = Field(-0.3, ge=-1.0, le=1.0)


class EscalationRiskParams(ConditionParams):
    min_risk: float = Field(DEFAULT_ESCALATION_RISK, ge=0.0, le=1.0)


class ReasonUnresolvedParams(ConditionParams):
    # sub-reasons (logistics.lost) or whole contact reasons (complaint)
    sub_reasons: list[str] = Field(
        default_factory=lambda: ["logistics.lost", "payment.double_charge"], min_length=1
    )
    sentiment_at_most: float = Field(-0.3, ge=-1.0, le=1.0)


class DissatisfactionRiskParams(ConditionParams):
    min_risk: float = Field(DEFAULT_LIKELY, ge=0.0, le=1.0)
    label: str = Field("customer likely dissatisfied", min_length=1)  # names the finding in the reason
