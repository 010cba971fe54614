"""The reasons stage: each ticket's contact reason and escalation risk, with the turns and words that show them.

It runs after the affect stage and reads what earlier stages already computed: the affect encoder's pooled vector
of every turn (one encoder pass serves sentiment, emotion and reasons) and the NLP stage's spaCy Docs (for the
signal phrases). Per ticket:

- contact reason: each customer turn gets reason probabilities (`classifier.ReasonModel`). Turns where a reason
  other than `other` has at least `min_score` are topical; the dominant reason has the most probability over them
  (the first topical turn counts twice: customers usually say first why they came), its score is the best single
  turn's probability for it, and other reasons that a topical turn shows with `other_reason_min_score` are listed
  in `contact_reasons_other`. No topical turn: `other`, scored by the mean probability of `other`. No customer
  text at all: `other` with score 0. A language without taxonomy examples multiplies the score by
  `unseen_language_factor` and says so in the evidence.
- escalation risk: 1 - (1 - model_weight x p_model) x PRODUCT(1 - weight) over the distinct signals that fired in
  the customer's turns, plus `repeat_contact` (same customer and order within the window, in the store or the
  batch); p_model is the escalation model's highest turn probability, not counting closing replies ("No, nada más.")
  or short plain answers to the agent's question ("De esta semana, del martes.", `model_gate.py`). A customer who ends
  settled (resolution wording in the closing turns, the last not negative) is no longer heading for escalation: the
  risk is multiplied by `settled_factor`. No customer text: 0 and no signals.
"""

from __future__ import annotations

import json
import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import polars as pl

from qa_engine.affect.textprep import TEXTLESS_FLAGS
from qa_engine.errors import QAError
from qa_engine.nlp.normalize import base_language
from qa_engine.reasons.classifier import ReasonModel, TurnPredictions, encoder_fingerprint
from qa_engine.reasons.escalation_spec import MODEL, REPEAT_CONTACT
from qa_engine.reasons.history import (
    CONTACT_COLUMNS,
    find_order_span,
    find_repeats,
    order_refs,
    stored_contacts,
)
from qa_engine.reasons.keywords import KeywordHit, KeywordIndex
from qa_engine.reasons.model_gate import model_may_read
from qa_engine.reasons.signals import (
    SETTLED,
    SignalFinder,
    Signals,
    load_signals,
    signals_file,
)
from qa_engine.reasons.taxonomy import OTHER, Taxonomy, load_taxonomy
from qa_engine.rules.conversation import Conversation, Evidence, Turn, build_conversations

if TYPE_CHECKING:
    from spacy.tokens import Doc

    from qa_engine.affect.scorer import AffectScorer
    from qa_engine.store import Store

log = logging.getLogger(__name__)

REASON_COLUMNS: dict[str, pl.DataType] = {
    "contact_reason": pl.String(),
    "contact_reason_score": pl.Float64(),
    "contact_sub_reason": pl.String(),
    "contact_reasons_other": pl.List(pl.String()),
    "contact_reason_evidence": pl.String(),  # JSON list of {turn_index, start, end, text, note}
    "escalation_risk": pl.Float64(),
    "escalation_signals": pl.List(pl.String()),
    "escalation_evidence": pl.String(),  # JSON list of {signal, weight, turn_index, start, end, text, note}
    "customer_resolved": pl.Boolean(),  # resolution wording in the customer's closing turns
    "order_refs": pl.List(pl.String()),  # normalised order numbers, for repeat contacts in later runs
}
# The first topical customer turn usually states why the customer came. 2 is best on the whole-conversation set
# (scripts/sweep_ticket_weighing.py, models/reasons/MODEL_CARD.md): more lets a misread opening win, less a later turn.
OPENING_WEIGHT = 2.0
MAX_EVIDENCE_TURNS = 3
MODEL_EVIDENCE_FROM = 0.5  # the model's turn is shown as evidence when it thinks the turn escalates


@dataclass
class _Reason:
    reason: str = OTHER
    score: float = 0.0
    sub_reason: str | None = None
    others: list[str] = field(default_factory=list)
    evidence: list[dict[str, Any]] = field(default_factory=list)


