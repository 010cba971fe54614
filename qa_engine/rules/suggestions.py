"""Suggestions (智能质检 提供改进建议): for each failed rule, what the agent could have written instead.

A rule's `suggestion` in the pack gives templates per language and the turn the suggestion belongs after
(`rules.models.SuggestionSpec`). A failed rule gets the first template, in the ticket's language (English when the
pack has none for it), whose facts the ticket has: the order number (`metadata.order_id`, else one written next to
a word for "order"), the parcel's tracking number, and the customer's own words (the first sentence of the
customer turn the suggestion answers). The text starts with the turn it belongs after, in the same language:
"After turn 2: I'm sorry, I understand how frustrating ...".

It runs on the batch after payment data is masked (`nlp.redact`), so a quoted customer turn can never carry a card
number, CVV or password into a suggestion; e-mail addresses and phone numbers are masked where it is shown, as in
the turns themselves.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import polars as pl

from qa_engine.nlp.normalize import base_language
from qa_engine.nlp.pii import ORDER_NUMBER, TRACKING_NUMBER, analyze_pii
from qa_engine.rules.loader import Rule
from qa_engine.rules.models import SuggestionSpec, template_facts

FALLBACK_LANGUAGE = "en"
QUOTE_CHARS = 80  # the customer's words are quoted up to this long, cut at a word boundary
# the turn a suggestion belongs after, in the ticket's language; {turn} is the turn number the review app shows
AFTER_TURN = {
    "en": "After turn {turn}: ",
    "zh": "第{turn}轮之后：",
    "de": "Nach Beitrag {turn}: ",
    "ja": "ターン{turn}の後：",
    "es": "Después del turno {turn}: ",
    "fr": "Après le message {turn} : ",
}
AT_START = {
    "en": "At the start: ",
    "zh": "开头：",
    "de": "Zu Beginn: ",
    "ja": "冒頭：",
    "es": "Al principio: ",
    "fr": "Au début : ",
}
_SENTENCE_END = re.compile(r"(?<=[.!?。！？])\s*|\n+")
_SALUTATION_END = (",", "，", "、", ":", "：")  # how an e-mail's salutation line ends


@dataclass
class _Ticket:
    """One ticket's turns and language, and the facts templates may name (found once, when first asked)."""

    language: str
    metadata: str | None
    turns: list[tuple[int, str, str]]  # (turn_index, speaker, text), in order
    _refs: dict[str, str | None] | None = field(default=None, repr=False)

    def refs(self) -> dict[str, str | None]:
        if self._refs is None:
            self._refs = {"order": _metadata_order(self.metadata), "tracking": None}
            for _, _, text in self.turns:
                for hit in analyze_pii(text, self.language, {ORDER_NUMBER, TRACKING_NUMBER}):
                    key = "order" if hit.label == ORDER_NUMBER else "tracking"
                    if self._refs[key] is None:
                        self._refs[key] = _value(hit.text)
        return self._refs


def suggest(
    rules: Sequence[Rule], tickets: pl.DataFrame, turns: pl.DataFrame, results: pl.DataFrame
) -> pl.DataFrame:
    """`results` with `suggestion` set for every failed rule that has one in the pack (null for the rest).

    `tickets` needs ticket_id and language (metadata is read when present); `turns` ticket_id, turn_index, speaker
    and text, already masked.
    """
    specs = {rule.id: rule.spec.suggestion for rule in rules if rule.spec.suggestion is not None}
    wanted = results.with_row_index("_row").filter(
        (pl.col("outcome") == "fail") & pl.col("rule_id").is_in(list(specs))
    )
    base = results.with_columns(suggestion=pl.lit(None, dtype=pl.String))
    if wanted.is_empty():
        return base
    ids = wanted["ticket_id"].unique().to_list()
    meta = tickets["metadata"] if "metadata" in tickets.columns else pl.Series([None] * tickets.height)
    info = {
        tid: _Ticket(base_language(lang or FALLBACK_LANGUAGE), m, [])
        for tid, lang, m in zip(tickets["ticket_id"], tickets["language"], meta, strict=True)
        if tid in set(ids)
    }
    for tid, index, speaker, text in (
        turns.filter(pl.col("ticket_id").is_in(ids))
        .sort("ticket_id", "turn_index")
        .select("ticket_id", "turn_index", "speaker", "text")
        .iter_rows()
    ):
        if tid in info:
            info[tid].turns.append((index, speaker, text or ""))
    texts = [None] * results.height
    for row, tid, rule_id, evidence in wanted.select("_row", "ticket_id", "rule_id", "evidence").iter_rows():
        ticket = info.get(tid)
        if ticket is not None:
            texts[row] = render(specs[rule_id], ticket, (evidence or {}).get("turn_index"))
    return base.with_columns(suggestion=pl.Series(texts, dtype=pl.String))


