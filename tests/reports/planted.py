"""A small store with planted results, written through the store's own API, for the KPI, key-issue and coaching
parts of the reports: every number those parts show is known from how the tickets were planted.

Period 2026-10-01 to 2026-10-28. A coaching session on 2026-10-15 focuses on `closing_thanks` for three agents:
- a-good (team T1): the rule failed in 9 of 12 tickets in the 14 days before, 1 of 12 after (it clearly helped);
- a-flat (team T1): 6 of 12 before and 6 of 12 after (it did not);
- a-few (team T2): 3 tickets on each side ("too few tickets").
Contact reasons, escalation risks and signals, channels, CSAT and customers cycle through fixed lists, so each
ticket's values follow from its position; the tests recompute what a report must show from `PLANTED`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import polars as pl

from qa_engine import schema
from qa_engine.store import Store

SESSION_DAY = date(2026, 10, 15)
PERIOD = (date(2026, 10, 1), date(2026, 10, 28))
FOCUS = "closing_thanks"
OTHER_RULE = "greeting_own_name"
CARD = "4111 1111 1111 1111"
REASONS = ("logistics", "returns", "payment", "logistics")
RISKS = (
    (0.9, ["chargeback"]),
    (0.6, ["manager_request"]),
    (0.2, []),
    (0.75, ["public_review", "repeat_contact"]),
)
CHANNELS = ("chat", "email", "chat", "phone")
REPLY_S = {"chat": 60.0, "email": 7200.0, "phone": 5.0}
CSAT = (5, 2, None, 4, 3)
# predicted dissatisfaction risk (qa_engine.satisfaction); None: nothing to judge. Seven long, so agents differ.
DISSATISFACTION = (0.8, 0.1, None, 0.55, 0.3, 0.62, 0.2)
# agent -> team, and fails of the focus rule before / after the session out of the tickets on each side
AGENTS: dict[str, tuple[str, int, int, int]] = {  # team, tickets per side, fails before, fails after
    "a-good": ("T1", 12, 9, 1),
    "a-flat": ("T1", 12, 6, 6),
    "a-few": ("T2", 3, 2, 0),
}


@dataclass(frozen=True)
class Ticket:
    ticket_id: str
    agent_id: str
    team: str
    day: date
    channel: str
    reason: str
    risk: float
    signals: tuple[str, ...]
    focus_failed: bool
    qa_score: float
    tier: str
    csat: int | None
    dissatisfaction: float | None = None


def _days(side: str, count: int) -> list[date]:
    """`count` days spread over the 13 days before or after the session (the session day itself has none)."""
    first = SESSION_DAY - timedelta(days=13) if side == "before" else SESSION_DAY + timedelta(days=1)
    return [first + timedelta(days=(i * 13) // max(count, 1)) for i in range(count)]


def planted_tickets() -> list[Ticket]:
    tickets, n = [], 0
    for agent_id, (team, per_side, fails_before, fails_after) in AGENTS.items():
        for side, fails in (("before", fails_before), ("after", fails_after)):
            for i, day in enumerate(_days(side, per_side)):
                failed = i < fails
                risk, signals = RISKS[n % len(RISKS)]
                score = 80.0 if failed else 100.0
                tier = "red" if risk >= 0.7 else "yellow" if failed else "green"
                tickets.append(
                    Ticket(f"P-{n:03d}", agent_id, team, day, CHANNELS[n % len(CHANNELS)], REASONS[n % len(REASONS)],
                           risk, tuple(signals), failed, score, tier, CSAT[n % len(CSAT)],
                           DISSATISFACTION[n % len(DISSATISFACTION)])
                )  # fmt: skip
                n += 1
    return tickets


PLANTED = planted_tickets()


def _at(day: date, seconds: float = 0.0) -> datetime:
    return datetime(day.year, day.month, day.day, 10, 0, tzinfo=UTC) + timedelta(seconds=seconds)


def build_store(db: Path) -> Path:
    """Write the planted tickets, their turns and rule results into a new store at `db`."""
    tickets, turns, results = [], [], []
    for t in PLANTED:
        start = _at(t.day)
        reply = REPLY_S[t.channel]
        closing = (
            f"Your refund is on its way, card {CARD} was credited." if t.focus_failed
            else "Your refund is on its way. Thank you for contacting us!"
        )  # fmt: skip
        texts = [
            ("customer", "My parcel never arrived and I am really annoyed.", "negative", -0.7, 0.0),
            (
                "agent",
                "Hello, this is Ana. I am sorry, let me check the tracking for you.",
                "neutral",
                0.1,
                reply,
            ),
            ("customer", "Ok, please hurry.", "neutral", 0.0, reply + 30),
            ("agent", closing, "positive", 0.5, reply + 90),
            ("customer", "Great, thanks a lot!", "positive", 0.8, reply + 120),
        ]
        for index, (speaker, text, sentiment, score, offset) in enumerate(texts):
            turns.append({
                "ticket_id": t.ticket_id, "turn_index": index, "speaker": speaker, "text": text,
                "ts": start + timedelta(seconds=offset), "agent_id": t.agent_id if speaker == "agent" else None,
                "sentiment": sentiment, "sentiment_score": score, "emotion": "neutral",
                "emotion_scores": dict.fromkeys(("anger", "disgust", "fear", "joy", "sadness", "surprise", "neutral"), 1 / 7),
                "affect_flag": None,
            })  # fmt: skip
        span = closing.index("card") if t.focus_failed else None
        results += [
            {"ticket_id": t.ticket_id, "rule_id": FOCUS, "outcome": "fail" if t.focus_failed else "pass",
             "critical": False, "category": "closing", "weight": 5.0,
             "evidence": {"turn_index": 3, "start": span, "end": len(closing), "text": closing[span:],
                          "note": "no thanks in the last agent turn"} if t.focus_failed else None,
             "detail": None},
            {"ticket_id": t.ticket_id, "rule_id": OTHER_RULE, "outcome": "pass", "critical": False,
             "category": "first_impression", "weight": 10.0, "evidence": None, "detail": None},
        ]  # fmt: skip
        tickets.append({
            "ticket_id": t.ticket_id, "agent_id": t.agent_id, "team": t.team, "customer_id": f"c-{t.ticket_id}",
            "channel": t.channel, "language": "en", "created_at": start, "started_at": start, "csat": t.csat,
            "tier": t.tier, "qa_score": t.qa_score, "tier_reasons": [], "tier_evidence": json.dumps([]),
            "customer_sentiment_start": -0.7, "customer_sentiment_end": 0.8, "emotional_balance": -2.0,
            "n_turns": len(texts), "contact_reason": t.reason, "contact_reason_score": 0.9,
            "escalation_risk": t.risk, "escalation_signals": list(t.signals), "escalation_evidence": json.dumps([]),
            "dissatisfaction_risk": t.dissatisfaction,
        })  # fmt: skip
    store = Store(db)
    store.init()
    store.write_results(
        pl.DataFrame(tickets, infer_schema_length=None),
        pl.DataFrame(
            turns, schema_overrides={"emotion_scores": schema.EMOTION_SCORES}, infer_schema_length=None
        ),
        pl.DataFrame(results, schema_overrides={"evidence": schema.EVIDENCE}, infer_schema_length=None),
    )
    return db
