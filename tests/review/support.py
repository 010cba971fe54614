"""Hand-built store contents for the review app's tests: who is who, which words are evidence, where the script
injection sits."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import polars as pl

from qa_engine import schema
from qa_engine.auth.users import add_user
from qa_engine.review.db import ReviewDB
from qa_engine.store import Store

PASSWORD = "correct horse battery"
USERS = {
    # username: (role, agent_id, team)
    "lead": ("qa_lead", None, None),
    "lead2": ("qa_lead", None, None),
    "coach1": ("coach", None, "T1"),
    "coach9": ("coach", None, "T9"),  # a team with no tickets
    "agent1": ("agent", "a-1", "T1"),
    "agent2": ("agent", "a-2", "T1"),
    "agent3": ("agent", "a-3", "T2"),
}
INJECTION = '<script>alert("xss")</script><img src=x onerror=alert(1)>'
CARD = "4111 1111 1111 1111"
T0 = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)
EMAIL, PHONE = "jürgen.groß@firma.de", "+49 30 1234567"  # shown masked, stored as written


# what the agent could have written (rules.suggestions); it quotes an e-mail address, which is shown masked
R1_SUGGESTION = f"After turn 0: I'm sorry this happened <b>. I'll write to {EMAIL} with the fix today."
ANGRY_CUSTOMER = "c-angry"  # R-1 (agent a-1) and Y-1 (agent a-2): a running balance deep below zero
R1_LAST = "Unbelievable. I will dispute the charge with my bank and leave a bad review."


@dataclass(frozen=True)
class KeyIssue:
    """A ticket's contact reason and escalation risk as the reasons stage stores them."""

    reason: str | None = None
    sub_reason: str | None = None
    score: float | None = None
    others: tuple[str, ...] = ()
    risk: float | None = None
    signals: tuple[dict, ...] = ()  # {signal, weight, turn_index, start, end, text, note}
    reason_evidence: tuple[dict, ...] = ()

    def columns(self) -> dict:
        return {
            "contact_reason": self.reason, "contact_sub_reason": self.sub_reason, "contact_reason_score": self.score,
            "contact_reasons_other": list(self.others), "contact_reason_evidence": json.dumps(self.reason_evidence),
            "escalation_risk": self.risk, "escalation_signals": [s["signal"] for s in self.signals],
            "escalation_evidence": json.dumps(self.signals),
        }  # fmt: skip


def _signal(signal: str, turn_index: int, text: str, words: str, note: str, weight: float = 0.5) -> dict:
    start = text.index(words)
    return {"signal": signal, "weight": weight, "turn_index": turn_index, "start": start,
            "end": start + len(words), "text": words, "note": note}  # fmt: skip


R1_ISSUE = KeyIssue(
    "logistics", "logistics.lost", 0.82, others=("complaint",), risk=0.85,
    signals=(
        _signal("chargeback", 2, R1_LAST, "dispute the charge with my bank", "Threatens a chargeback"),
        _signal("bad_review", 2, R1_LAST, "leave a bad review", "Threatens a bad review", 0.35),
    ),
    reason_evidence=({"turn_index": 0, "start": 3, "end": 23, "text": "parcel never arrived",
                      "note": "logistics.lost 0.82"},),
)  # fmt: skip
X1_TEXT = f"Look at this: {INJECTION} 100% sure_thing"
X1_ISSUE = KeyIssue(
    "complaint", "complaint.service", 0.55, risk=0.55,
    signals=(_signal("public_post", 0, X1_TEXT, INJECTION, f"note {INJECTION}"),),
)  # fmt: skip
PLAIN_REASONS = ("order", "logistics", "payment", "returns", "presales")


def plain_issue(i: int) -> KeyIssue:
    """B-<i>: reasons in turn, escalation risk i % 10 / 10 (0.0 .. 0.9)."""
    reason = PLAIN_REASONS[i % len(PLAIN_REASONS)]
    sub = {"order": "order.change", "logistics": "logistics.delayed", "payment": "payment.double_charge",
           "returns": "returns.refund_status", "presales": "presales.pricing"}[reason]  # fmt: skip
    return KeyIssue(reason, sub, 0.7, risk=(i % 10) / 10)


def _turn(
    ticket_id, i, speaker, text, sentiment="neutral", score=0.0, emotion="neutral", agent_id=None, ts=None
):
    probs = dict.fromkeys(("anger", "disgust", "fear", "joy", "sadness", "surprise", "neutral"), 0.05)
    probs[emotion] = 0.7
    return {
        "ticket_id": ticket_id, "turn_index": i, "speaker": speaker, "text": text, "ts": ts, "agent_id": agent_id,
        "sentiment": sentiment, "sentiment_score": score, "emotion": emotion, "emotion_scores": probs,
        "affect_flag": None,
    }  # fmt: skip


