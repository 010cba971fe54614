"""Conversation-level features for the satisfaction model, from what earlier stages already computed.

No second encoder pass: the affect stage gives every turn its sentiment, emotion probabilities and pooled encoder
vector, and the reasons stage gives the escalation risk, whether the customer's closing turns sound resolved and
whether this is a repeat contact. A conversation becomes one row of

- four unit vectors: the customer's first, last and mean turn vector and the agent's last turn vector (what the
  customer came with, how they left, the whole of what they said, and how the agent left it), and
- `HAND_FEATURES`: the customer's sentiment trajectory (first, last, lowest, mean, share negative, change), the
  emotion probabilities of their last turn and on average, how many turns each side wrote and who wrote last, the
  agent's sentiment, the escalation risk, resolution wording and a repeat contact.

Only turns with text to read count (an empty or phatic "ok" says nothing about the mood; `UNTELLING_FLAGS`).
`Conversation.rows(drop=i)` gives the same row without turn i, for the evidence (`model.py`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from qa_engine.affect.labels import EMOTIONS
from qa_engine.affect.textprep import UNTELLING_FLAGS

NEGATIVE_AT_MOST = -0.3
HAND_FEATURES: tuple[str, ...] = (
    "customer_sentiment_first", "customer_sentiment_last", "customer_sentiment_min", "customer_sentiment_mean",
    "customer_negative_share", "customer_sentiment_change",
    *(f"customer_last_{e}" for e in EMOTIONS), *(f"customer_mean_{e}" for e in EMOTIONS),
    "customer_turns_log", "agent_turns_log", "customer_writes_last", "agent_sentiment_last",
    "agent_sentiment_mean", "no_agent_reply", "escalation_risk", "customer_resolved", "repeat_contact",
)  # fmt: skip
VECTOR_BLOCKS = ("customer_first", "customer_last", "customer_mean", "agent_last")


@dataclass
class Conversation:
    """One ticket's telling turns, in order: what a feature row is computed from."""

    ticket_id: str
    turn_index: np.ndarray  # (n,) the turns' turn_index
    customer: np.ndarray  # (n,) bool: a customer turn (else agent or bot)
    sentiment: np.ndarray  # (n,) -1..1
    emotion: np.ndarray  # (n, 7) probabilities in EMOTIONS order
    vectors: np.ndarray  # (n, hidden), unit length
    escalation_risk: float
    resolved: bool
    repeat_contact: bool

    @property
    def judgeable(self) -> bool:
        """Whether there is anything of the customer's to judge (an agent-only ticket has not)."""
        return bool(self.customer.any())

    def row(self, keep: np.ndarray | None = None) -> np.ndarray | None:
        """The feature row over the turns in `keep` (all by default); None without a customer turn."""
        keep = np.ones(len(self.customer), dtype=bool) if keep is None else keep
        customer, agent = keep & self.customer, keep & ~self.customer
        if not customer.any():
            return None
        c_sent, c_emo, c_vec = self.sentiment[customer], self.emotion[customer], self.vectors[customer]
        a_sent, a_vec = self.sentiment[agent], self.vectors[agent]
        last_turn = np.flatnonzero(keep)[-1]
        hidden = self.vectors.shape[1]
        mean = c_vec.mean(0)
        hand = [
            c_sent[0], c_sent[-1], c_sent.min(), c_sent.mean(),
            float((c_sent <= NEGATIVE_AT_MOST).mean()), c_sent[-1] - c_sent[0],
            *c_emo[-1], *c_emo.mean(0),
            np.log1p(len(c_sent)), np.log1p(len(a_sent)), float(self.customer[last_turn]),
            a_sent[-1] if len(a_sent) else 0.0, a_sent.mean() if len(a_sent) else 0.0, float(not len(a_sent)),
            self.escalation_risk, float(self.resolved), float(self.repeat_contact),
        ]  # fmt: skip
        blocks = [c_vec[0], c_vec[-1], _unit(mean), a_vec[-1] if len(a_vec) else np.zeros(hidden)]
        return np.concatenate([np.asarray(hand, dtype=np.float32), *[b.astype(np.float32) for b in blocks]])

    def rows_without_each(self) -> np.ndarray:
        """(n, features): the row without turn i, for each turn i; NaN rows where no customer turn is left."""
        n = len(self.customer)
        width = len(HAND_FEATURES) + len(VECTOR_BLOCKS) * self.vectors.shape[1]
        out = np.full((n, width), np.nan, dtype=np.float32)
        for i in range(n):
            keep = np.ones(n, dtype=bool)
            keep[i] = False
            row = self.row(keep)
            if row is not None:
                out[i] = row
        return out


def conversations(tickets: pl.DataFrame, turns: pl.DataFrame, vectors: np.ndarray) -> list[Conversation]:
    """One `Conversation` per row of `tickets`, in order. `turns` carry the affect columns and `vectors` are their
    pooled vectors row for row; `tickets` may carry the reasons stage's columns (else no escalation signal)."""
    frame = turns.with_row_index("_row").select(
        "_row", "ticket_id", "turn_index", "speaker", "sentiment_score", "emotion_scores",
        pl.col("affect_flag").fill_null("") if "affect_flag" in turns.columns else pl.lit("").alias("affect_flag"),
    )  # fmt: skip
    frame = frame.filter(
        pl.col("speaker").is_in(["customer", "agent", "bot"]) & ~pl.col("affect_flag").is_in(UNTELLING_FLAGS)
    ).sort("ticket_id", "turn_index", maintain_order=True)
    rows = frame["_row"].to_numpy()
    emotion = frame.select(
        [pl.col("emotion_scores").struct.field(e).cast(pl.Float32) for e in EMOTIONS]
    ).to_numpy()
    emotion = np.nan_to_num(emotion, nan=0.0)
    sentiment = np.nan_to_num(frame["sentiment_score"].cast(pl.Float32).to_numpy(), nan=0.0)
    customer = (frame["speaker"] == "customer").to_numpy()
    index = frame["turn_index"].to_numpy()
    picked = _unit_rows(vectors[rows]) if len(rows) else np.zeros((0, vectors.shape[1]), dtype=np.float32)
    bounds: dict[str, tuple[int, int]] = {}
    ids = frame["ticket_id"].to_list()
    start = 0
    for k in range(1, len(ids) + 1):
        if k == len(ids) or ids[k] != ids[start]:
            bounds[ids[start]] = (start, k)
            start = k

    def column(name: str, default) -> list:
        return tickets[name].to_list() if name in tickets.columns else [default] * tickets.height

    risks, resolved = column("escalation_risk", 0.0), column("customer_resolved", False)
    signals = column("escalation_signals", [])
    out = []
    for tid, risk, done, found in zip(tickets["ticket_id"].to_list(), risks, resolved, signals, strict=True):
        a, b = bounds.get(tid, (0, 0))
        out.append(
            Conversation(
                tid,
                index[a:b],
                customer[a:b],
                sentiment[a:b],
                emotion[a:b],
                picked[a:b],
                float(risk or 0.0),
                bool(done),
                "repeat_contact" in (found or []),
            )
        )
    return out


def _unit(vector: np.ndarray) -> np.ndarray:
    return vector / max(float(np.linalg.norm(vector)), 1e-12)


def _unit_rows(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return (vectors / np.maximum(norms, 1e-12)).astype(np.float32)