def render(spec: SuggestionSpec, ticket: _Ticket, evidence_turn: int | None) -> str:
    """The suggestion for one failed rule: where it belongs, then the first template the ticket's facts fill."""
    language = ticket.language if ticket.language in spec.text else FALLBACK_LANGUAGE
    after = _after_turn(spec, ticket.turns, evidence_turn)
    facts = {**ticket.refs(), "quote": _quote(ticket.turns, after)}
    template = next(t for t in spec.text[language] if all(facts.get(f) for f in template_facts(t)))
    prefix = AFTER_TURN if after is not None else AT_START
    where = prefix.get(language, prefix[FALLBACK_LANGUAGE]).format(turn=after)
    return where + template.format(**{k: v or "" for k, v in facts.items()})


def _after_turn(spec: SuggestionSpec, turns: list[tuple[int, str, str]], evidence: int | None) -> int | None:
    """The index of the turn the suggestion belongs after (None: before the first turn)."""
    indexes = [index for index, _, _ in turns]
    customer = [index for index, speaker, _ in turns if speaker == "customer"]
    if not indexes:
        return None
    if spec.after == "last":
        return indexes[-1]
    if spec.after == "last_customer":
        return customer[-1] if customer else indexes[-1]
    if spec.after == "first_customer" or evidence is None:
        return customer[0] if customer else None
    if spec.after == "evidence":
        return evidence
    before = [
        index for index in indexes if index < evidence
    ]  # "previous": the reply the evidence turn should be
    return before[-1] if before else None


def _quote(turns: list[tuple[int, str, str]], after: int | None) -> str | None:
    """The customer's words the suggestion answers: the first sentence of the last customer turn up to `after`,
    after an e-mail's salutation line ("Hi,", "Sehr geehrte Damen und Herren,", "您好，"), which says nothing of the
    problem ("I can see from your message ("Hi,") what went wrong")."""
    said = [
        text for index, speaker, text in turns if speaker == "customer" and (after is None or index <= after)
    ]
    if not said:
        return None
    opening, _, rest = said[-1].strip().partition("\n")
    text = rest if rest.strip() and opening.rstrip().endswith(_SALUTATION_END) else said[-1]
    first = next((s.strip() for s in _SENTENCE_END.split(text) if s and s.strip()), "")
    if len(first) > QUOTE_CHARS:
        first = first[:QUOTE_CHARS].rsplit(" ", 1)[0].rstrip(",;:") + "…"
    return first or None


def _metadata_order(metadata: str | None) -> str | None:
    if not metadata:
        return None
    try:
        value = json.loads(metadata).get("order_id")
    except (ValueError, AttributeError):
        return None
    return str(value) if value not in (None, "") else None


def _value(written: str) -> str:
    """The number itself from a hit that may include its keyword ('order number 12345' -> '12345')."""
    tokens = re.findall(r"[A-Za-z0-9][A-Za-z0-9/-]*", written)
    numbered = [t for t in tokens if sum(c.isdigit() for c in t) >= 5]
    return numbered[-1] if numbered else written.strip()