class ReasonsStage:
    """The loaded taxonomy, signal file and classifier: load once, run on many batches."""

    def __init__(
        self, taxonomy: Taxonomy, signals: Signals, model: ReasonModel, opening_weight: float = OPENING_WEIGHT
    ) -> None:
        if model.labels != taxonomy.labels:
            raise QAError(
                "Q704", path=taxonomy.file, detail="it was fitted on other sub-reasons than the taxonomy's"
            )
        self.taxonomy = taxonomy
        self.signals = signals
        self.model = model
        self.opening_weight = opening_weight
        self._keywords = KeywordIndex(taxonomy)
        self._finder = SignalFinder(signals.spec)
        self._seen_languages = taxonomy.languages()
        self._other = taxonomy.reasons.index(OTHER)

    @property
    def version(self) -> str:
        """The classifier and the signal file in use (a change of either re-scores stored tickets)."""
        return f"{self.model.version}+signals:{self.signals.sha}"

    @classmethod
    def load(
        cls,
        scorer: AffectScorer,
        pack: str | Path | None = None,
        *,
        taxonomy: str | Path | Taxonomy | None = None,
        model_dir: Path | None = None,
        signals: Signals | None = None,
    ) -> ReasonsStage:
        """The taxonomy, the pack's signal file (the default pack's when it has none; `signals` when the caller has
        read the pack already, `Signals.of(pack)`; `taxonomy` a path or one already read) and the fitted classifier.

        A classifier fitted on another encoder (e.g. a retrained affect model) or another taxonomy would classify
        garbage, so it is refitted in memory (a few minutes on two cores, deterministic) with a warning to run
        `qa reasons fit`.
        """
        tax = taxonomy if isinstance(taxonomy, Taxonomy) else load_taxonomy(taxonomy)
        signals = signals if signals is not None else load_signals(signals_file(pack))
        fingerprint = encoder_fingerprint(scorer.vector_spec())
        try:
            model = ReasonModel.load(model_dir)
            stale = [
                what
                for what, fitted, now in (
                    ("encoder", model.meta.get("encoder"), fingerprint),
                    ("taxonomy", model.meta.get("taxonomy_sha"), tax.sha),
                )
                if fitted != now
            ]
        except QAError as exc:
            model, stale = None, [str(exc)]
        if model is None or stale:
            from qa_engine.reasons.fit import fit_model

            log.warning(
                "contact-reason classifier does not match (%s): refitting in memory; run `qa reasons fit` to keep it",
                ", ".join(stale),
            )
            model = fit_model(tax, signals, scorer)
        return cls(tax, signals, model)

    # the stage ----------------------------------------------------------------------------------------------------
    def run(
        self,
        tickets: pl.DataFrame,
        turns: pl.DataFrame,
        vectors: np.ndarray,
        docs: list[Doc],
        store: Store | None = None,
    ) -> pl.DataFrame:
        """One row per ticket of `tickets`: ticket_id and `REASON_COLUMNS`.

        `turns` carry the affect columns, `vectors` are their pooled vectors and `docs` their Docs, row for row;
        `store` (when given) holds earlier tickets for repeat contacts.
        """
        conversations = build_conversations(tickets, turns, docs)
        customer = _customer_turns(tickets, turns)
        texts, languages = customer["text"].to_list(), customer["language"].to_list()
        keywords, hits = self._keywords.scan(texts, languages)
        rows = customer["_row"].to_numpy()
        predictions = self.model.predict(
            vectors[rows] if len(rows) else np.zeros((0, 1)), keywords, texts, languages
        )
        positions: dict[str, list[int]] = defaultdict(list)
        for position, ticket_id in enumerate(customer["ticket_id"]):
            positions[ticket_id].append(position)
        turn_index = customer["turn_index"].to_list()

        contacts = _contacts(tickets, turns, customer)
        window = self.signals.spec.repeat_contact.window_days
        earlier = pl.concat([stored_contacts(store, contacts, window), contacts])
        repeats = {r["ticket_id"]: r for r in find_repeats(contacts, earlier, window).iter_rows(named=True)}

        out = []
        for conversation, refs in zip(conversations, contacts["order_refs"].to_list(), strict=True):
            mine = positions.get(conversation.ticket_id, [])
            by_index = {turn.index: turn for turn in conversation.turns}
            turns_here = [by_index[turn_index[p]] for p in mine]
            reason = self._reason(conversation.language, mine, turns_here, predictions, hits)
            resolved = bool(mine) and self._finder.resolved(conversation)
            settled = resolved and turns_here[-1].sentiment != "negative"
            risk, signals, evidence = self._escalation(
                conversation, mine, turns_here, predictions, repeats.get(conversation.ticket_id), settled
            )
            out.append(
                {
                    "ticket_id": conversation.ticket_id,
                    "contact_reason": reason.reason,
                    "contact_reason_score": round(reason.score, 4),
                    "contact_sub_reason": reason.sub_reason,
                    "contact_reasons_other": reason.others,
                    "contact_reason_evidence": json.dumps(reason.evidence, ensure_ascii=False),
                    "escalation_risk": round(risk, 4),
                    "escalation_signals": signals,
                    "escalation_evidence": json.dumps(evidence, ensure_ascii=False),
                    "customer_resolved": resolved,
                    "order_refs": refs,
                }
            )
        return pl.DataFrame(out, schema={"ticket_id": pl.String(), **REASON_COLUMNS})

    # per ticket ---------------------------------------------------------------------------------------------------
    def _reason(
        self,
        language: str,
        positions: list[int],
        turns: list[Turn],
        predictions: TurnPredictions,
        hits: list[list[KeywordHit]],
    ) -> _Reason:
        if not positions:
            return _Reason()  # no customer text: other, score 0
        spec = self.taxonomy.spec
        probs = predictions.reasons[positions]
        # a turn's best real reason: an e-mail's greeting and sign-off make `other` likely without hiding a request
        real = probs.copy()
        real[:, self._other] = -1.0
        best, confidence = real.argmax(1), real.max(1)
        topical = [k for k in range(len(positions)) if confidence[k] >= spec.min_score]
        reasons = self.taxonomy.reasons
        if topical:
            weights = np.array([self.opening_weight if n == 0 else 1.0 for n in range(len(topical))])
            dominant = int((weights @ real[topical]).argmax())
            score = float(probs[topical, dominant].max())
            support = [k for k in topical if best[k] == dominant] or [
                topical[int(probs[topical, dominant].argmax())]
            ]
            others = list(dict.fromkeys(
                reasons[best[k]] for k in topical
                if best[k] != dominant and confidence[k] >= spec.other_reason_min_score
            ))  # fmt: skip
            chosen, chosen_weights = topical, weights
        else:
            dominant = self._other
            score = float(probs[:, self._other].mean())
            support, others = [int(probs[:, self._other].argmax())], []
            chosen, chosen_weights = list(range(len(positions))), np.ones(len(positions))
        name = reasons[dominant]
        columns = np.flatnonzero(self.model.owner[:, dominant])  # the reason's sub-reasons
        sub_mass = chosen_weights @ predictions.sub_reasons[[positions[k] for k in chosen]][:, columns]
        sub_reason = self.model.labels[columns[int(sub_mass.argmax())]] if len(columns) else None
        unseen = base_language(language) not in self._seen_languages
        if unseen:
            score *= spec.unseen_language_factor
        evidence = []
        for k in support[:MAX_EVIDENCE_TURNS]:
            note = f"{sub_reason or name} {probs[k, dominant]:.2f}"
            if unseen:
                note += f" (no taxonomy examples in '{language}': score x{spec.unseen_language_factor})"
            cue = next((h for h in hits[positions[k]] if h.reason == name), None)
            turn = turns[k]
            found = Evidence.span(turn, cue.start, cue.end, note) if cue else Evidence.whole_turn(turn, note)
            evidence.append(found.as_row())
        return _Reason(name, score, sub_reason, others, evidence)

    def _escalation(
        self,
        conversation: Conversation,
        positions: list[int],
        turns: list[Turn],
        predictions: TurnPredictions,
        repeat: dict[str, Any] | None,
        settled: bool,
    ) -> tuple[float, list[str], list[dict[str, Any]]]:
        if not positions:
            return 0.0, [], []  # no customer text: no risk and no signals
        spec = self.signals.spec
        titles = {s.id: s.title for s in spec.signals}
        evidence = [
            {"signal": h.signal, "weight": h.weight, "turn_index": h.turn_index, "start": h.start, "end": h.end,
             "text": h.text, "note": titles[h.signal]}
            for h in self._finder.find(conversation)
        ]  # fmt: skip
        if repeat is not None:
            evidence.append(_repeat_evidence(turns, repeat, spec.repeat_contact.weight))
        weights: dict[str, float] = {}
        for item in evidence:
            weights[item["signal"]] = max(weights.get(item["signal"], 0.0), item["weight"])
        # a closing reply or a short plain answer to the agent's question escalates nothing, whatever the model,
        # fitted on requests, reads into so few words (`model_gate`)
        readable = [model_may_read(conversation, turn) for turn in turns]
        p_model = np.where(readable, predictions.escalation[positions], 0.0)
        strongest = int(p_model.argmax())
        calm = (1.0 - spec.model_weight * float(p_model[strongest])) * float(
            np.prod([1.0 - w for w in weights.values()])
        )
        if p_model[strongest] >= MODEL_EVIDENCE_FROM:
            note = f"escalation model {p_model[strongest]:.2f}"
            item = Evidence.whole_turn(turns[strongest], note).as_row()
            evidence.append(
                {"signal": MODEL, "weight": round(spec.model_weight * float(p_model[strongest]), 4), **item}
            )
        risk = 1.0 - calm
        if settled and spec.settled_factor < 1:
            note = f"the customer ends settled: risk x{spec.settled_factor}"
            item = Evidence.whole_turn(turns[-1], note).as_row()
            evidence.append({"signal": SETTLED, "weight": spec.settled_factor, **item})
            risk *= spec.settled_factor
        signals = sorted(weights, key=lambda s: (-weights[s], s))
        return risk, signals, evidence


