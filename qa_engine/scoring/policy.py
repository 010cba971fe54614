"""The tier policy is data in the rule pack (`tiers.yaml`): which conditions make a ticket red or yellow.

Each entry names a registered condition (see `conditions.py`) and its parameters (typed in `params.py` and checked
here at load: an unknown, mistyped or out-of-range one is Q107 naming file, line and field); the first tier whose
conditions fire wins (red, then yellow), and every condition that fired becomes a reason with its evidence.

An entry may ask the outcome model to agree (`confirmed_by_risk`): a mood condition read from one turn ("the
customer ends angry") then only fires when the ticket's predicted dissatisfaction risk says the customer is likely
dissatisfied too. `true` means the policy's own "likely dissatisfied" line (the lowest `min_risk` of the yellow
`dissatisfaction_risk_at_least` conditions, so `qa tiers calibrate` moves both together); a number is a fixed line.
A ticket without a risk (null: nothing to judge, or no fitting model) has no outcome model to ask, so the condition
stands on its own there.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, cast

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, field_validator

from qa_engine.errors import QAError
from qa_engine.pack.files import POLICY_FILE, pack_file
from qa_engine.pack.yamlfile import YamlDocument, field_error, read_yaml
from qa_engine.scoring.params import (
    DEFAULT_ESCALATION_RISK,
    DEFAULT_LIKELY,
    ConditionParams,
    DissatisfactionRiskParams,
    EscalationRiskParams,
)

RISK_CONDITION = "dissatisfaction_risk_at_least"
ESCALATION_CONDITION = "escalation_risk_at_least"
__all__ = ["DEFAULT_ESCALATION_RISK", "DEFAULT_LIKELY", "ConditionSpec", "TierPolicy", "load_policy"]


class ConditionSpec(BaseModel):
    model_config = ConfigDict(extra="allow")

    when: str
    id: str | None = None  # reason id; defaults to `when`
    # fire only when dissatisfaction_risk is at least this (true: the policy's likely-dissatisfied line) or null
    confirmed_by_risk: bool | float | None = None
    _settings: ConditionParams | None = PrivateAttr(default=None)

    @field_validator("confirmed_by_risk")
    @classmethod
    def _a_risk(cls, value: bool | float | None) -> bool | float | None:
        if isinstance(value, float) and not 0.0 <= value <= 1.0:
            raise ValueError("confirmed_by_risk is true or a risk between 0 and 1")
        return value

    @property
    def params(self) -> dict[str, Any]:
        """The condition's parameters as written in the YAML (every key but `when`, `id`, `confirmed_by_risk`)."""
        return dict(self.model_extra or {})

    @property
    def settings(self) -> ConditionParams:
        """The condition's typed parameters (`params.py`): checked when the pack loads, or on first use for a
        spec built in code (a ValidationError there)."""
        if self._settings is None:
            from qa_engine.scoring.conditions import PARAMS

            self._settings = PARAMS[self.when].model_validate(self.params)
        return self._settings

    @property
    def reason_id(self) -> str:
        return self.id or self.when


class TierPolicy(BaseModel):
    model_config = ConfigDict(extra="forbid")

    red: list[ConditionSpec] = Field(default_factory=list)
    yellow: list[ConditionSpec] = Field(default_factory=list)
    # emotional balance (CONTRACT / DESIGN): +positive_turn per positive customer turn, negative_turn per negative one
    balance_positive: float = 1.0
    balance_negative: float = -3.0
    version: str = ""

    def likely_dissatisfied_at(self) -> float:
        """The risk from which the policy calls a customer likely dissatisfied: the lowest `min_risk` of its yellow
        `dissatisfaction_risk_at_least` conditions (the condition's default, 0.5, when it has none)."""
        found = [
            cast(DissatisfactionRiskParams, c.settings).min_risk
            for c in self.yellow
            if c.when == RISK_CONDITION
        ]
        return min(found) if found else DEFAULT_LIKELY

    def escalation_red_at(self) -> float | None:
        """The escalation risk from which the policy makes a ticket red: the lowest `min_risk` of its red
        `escalation_risk_at_least` conditions (the condition's default where one gives none); None without one."""
        found = [
            cast(EscalationRiskParams, c.settings).min_risk
            for c in self.red
            if c.when == ESCALATION_CONDITION
        ]
        return min(found) if found else None

    def risk_gate(self, spec: ConditionSpec) -> float | None:
        """The risk a condition needs before it may fire (None: no gate)."""
        gate = spec.confirmed_by_risk
        if gate is None or gate is False:
            return None
        return self.likely_dissatisfied_at() if gate is True else float(gate)


def policy_file(pack: str | Path | None) -> Path:
    """`tiers.yaml` in the pack folder (or beside a single pack file); the default pack's when none is there."""
    return pack_file(pack, POLICY_FILE)


def load_policy(pack: str | Path | None = None) -> TierPolicy:
    """Read and validate the tier policy; a bad value or an unknown condition fails at load with file, line and
    field (Q107)."""
    return policy_from(read_yaml(policy_file(pack), "Q107", field="-"))


def policy_from(document: YamlDocument) -> TierPolicy:
    """The tier policy of a parsed `tiers.yaml`; Q107 naming file, line and field when a value is wrong."""
    from qa_engine.scoring.conditions import CONDITIONS

    file, raw = document.file, document.data or {}
    if not isinstance(raw, dict) or not isinstance(raw.get("tier_policy", {}), dict):
        raise QAError(
            "Q107", file=file, line=1, field="tier_policy", detail="expected a mapping `tier_policy:`"
        )
    try:
        policy = TierPolicy(**raw.get("tier_policy", {}))
    except ValidationError as exc:
        line, field, detail = field_error(exc, document.node, ("tier_policy",))
        raise QAError("Q107", file=file, line=line, field=field, detail=detail) from None
    for tier in ("red", "yellow"):
        for i, cond in enumerate(getattr(policy, tier)):
            if cond.when not in CONDITIONS:
                raise QAError(
                    "Q107", file=file, line=document.line("tier_policy", tier, i, "when"),
                    field=f"tier_policy.{tier}[{i}].when",
                    detail=f"unknown condition '{cond.when}'; known: {', '.join(sorted(CONDITIONS))}",
                )  # fmt: skip
            try:
                cond.settings  # noqa: B018  (validates the parameters now, so a bad one names its line)
            except ValidationError as exc:
                line, field, detail = field_error(exc, document.node, ("tier_policy", tier, i))
                raise QAError(
                    "Q107", file=file, line=line, field=f"tier_policy.{tier}[{i}]" + (f".{field}" if field else ""),
                    detail=detail,
                ) from None  # fmt: skip
    policy.version = document.sha
    return policy
