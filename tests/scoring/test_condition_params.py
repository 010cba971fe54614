"""Tier condition parameters are typed (qa_engine.scoring.params): a mistake in `tiers.yaml` fails when the pack
loads with Q107 naming the file, the line and the field, instead of silently falling back to a default."""

from __future__ import annotations

from pathlib import Path

import pytest

from qa_engine.errors import QAError
from qa_engine.scoring import load_policy
from qa_engine.scoring.params import (
    CustomerEndsUpsetParams,
    DissatisfactionRiskParams,
    MoodNotRecoveredParams,
    RuleFailedParams,
)
from qa_engine.scoring.policy import ConditionSpec

POLICY = """\
tier_policy:
  red:
    - when: critical_rule_failed
    - when: customer_ends_upset
      emotions: [anger, disgust]
      min_emotion_score: 0.5
  yellow:
    - when: dissatisfaction_risk_at_least
      min_risk: 0.5
    - when: mood_not_recovered
      min_customer_turns: 2
"""


def _load_with(tmp_path: Path, old: str, new: str) -> QAError:
    assert old in POLICY
    (tmp_path / "tiers.yaml").write_text(POLICY.replace(old, new), encoding="utf-8")
    with pytest.raises(QAError) as err:
        load_policy(tmp_path)
    assert err.value.code == "Q107"
    return err.value


def test_the_written_policy_loads_typed(tmp_path: Path) -> None:
    (tmp_path / "tiers.yaml").write_text(POLICY, encoding="utf-8")
    policy = load_policy(tmp_path)
    upset = policy.red[1].settings
    assert isinstance(upset, CustomerEndsUpsetParams)
    assert upset.emotions == ["anger", "disgust"] and upset.sentiment_at_most == -0.9  # omitted: the default
    mood = policy.yellow[1].settings
    assert isinstance(mood, MoodNotRecoveredParams) and mood.min_customer_turns == 2


@pytest.mark.parametrize(
    ("old", "new", "line", "field", "says"),
    [
        # an unknown parameter (a typo of min_risk) names its own line
        ("      min_risk: 0.5\n", "      min_rsik: 0.5\n", 9, "tier_policy.yellow[0].min_rsik", "Extra inputs"),
        # a wrong type: a word where a number goes, a float where a count goes, a string where a list goes
        ("min_risk: 0.5", "min_risk: high", 9, "tier_policy.yellow[0].min_risk", "number"),
        ("min_customer_turns: 2", "min_customer_turns: 2.5", 11, "tier_policy.yellow[1].min_customer_turns",
         "integer"),
        ("emotions: [anger, disgust]", "emotions: anger", 5, "tier_policy.red[1].emotions", "list"),
        # out of range: a risk over 1, a probability over 1, no turns at all, an emotion the model does not know
        ("min_risk: 0.5", "min_risk: 7", 9, "tier_policy.yellow[0].min_risk", "less than or equal to 1"),
        ("min_emotion_score: 0.5", "min_emotion_score: 1.5", 6, "tier_policy.red[1].min_emotion_score",
         "less than or equal to 1"),
        ("min_customer_turns: 2", "min_customer_turns: 0", 11, "tier_policy.yellow[1].min_customer_turns",
         "greater than or equal to 1"),
        ("emotions: [anger, disgust]", "emotions: [anger, rage]", 5, "tier_policy.red[1].emotions[1]", "anger"),
    ],
)  # fmt: skip
def test_a_bad_parameter_fails_at_load_naming_file_line_and_field(
    tmp_path: Path, old: str, new: str, line: int, field: str, says: str
) -> None:
    err = _load_with(tmp_path, old, new)
    assert err.fields["line"] == line and err.fields["field"] == field
    assert says in err.fields["detail"]
    assert f"tiers.yaml:{line}" in str(err)


def test_a_condition_that_takes_no_parameters_refuses_one(tmp_path: Path) -> None:
    err = _load_with(tmp_path, "    - when: critical_rule_failed\n",
                     "    - when: critical_rule_failed\n      threshold: 80\n")  # fmt: skip
    assert (err.fields["line"], err.fields["field"]) == (4, "tier_policy.red[0].threshold")


def test_rule_failed_must_name_rules_or_a_category(tmp_path: Path) -> None:
    err = _load_with(tmp_path, "    - when: mood_not_recovered\n      min_customer_turns: 2\n",
                     "    - when: rule_failed\n      unless_customer_ends_positive: true\n")  # fmt: skip
    assert (err.fields["line"], err.fields["field"]) == (10, "tier_policy.yellow[1]")
    assert "never fire" in err.fields["detail"]
    assert RuleFailedParams(category="timeliness").rules == []


def test_untimed_counts_from_risk_needs_unless_untimed() -> None:
    with pytest.raises(ValueError, match="only applies with `unless_untimed: true`"):
        RuleFailedParams(category="timeliness", untimed_counts_from_risk=0.3)
    with pytest.raises(ValueError, match="less than or equal to 1"):
        RuleFailedParams(category="timeliness", unless_untimed=True, untimed_counts_from_risk=3.0)


def test_the_default_pack_loads_with_its_written_values() -> None:
    policy = load_policy()
    by_id = {c.reason_id: c.settings for c in [*policy.red, *policy.yellow]}
    very = by_id["very_dissatisfied"]
    assert isinstance(very, DissatisfactionRiskParams)
    assert (very.min_risk, very.label) == (0.8, "customer ends very dissatisfied")
    sla = by_id["sla_missed"]
    assert isinstance(sla, RuleFailedParams)
    assert sla.category == "timeliness" and sla.unless_customer_ends_positive and sla.unless_untimed
    assert sla.untimed_counts_from_risk == 0.3
    assert policy.likely_dissatisfied_at() == 0.5 and policy.escalation_red_at() == 0.7


def test_a_spec_built_in_code_is_typed_on_first_use() -> None:
    assert ConditionSpec(when="qa_score_below").settings.threshold == 80.0  # type: ignore[attr-defined]
    with pytest.raises(ValueError, match="min_risk"):
        _ = ConditionSpec(when="escalation_risk_at_least", min_risk="high").settings