def _repeat_evidence(turns: list[Turn], repeat: dict[str, Any], weight: float) -> dict[str, Any]:
    """Points at the order number in the customer's words when they wrote it, else at their first turn."""
    started: datetime = repeat["previous_started_at"]
    note = f"same customer and order as {repeat['previous_ticket_id']} ({started:%Y-%m-%d})"
    for turn in turns:
        span = find_order_span(turn.text, [repeat["order_ref"]])
        if span:
            return {"signal": REPEAT_CONTACT, "weight": weight, **Evidence.span(turn, *span, note).as_row()}
    return {"signal": REPEAT_CONTACT, "weight": weight, **Evidence.whole_turn(turns[0], note).as_row()}


def _customer_turns(tickets: pl.DataFrame, turns: pl.DataFrame) -> pl.DataFrame:
    """The customer turns with text to read, in ticket and turn order: _row (the row in `turns`), ticket_id,
    turn_index, text, language (the ticket's)."""
    readable = pl.col("text").fill_null("").str.strip_chars().str.len_chars() > 0
    if "affect_flag" in turns.columns:
        readable = readable & ~pl.col("affect_flag").fill_null("").is_in(TEXTLESS_FLAGS)
    return (
        turns.with_row_index("_row")
        .filter((pl.col("speaker") == "customer") & readable)
        .select("_row", "ticket_id", "turn_index", "text")
        .join(tickets.select("ticket_id", pl.col("language").cast(pl.String)), on="ticket_id", how="left")
        .sort("ticket_id", "turn_index", maintain_order=True)
    )


