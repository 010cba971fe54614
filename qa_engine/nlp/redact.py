"""Payment data is never kept: card numbers, card security codes and passwords are masked in a scored batch before
anything is stored or written.

The rules judge the raw text (an agent who reads a card number back still fails the `pii` rule), so masking comes
last, after the tiers: every turn's text has its hits replaced by `[CARD]`, `[CVV]` or `[PASSWORD]`, whoever wrote
them, and everything derived from those turns follows. Evidence spans are moved to the masked text (a mask is
shorter than what it hides, so later offsets shift), evidence texts and details lose the values, and the tickets'
metadata is masked too. E-mail addresses and phone numbers are not payment data: they are kept as written and
masked where they are shown (`qa_engine.nlp.pii.mask_pii`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache

import polars as pl

from qa_engine.nlp.pii import CREDIT_CARD, CVV, PASSWORD, PasswordRecognizer, analyze_pii, mask

PAYMENT_LABELS = frozenset({CREDIT_CARD, CVV, PASSWORD})
EVIDENCE_JSON_COLUMNS = (
    "tier_evidence",
    "contact_reason_evidence",
    "escalation_evidence",
    "dissatisfaction_evidence",
)


@dataclass(frozen=True)
class Redaction:
    """One text with its payment data masked: the masked text, what was cut out of the original as
    (start, end, mask) and the values that were hidden."""

    text: str
    cuts: tuple[tuple[int, int, str], ...]
    secrets: tuple[str, ...]

    def position(self, offset: int, *, is_end: bool) -> int:
        """Where an offset of the original text lies in the masked one; an offset inside a masked value moves to
        the mask's start (a span's start) or end (a span's end), so a span never cuts a mask in two."""
        shift = 0
        for start, end, tag in self.cuts:
            if offset >= end:
                shift += len(tag) - (end - start)
            elif offset > start or (is_end and offset == end):
                return start + shift + (len(tag) if is_end else 0)
            else:
                break
        return offset + shift


def redact_text(text: str | None, language: str | None) -> Redaction | None:
    """The text with its card numbers, CVVs and passwords masked, or None when it holds none."""
    if not text:
        return None
    hits = analyze_pii(text, language, PAYMENT_LABELS)
    if not hits:
        return None
    pieces, cuts, pos = [], [], 0
    for hit in hits:
        pieces += [text[pos : hit.start], mask(hit)]
        cuts.append((hit.start, hit.end, mask(hit)))
        pos = hit.end
    pieces.append(text[pos:])
    return Redaction("".join(pieces), tuple(cuts), tuple(hit.text for hit in hits))


def mask_payment(text: str | None, language: str | None = None) -> str | None:
    """`text` with payment data masked (every language's keywords apply when the language is unknown)."""
    redaction = redact_text(text, language)
    return redaction.text if redaction else text


@cache
def _screen() -> str:
    """A text that holds no payment data has fewer than three digits (a CVV has three) and no password keyword:
    one vectorised test leaves the analyzer only the few turns that could."""
    words = {w for ws in PasswordRecognizer.keywords.values() for w in ws}
    return r"(?is)\d.*\d.*\d|" + "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))


def might_hold_payment_data(texts: pl.Expr) -> pl.Expr:
    return texts.str.contains(_screen()).fill_null(False)


class _TicketSecrets:
    """A ticket's redacted turns and the values they hid, to mask everything derived from them."""

    def __init__(self) -> None:
        self.turns: dict[int, tuple[str, Redaction]] = {}  # turn_index -> (original text, redaction)
        self.values: dict[str, str] = {}  # hidden value -> its mask

    def add(self, turn_index: int, original: str, redaction: Redaction) -> None:
        self.turns[turn_index] = (original, redaction)
        for (_, _, tag), value in zip(redaction.cuts, redaction.secrets, strict=True):
            self.values[value] = tag

    def scrub(self, text: str | None) -> str | None:
        """`text` without any value this ticket's turns hid (a number only where it stands alone)."""
        if not text:
            return text
        for value in sorted(self.values, key=len, reverse=True):
            if value in text:
                edge = r"(?<!\d)" if value[:1].isdigit() else ""
                tail = r"(?!\d)" if value[-1:].isdigit() else ""
                text = re.sub(edge + re.escape(value) + tail, self.values[value], text)
        return text

    def evidence(self, item: dict | None) -> dict | None:
        """An evidence item moved to its turn's masked text: span shifted, text taken from the masked turn."""
        if not item:
            return item
        item = dict(item)
        found = self.turns.get(item.get("turn_index"))  # type: ignore[arg-type]
        start, end = item.get("start"), item.get("end")
        if found and start is not None and end is not None:
            original, redaction = found
            exact = item.get("text") == original[start:end]
            item["start"] = redaction.position(start, is_end=False)
            item["end"] = redaction.position(end, is_end=True)
            if exact:
                item["text"] = redaction.text[item["start"] : item["end"]]
        for key in ("text", "note", "detail"):
            if isinstance(item.get(key), str):
                item[key] = self.scrub(item[key])
        return item


def _map_rows(frame: pl.DataFrame, ids: set[str], change) -> pl.DataFrame:
    """`frame` with the rows of these tickets replaced by `change(row)`, order and schema kept."""
    if not ids or frame.is_empty():
        return frame
    hit = frame["ticket_id"].is_in(list(ids))
    if not hit.any():
        return frame
    index = pl.int_range(pl.len()).alias("__row")
    frame = frame.with_columns(index)
    changed = pl.DataFrame([change(row) for row in frame.filter(hit).to_dicts()], schema=frame.schema)
    return pl.concat([frame.filter(~hit), changed]).sort("__row").drop("__row")


def redact_batch(
    tickets: pl.DataFrame, turns: pl.DataFrame, rule_results: pl.DataFrame
) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """A scored batch with its payment data masked in every turn, evidence, detail and the tickets' metadata."""
    languages = dict(zip(tickets["ticket_id"], tickets["language"], strict=True))
    candidates = turns.with_row_index("__row").filter(might_hold_payment_data(pl.col("text")))
    secrets: dict[str, _TicketSecrets] = {}
    new_text: dict[int, str] = {}
    for row, ticket_id, turn_index, text in candidates.select(
        "__row", "ticket_id", "turn_index", "text"
    ).iter_rows():
        redaction = redact_text(text, languages.get(ticket_id))
        if redaction:
            secrets.setdefault(ticket_id, _TicketSecrets()).add(turn_index, text, redaction)
            new_text[row] = redaction.text
    if new_text:
        texts = turns["text"].to_list()
        for row, text in new_text.items():
            texts[row] = text
        turns = turns.with_columns(pl.Series("text", texts, dtype=pl.String))

    def ticket_row(row: dict) -> dict:
        found = secrets[row["ticket_id"]]
        for column in EVIDENCE_JSON_COLUMNS:
            if row.get(column):
                row[column] = json.dumps(
                    [found.evidence(item) for item in json.loads(row[column])], ensure_ascii=False
                )
        for key, value in row.items():
            if key not in EVIDENCE_JSON_COLUMNS and isinstance(value, str):
                row[key] = found.scrub(value)
            elif isinstance(value, list) and all(isinstance(v, str) for v in value):
                row[key] = [found.scrub(v) for v in value]
        return row

    def rule_row(row: dict) -> dict:
        found = secrets[row["ticket_id"]]
        row["evidence"] = found.evidence(row.get("evidence"))
        row["detail"] = found.scrub(row.get("detail"))
        if "suggestion" in row:  # written from the masked turns (rules.suggestions); scrubbed all the same
            row["suggestion"] = found.scrub(row.get("suggestion"))
        return row

    ids = set(secrets)
    tickets = _map_rows(tickets, ids, ticket_row)
    rule_results = _map_rows(rule_results, ids, rule_row)
    if "metadata" in tickets.columns:  # written by the helpdesk, not a turn: masked on its own
        tickets = tickets.with_columns(
            pl.when(might_hold_payment_data(pl.col("metadata")))
            .then(pl.col("metadata").map_elements(mask_payment, return_dtype=pl.String))
            .otherwise(pl.col("metadata"))
            .alias("metadata")
        )
    return tickets, turns, rule_results


def redact_records(records: Iterable[dict]) -> list[dict]:
    """Quarantined records (the raw line and why it was refused) with payment data masked in every string."""
    return [{k: mask_payment(v) if isinstance(v, str) else v for k, v in r.items()} for r in records]
