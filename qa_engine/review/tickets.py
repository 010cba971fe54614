"""One ticket as a reviewer reads it: turns with mood, rule outcomes and tier reasons with their evidence, and the
human verdicts (reviews, disputes) beside the machine's.

The machine's verdict comes from `tickets` / `rule_results` (replaced by every re-score); the human verdicts from
`reviews` / `disputes` (never touched by scoring). Evidence spans are character offsets into a turn's text; where the
rule masked what it found (a card number, a password), the masked form is shown instead of the secret. E-mail
addresses and phone numbers are stored as written and shown masked here, in every speaker's turns and evidence.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from itertools import pairwise

from qa_engine.nlp.pii import MASKED_LABELS, analyze_pii, mask, mask_pii
from qa_engine.review.binding import CONTENT_CHANGED, CURRENT_REVIEW
from qa_engine.review.customers import customer_view
from qa_engine.review.db import ReviewDB
from qa_engine.review.keyissues import MODEL_SIGNAL, evidence_list, risk_level, signal_label
from qa_engine.review.queue import iso
from qa_engine.review.scope import Scope

TICKET_COLUMNS = (
    "ticket_id", "agent_id", "team", "customer_id", "channel", "language", "created_at", "csat", "tier",
    "escalated", "qa_score", "tier_reasons", "tier_evidence", "customer_sentiment_start", "customer_sentiment_end",
    "emotional_balance", "n_turns", "scored_at", "run_id", "contact_reason", "contact_reason_score",
    "contact_sub_reason", "contact_reasons_other", "contact_reason_evidence", "escalation_risk", "escalation_signals",
    "escalation_evidence", "dissatisfaction_risk", "dissatisfaction_evidence",
)  # fmt: skip
# which colour a highlighted piece gets when several kinds of evidence overlap: an escalation signal first (the tier
# policy often names the same words as a reason: the orange says why), then tier reasons and failed rules
KIND_ORDER = ("escalation", "tier", "fail", "pass", "reason")
TURN_COLUMNS = (
    "turn_index", "speaker", "text", "ts", "agent_id", "sentiment", "sentiment_score", "emotion", "emotion_scores",
    "affect_flag",
)  # fmt: skip
RULE_COLUMNS = ("rule_id", "outcome", "critical", "category", "weight", "evidence", "detail", "suggestion")
REVIEW_COLUMNS = (
    "review_id", "version", "reviewer", "tier", "rule_overrides", "rule_outcomes", "machine_tier",
    "machine_outcomes", "comment", "created_at",
)  # fmt: skip
DISPUTE_COLUMNS = (
    "dispute_id", "review_id", "review_version", "username", "comment", "created_at", "status", "resolved_by",
    "resolution_comment", "resolved_at",
)  # fmt: skip


@dataclass(frozen=True)
class Span:
    """A highlighted stretch of one turn: [start, end) characters, why, and what to show instead when masked."""

    start: int
    end: int
    label: str
    kind: str  # one of KIND_ORDER
    replacement: str | None = None


@dataclass
class Segment:
    text: str
    labels: list[str] = field(default_factory=list)
    kinds: list[str] = field(default_factory=list)

    @property
    def css(self) -> str:
        """The strongest kind wins the colour (KIND_ORDER): an escalation signal, a tier reason, a failed rule, a
        passed rule, the words that show the contact reason."""
        for kind in KIND_ORDER:
            if kind in self.kinds:
                return kind
        return ""


def _covers_turn(start: int, end: int, text: str) -> bool:
    return start <= 0 and end >= len(text.rstrip())


def evidence_span(text: str, evidence: dict | None, label: str, kind: str) -> Span | None:
    """A span for this evidence in `text`, or None when it points at no particular words (a whole turn, a
    missing phrase) or does not fit the text (a turn re-scored since)."""
    if not evidence or evidence.get("start") is None or evidence.get("end") is None:
        return None
    start, end = int(evidence["start"]), int(evidence["end"])
    if not 0 <= start < end <= len(text) or _covers_turn(start, end, text):
        return None
    shown = evidence.get("text")
    masked = bool(shown) and shown != text[start:end] and not shown.endswith("…")
    return Span(start, end, label, kind, replacement=shown if masked else None)


def segments(text: str, spans: list[Span]) -> list[Segment]:
    """Cut `text` at every span boundary; each piece lists the spans over it. Masked spans show their replacement
    once, in place of all the characters they cover."""
    cuts = sorted({0, len(text), *(s.start for s in spans), *(s.end for s in spans)})
    out: list[Segment] = []
    masked_done: set[int] = set()
    for a, b in pairwise(cuts):
        over = [s for s in spans if s.start <= a and b <= s.end]
        piece = text[a:b]
        shown_over = [
            s for s in over if s.label
        ]  # a bare mask (an e-mail, a phone) is hidden, not highlighted
        for i, s in enumerate(spans):
            if s.replacement is not None and s in over:
                piece = "" if i in masked_done else s.replacement
                masked_done.add(i)
                break
        if not piece:
            continue
        out.append(Segment(piece, [s.label for s in shown_over], [s.kind for s in shown_over]))
    return out


def render_turn(text: str, spans: list[Span]) -> tuple[str, list[dict]]:
    """(text as shown, highlights): masked spans replaced, so no secret leaves the store, and each highlight as
    {start, end, labels, kind} in the text as shown."""
    shown: list[str] = []
    highlights: list[dict] = []
    pos = 0
    for seg in segments(text, spans):
        if seg.labels:
            highlights.append(
                {"start": pos, "end": pos + len(seg.text), "labels": seg.labels, "kind": seg.css}
            )
        shown.append(seg.text)
        pos += len(seg.text)
    return "".join(shown), highlights


def pieces(text: str, highlights: list[dict]) -> list[dict]:
    """The shown text cut into plain and highlighted pieces, in order, for the page to escape and mark up."""
    out, pos = [], 0
    for h in sorted(highlights, key=lambda h: h["start"]):
        if h["start"] > pos:
            out.append({"text": text[pos : h["start"]], "kind": "", "labels": []})
        out.append({"text": text[h["start"] : h["end"]], "kind": h["kind"], "labels": h["labels"]})
        pos = h["end"]
    if pos < len(text):
        out.append({"text": text[pos:], "kind": "", "labels": []})
    return out


def load_ticket(db: ReviewDB, scope: Scope, ticket_id: str) -> dict | None:
    """The ticket as the API returns it, or None when it is unknown or outside `scope`."""
    with db.read() as con:
        row = con.execute(
            f"SELECT {', '.join('t.' + c for c in TICKET_COLUMNS)} FROM tickets t "
            f"WHERE t.ticket_id = ? AND ({scope.sql})",
            [ticket_id, *scope.params],
        ).fetchone()
        if row is None:
            return None
        turns = con.execute(
            f"SELECT {', '.join(TURN_COLUMNS)} FROM turns WHERE ticket_id = ? ORDER BY turn_index",
            [ticket_id],
        ).fetchall()
        rules = con.execute(
            f"SELECT {', '.join(RULE_COLUMNS)} FROM rule_results WHERE ticket_id = ? "
            "ORDER BY CASE outcome WHEN 'fail' THEN 0 WHEN 'pass' THEN 1 ELSE 2 END, NOT critical, rule_id",
            [ticket_id],
        ).fetchall()
        # only the reviews made on this agent's conversation, and their disputes (`binding`); the version counts all
        reviews = con.execute(
            f"SELECT {', '.join('r.' + c for c in REVIEW_COLUMNS)}, {CONTENT_CHANGED} FROM reviews r "
            f"JOIN tickets t USING (ticket_id) WHERE r.ticket_id = ? AND {CURRENT_REVIEW} ORDER BY r.version",
            [ticket_id],
        ).fetchall()
        version, others = con.execute(
            f"SELECT coalesce(max(r.version), 0), count(*) FILTER (WHERE NOT {CURRENT_REVIEW}) FROM reviews r "
            "JOIN tickets t USING (ticket_id) WHERE r.ticket_id = ?",
            [ticket_id],
        ).fetchone()
        disputes = con.execute(
            f"SELECT {', '.join(DISPUTE_COLUMNS)} FROM disputes WHERE ticket_id = ? "
            "AND review_id IN (SELECT unnest(?)) ORDER BY created_at",
            [ticket_id, [r[0] for r in reviews]],
        ).fetchall()
    ticket = dict(zip(TICKET_COLUMNS, row, strict=True))
    tier_evidence = evidence_list(ticket.pop("tier_evidence"))
    ticket["tier_reasons"] = list(ticket["tier_reasons"] or [])
    ticket["tier_evidence"] = tier_evidence
    ticket["contact_reason_evidence"] = evidence_list(ticket["contact_reason_evidence"])
    ticket["escalation_evidence"] = evidence_list(ticket["escalation_evidence"])
    ticket["contact_reasons_other"] = list(ticket["contact_reasons_other"] or [])
    ticket["escalation_signals"] = list(ticket["escalation_signals"] or [])
    ticket["escalation_level"] = risk_level(ticket["escalation_risk"])
    ticket["dissatisfaction_evidence"] = evidence_list(ticket["dissatisfaction_evidence"])
    ticket["dissatisfaction_null_reason"] = _null_reason(ticket)
    raised = _raised_by_turn(ticket["dissatisfaction_evidence"])
    for key in ("created_at", "scored_at"):
        ticket[key] = iso(ticket[key])
    rule_rows = [dict(zip(RULE_COLUMNS, r, strict=True)) for r in rules]
    turn_rows = [dict(zip(TURN_COLUMNS, t, strict=True)) for t in turns]
    spans = _spans_by_turn(
        turn_rows, rule_rows, tier_evidence, ticket["escalation_evidence"], ticket["contact_reason_evidence"]
    )
    language = ticket["language"]
    for turn in turn_rows:
        turn["ts"] = iso(turn["ts"])
        text = turn["text"] or ""
        turn["text"], turn["highlights"] = render_turn(
            text, spans.get(turn["turn_index"], []) + personal_data_spans(text, language)
        )
        turn["emotion_scores"] = dict(turn["emotion_scores"]) if turn["emotion_scores"] else None
        # None unless the satisfaction model names this turn among those that raised the risk most
        turn["raises_dissatisfaction"] = raised.get(turn["turn_index"])
    for rule in rule_rows:
        rule["evidence"] = _masked(dict(rule["evidence"]), language) if rule["evidence"] else None
        rule["detail"] = mask_pii(rule["detail"], language) if rule["detail"] else rule["detail"]
        # a suggestion may quote the customer: shown with e-mails and phone numbers masked, like the turns
        rule["suggestion"] = mask_pii(rule["suggestion"], language) if rule["suggestion"] else None
    masked_lists = (
        "tier_evidence",
        "contact_reason_evidence",
        "escalation_evidence",
        "dissatisfaction_evidence",
    )
    for key in masked_lists:
        ticket[key] = [_masked(item, language) for item in ticket[key]]
    review_rows = [
        _review({**dict(zip(REVIEW_COLUMNS, r[:-1], strict=True)), "content_changed": r[-1]}) for r in reviews
    ]
    dispute_rows = [dict(zip(DISPUTE_COLUMNS, d, strict=True)) for d in disputes]
    for d in dispute_rows:
        d["created_at"], d["resolved_at"] = iso(d["created_at"]), iso(d["resolved_at"])
    return {
        **ticket,
        "turns": turn_rows,
        "rule_results": rule_rows,
        "reviews": review_rows,
        "disputes": dispute_rows,
        "version": version,
        "other_agent_reviews": others,  # reviews of an earlier conversation under this id, with another agent
        "human": _human_verdict(review_rows),
        "customer_balance": customer_view(db, scope, ticket["customer_id"]),
    }


def _raised_by_turn(evidence: list[dict]) -> dict[int, dict]:
    """turn index -> {rank, note} for the turns the satisfaction model says raised the risk most (strongest
    first, as `dissatisfaction_evidence` lists them); the page marks those turns and links to them."""
    found = [item for item in evidence if item.get("turn_index") is not None]
    return {int(item["turn_index"]): {"rank": rank, "note": item.get("note") or ""}
            for rank, item in enumerate(found, start=1)}  # fmt: skip


def _null_reason(ticket: dict) -> str | None:
    """Why a ticket has no dissatisfaction risk: the stage's own words (its one evidence item without a turn),
    or, for a ticket scored before the satisfaction stage existed, that."""
    if ticket["dissatisfaction_risk"] is not None:
        return None
    for item in ticket["dissatisfaction_evidence"]:
        if item.get("turn_index") is None and item.get("note"):
            return str(item["note"])
    return "not predicted: the ticket was scored before the satisfaction model; run qa rescore"


def personal_data_spans(text: str, language: str | None) -> list[Span]:
    """Masks over the e-mail addresses and phone numbers of a turn (and any payment data a store from before
    masking still holds): shown as `[EMAIL]`, `[PHONE]`, never as written."""
    return [
        Span(h.start, h.end, "", "mask", replacement=mask(h))
        for h in analyze_pii(text, language, MASKED_LABELS)
    ]


def _masked(evidence: dict, language: str | None) -> dict:
    """An evidence item with its quoted words masked like the turns they come from."""
    if evidence.get("text"):
        evidence = {**evidence, "text": mask_pii(evidence["text"], language)}
    return evidence


def _review(review: dict) -> dict:
    for key in ("rule_overrides", "rule_outcomes", "machine_outcomes"):
        review[key] = json.loads(review[key]) if review[key] else {}
    review["created_at"] = iso(review["created_at"])
    return review


def _human_verdict(reviews: list[dict]) -> dict | None:
    """The latest review's verdict: what people decided, shown beside the machine's."""
    if not reviews:
        return None
    last = reviews[-1]
    return {"tier": last["tier"], "rule_outcomes": last["rule_outcomes"], "reviewer": last["reviewer"],
            "version": last["version"], "created_at": last["created_at"]}  # fmt: skip


def _spans_by_turn(
    turns: list[dict],
    rules: list[dict],
    tier_evidence: list[dict],
    escalation: list[dict] = (),
    reason: list[dict] = (),
) -> dict[int, list[Span]]:
    texts = {t["turn_index"]: t["text"] or "" for t in turns}
    out: dict[int, list[Span]] = {}

    def add(evidence: dict | None, label: str, kind: str) -> None:
        if not evidence or evidence.get("turn_index") not in texts:
            return
        span = evidence_span(texts[evidence["turn_index"]], evidence, label, kind)
        if span is not None:
            out.setdefault(evidence["turn_index"], []).append(span)

    for rule in rules:
        if rule["outcome"] in ("fail", "pass"):
            add(rule["evidence"], f"{rule['rule_id']}: {rule['outcome']}", rule["outcome"])
    for item in tier_evidence:
        add(item, f"tier: {item.get('reason', '')}", "tier")
    for item in escalation:
        # the model's own evidence is a whole turn it found escalating: shown in the list, not as a highlight
        if item.get("signal") != MODEL_SIGNAL:
            add(item, signal_label(item), "escalation")
    for item in reason:
        add(item, f"contact reason: {item.get('note') or ''}".rstrip(": "), "reason")
    return out