def _contacts(tickets: pl.DataFrame, turns: pl.DataFrame, customer: pl.DataFrame) -> pl.DataFrame:
    """`history.CONTACT_COLUMNS` for the batch, in ticket order: who, when (created_at, else the first turn's
    ts, as the store's `started_at`) and about which orders."""
    texts = customer.group_by("ticket_id").agg(pl.col("text"))
    first_ts = (
        turns.group_by("ticket_id").agg(first_ts=pl.col("ts").min())
        if "ts" in turns.columns
        else tickets.select("ticket_id", first_ts=pl.lit(None, pl.Datetime("us", "UTC")))
    )
    frame = (
        tickets.select(
            "ticket_id",
            *(
                pl.col(c) if c in tickets.columns else pl.lit(None, dtype).alias(c)
                for c, dtype in (
                    ("customer_id", pl.String),
                    ("created_at", pl.Datetime("us", "UTC")),
                    ("metadata", pl.String),
                )
            ),
        )
        .join(texts, on="ticket_id", how="left", maintain_order="left")
        .join(first_ts, on="ticket_id", how="left", maintain_order="left")
    )
    refs = [
        order_refs(meta, text or [])
        for meta, text in zip(frame["metadata"].to_list(), frame["text"].to_list(), strict=True)
    ]
    return frame.select(
        "ticket_id",
        "customer_id",
        pl.coalesce("created_at", "first_ts").cast(pl.Datetime("us", "UTC")).alias("started_at"),
        pl.Series("order_refs", refs, dtype=pl.List(pl.String)),
    ).select(list(CONTACT_COLUMNS))
