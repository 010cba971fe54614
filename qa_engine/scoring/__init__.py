"""Scorecard and tier: QA score from rule weights, red/yellow/green with reasons and evidence."""

from qa_engine.scoring.policy import TierPolicy, load_policy
from qa_engine.scoring.tiers import assign_tiers, customer_mood

__all__ = ["TierPolicy", "assign_tiers", "customer_mood", "load_policy"]