def _rule(ticket_id, rule_id, outcome, evidence=None, critical=False, category="compliance", suggestion=None):
    return {
        "ticket_id": ticket_id, "rule_id": rule_id, "outcome": outcome, "critical": critical, "category": category,
        "weight": 10.0, "evidence": evidence, "detail": f"{rule_id}: {outcome}", "suggestion": suggestion,
    }  # fmt: skip


def _ev(turn_index, start, end, text, note=""):
    return {"turn_index": turn_index, "start": start, "end": end, "text": text, "note": note}


def build_rows() -> tuple[list[dict], list[dict], list[dict]]:
    """Hand-made tickets: a few with exact evidence, and 60 plain ones for paging and filters."""
    tickets, turns, rules = [], [], []

    def ticket(
        tid, tier, agent, team, created, channel="chat", language="en", score=80.0, reasons=(), evidence=(),
        key_issue=KeyIssue(), customer=None, csat=None,
    ):  # fmt: skip
        tickets.append({
            "ticket_id": tid, "agent_id": agent, "team": team, "customer_id": customer or f"c-{tid}", "channel": channel,
            "language": language, "created_at": created, "started_at": created, "tier": tier, "qa_score": score,
            "tier_reasons": list(reasons), "tier_evidence": json.dumps(list(evidence)),
            "customer_sentiment_start": -0.5, "customer_sentiment_end": -0.2, "emotional_balance": -3.0,
            "csat": csat, "n_turns": 3, "content_hash": tid, "rule_pack_version": "test", "run_id": "test-run",
            "scored_at": T0, **key_issue.columns(),
        })  # fmt: skip

    blame = "That's your fault, you typed the wrong address."
    ticket("R-1", "red", "a-1", "T1", T0 + timedelta(days=20), score=40.0,
           reasons=["critical rule failed: no_blaming_customer (blame in turn 1)"],
           evidence=[{"reason": "critical:no_blaming_customer", **_ev(1, 0, 17, "That's your fault", "blame")}],
           key_issue=R1_ISSUE, customer=ANGRY_CUSTOMER)  # fmt: skip
    turns += [
        _turn("R-1", 0, "customer", "My parcel never arrived. I'm really angry!", "negative", -0.8, "anger"),
        _turn("R-1", 1, "agent", blame, agent_id="a-1"),
        _turn("R-1", 2, "customer", R1_LAST, "negative", -0.6, "disgust"),
    ]
    rules += [
        _rule(
            "R-1",
            "no_blaming_customer",
            "fail",
            _ev(1, 0, 17, "That's your fault", "blame in turn 1"),
            True,
            suggestion=R1_SUGGESTION,
        ),
        _rule(
            "R-1",
            "greeting_own_name",
            "fail",
            _ev(1, 0, len(blame), blame[:20] + "…", "missing own name"),
            category="first_impression",
        ),
        _rule("R-1", "closing_thanks", "na", None, category="closing"),
    ]

    pii = f"Your card on file is {CARD}, anything else?"
    ticket("R-2", "red", "a-2", "T1", T0 + timedelta(days=19), score=60.0,
           reasons=["critical rule failed: pii_disclosure (turn 1 discloses a full payment-card number)"],
           evidence=[{"reason": "critical:pii_disclosure", **_ev(1, 21, 40, "[CARD]", "masked")}])  # fmt: skip
    turns += [
        _turn("R-2", 0, "customer", f"Which card do you have on file? Write to {EMAIL} or call {PHONE}."),
        _turn("R-2", 1, "agent", pii, agent_id="a-2"),
    ]
    rules += [
        _rule("R-2", "pii_disclosure", "fail", _ev(1, 21, 40, "[CARD]", "card (masked here)"), True),
        _rule("R-2", "greeting_own_name", "pass", None, category="first_impression"),
        _rule("R-2", "verify_identity", "pass", _ev(0, 41, 41 + len(EMAIL), EMAIL, "the customer's address")),
    ]

    ticket(
        "X-1",
        "red",
        "a-1",
        "T1",
        T0 + timedelta(days=18),
        score=50.0,
        reasons=[f"customer wrote {INJECTION}"],
        key_issue=X1_ISSUE,
    )
    turns += [
        _turn("X-1", 0, "customer", X1_TEXT),
        _turn("X-1", 1, "agent", "Hello, this is Mia. </textarea><b>bold</b>", agent_id="a-1"),
    ]
    rules += [
        _rule(
            "X-1",
            "greeting_own_name",
            "pass",
            _ev(1, 0, 19, "Hello, this is Mia."),
            category="first_impression",
        )
    ]

    ticket("Y-1", "yellow", "a-2", "T1", T0 + timedelta(days=17), channel="email", language="de", score=70.0,
           reasons=["qa score 70 below 80"], customer=ANGRY_CUSTOMER,
           key_issue=KeyIssue("order", "order.confirmation", 0.6, risk=0.3))  # fmt: skip
    turns += [
        _turn("Y-1", 0, "customer", "Wo ist meine Bestellung?", "negative", -0.4, "sadness"),
        _turn("Y-1", 1, "agent", "Guten Tag, hier ist Jonas. Ich prüfe das.", agent_id="a-2"),
    ]
    rules += [_rule("Y-1", "reassurance_next_step", "fail", None, category="reassurance")]

    ja = "こんにちは、担当の佐藤です。ご迷惑をおかけして申し訳ございません。"
    ticket("G-1", "green", "a-3", "T2", T0 + timedelta(days=16), language="ja", score=100.0)
    turns += [
        _turn("G-1", 0, "customer", "荷物が届きません。", "negative", -0.3, "sadness"),
        _turn("G-1", 1, "agent", ja, "positive", 0.4, "joy", agent_id="a-3"),
    ]
    rules += [_rule("G-1", "greeting_own_name", "pass", _ev(1, 0, 13, ja[:13]), category="first_impression")]

    tiers = ("red", "yellow", "green", "green")
    for i in range(60):
        tid = f"B-{i:03d}"
        created = T0 + timedelta(days=i % 15, hours=i)
        ticket(tid, tiers[i % 4], f"a-{1 + i % 3}", "T1" if i % 3 < 2 else "T2",
               created, channel=("chat", "email", "phone")[i % 3],
               language=("en", "fr")[i % 2], score=float(50 + i % 50), key_issue=plain_issue(i),
               csat=1 + i % 5 if i % 2 else None)  # fmt: skip
        # timed turns: the first response takes 30 s x i (chat SLA 120 s: met for i <= 4)
        turns.append(
            _turn(tid, 0, "customer", f"Plain question number {i} about order {1000 + i}", ts=created)
        )
        turns.append(_turn(tid, 1, "agent", f"Hello, this is agent {1 + i % 3}.", agent_id=f"a-{1 + i % 3}",
                           ts=created + timedelta(seconds=30 * i)))  # fmt: skip
        rules.append(_rule(tid, "closing_thanks", "fail" if i % 5 == 0 else "pass", None, category="closing"))
    # A ticket with no created_at: it sorts by its first turn's time (started_at), last among its tier.
    ticket("N-1", "yellow", "a-1", "T1", None)
    tickets[-1]["started_at"] = None
    turns.append(_turn("N-1", 0, "customer", "No date on this one"))
    return tickets, turns, rules


def write_store(path: Path) -> None:
    tickets, turns, rules = build_rows()
    store = Store(path)
    store.init()
    store.write_results(
        pl.DataFrame(tickets, infer_schema_length=None).with_columns(
            pl.col("created_at", "started_at", "scored_at").cast(pl.Datetime("us", "UTC")),
            pl.col("tier_reasons", "contact_reasons_other", "escalation_signals").cast(pl.List(pl.String)),
            pl.col("contact_reason_score", "escalation_risk").cast(pl.Float64),
        ),
        pl.DataFrame(turns, schema={**schema.TURNS_IN, **schema.TURNS_AFFECT}),
        pl.DataFrame(rules, schema=schema.RULE_RESULTS),
    )
    add_users(path)


def add_users(path: Path) -> None:
    db = ReviewDB(path)
    for username, (role, agent_id, team) in USERS.items():
        add_user(db, username, PASSWORD, role, agent_id=agent_id, team=team)


def query(path: Path, sql: str, params: list | None = None) -> list[tuple]:
    """Read the store directly (the app's connections are closed between requests); DuckDB file or PostgreSQL."""
    with Store(path).connect(read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


def execute(path: Path, sql: str, params: list | None = None) -> None:
    """Change the store directly, as another process would; DuckDB file or PostgreSQL."""
    with Store(path).connect() as con:
        con.execute(sql, params or [])
