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
from functools import cache, lru_cache
from urllib.parse import unquote_plus

import polars as pl

from qa_engine.nlp.pii import CREDIT_CARD, CVV, MASK_TAGS, PASSWORD, PasswordRecognizer, analyze_pii, mask

PAYMENT_LABELS = frozenset({CREDIT_CARD, CVV, PASSWORD})
IDENTITY_COLUMNS = ("agent_id", "team", "customer_id")  # the tickets' free-text ids
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


def redact_text(text: str | None) -> Redaction | None:
    """The text with its card numbers, CVVs and passwords masked, or None when it holds none. The keywords of every
    language apply, whatever the ticket's language: turns mix languages ("密码abc12345" in an English chat) and a
    detected language can be wrong; a word of another language taken for a keyword costs a mask, a keyword missed
    costs a password kept."""
    if not text or not _screen_regex().search(text):  # most texts: one regex, not the analyzer
        return None
    # a run reads a turn three times (its ticket's content hash, the affect cache key, the masking before the
    # store): short texts are analysed once
    return _redact_short(text) if len(text) <= CACHED_CHARS else _redact(text)


CACHED_CHARS = 2000  # texts up to this long are remembered, at most 8,192 of them (some tens of MB at worst)


@lru_cache(maxsize=8192)
def _redact_short(text: str) -> Redaction | None:
    return _redact(text)


def _redact(text: str) -> Redaction | None:
    hits = analyze_pii(text, None, PAYMENT_LABELS)
    if not hits:
        return None
    pieces, cuts, pos = [], [], 0
    for hit in hits:
        pieces += [text[pos : hit.start], mask(hit)]
        cuts.append((hit.start, hit.end, mask(hit)))
        pos = hit.end
    pieces.append(text[pos:])
    return Redaction("".join(pieces), tuple(cuts), tuple(hit.text for hit in hits))


def mask_payment(text: str | None) -> str | None:
    """`text` with payment data masked."""
    redaction = redact_text(text)
    return redaction.text if redaction else text


def mask_payment_in_path(path: str) -> str:
    """A request's path and query as logs and the audit table keep them: decoded and masked when they hold payment
    data (a card number typed into the search box, `?q=4111%201111...`), else exactly as they came."""
    decoded = unquote_plus(path)
    masked = mask_payment(decoded)
    return path if masked == decoded else masked  # type: ignore[return-value]


@cache
def _screen() -> str:
    """A text that holds no payment data has fewer than three digits (a CVV has three) and no password keyword:
    one vectorised test leaves the analyzer only the few turns that could."""
    words = {w for ws in PasswordRecognizer.keywords.values() for w in ws}
    return r"(?is)\d.*\d.*\d|" + "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))


@cache
def _screen_regex() -> re.Pattern[str]:
    return re.compile(_screen())


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
            text = _cut_value_at_the_end(text, value, self.values[value])
        return text

    def evidence(self, item: dict | None) -> dict | None:
        """An evidence item moved to its turn's masked text: span shifted, text taken from the masked turn (cut as
        the original was, when it quoted only the span's first characters)."""
        if not item:
            return item
        item = dict(item)
        found = self.turns.get(item.get("turn_index"))  # type: ignore[arg-type]
        start, end = item.get("start"), item.get("end")
        if found and start is not None and end is not None:
            original, redaction = found
            written, span = item.get("text"), original[start:end]
            item["start"] = redaction.position(start, is_end=False)
            item["end"] = redaction.position(end, is_end=True)
            masked = redaction.text[item["start"] : item["end"]]
            if written == span:
                item["text"] = masked
            elif isinstance(written, str) and written and span.startswith(written.removesuffix("…")):
                # a quote cut short (perhaps inside a card number): the masked span, cut to the same length
                keep = _whole_masks(masked, len(written.removesuffix("…")))
                item["text"] = masked if len(masked) <= keep else masked[:keep] + "…" * written.endswith("…")
        for key in ("text", "note", "detail"):
            if isinstance(item.get(key), str):
                item[key] = self.scrub(item[key])
        return item


def _whole_masks(masked: str, keep: int) -> int:
    """Where to cut `masked` near `keep` characters so that no mask is cut in two ("[CA…")."""
    opened = masked.rfind("[", 0, keep)
    closed = masked.find("]", opened)
    if opened >= 0 and closed >= keep and masked[opened : closed + 1] in MASK_TAGS.values():
        return closed + 1
    return keep


def _cut_value_at_the_end(text: str, value: str, tag: str) -> str:
    """`text` masked where it ends (before a "…") in the first characters of `value` (three or more): a quote cut
    short inside a card number keeps none of its digits."""
    body = text.removesuffix("…")
    for size in range(len(value) - 1, 2, -1):
        prefix = value[:size]
        if body.endswith(prefix) and not body[: len(body) - size][-1:].isdigit():
            return body[: len(body) - size] + tag + text[len(body) :]
    return text


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
    candidates = turns.with_row_index("__row").filter(might_hold_payment_data(pl.col("text")))
    secrets: dict[str, _TicketSecrets] = {}
    new_text: dict[int, str] = {}
    for row, ticket_id, turn_index, text in candidates.select(
        "__row", "ticket_id", "turn_index", "text"
    ).iter_rows():
        redaction = redact_text(text)
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
    # written by the helpdesk or the export, not in a turn: masked on their own (a card pasted as the customer id)
    tickets = masked_columns(tickets, ("metadata", *IDENTITY_COLUMNS))
    turns = masked_columns(turns, ("agent_id",))
    return tickets, turns, rule_results


def masked_columns(frame: pl.DataFrame, names: Iterable[str]) -> pl.DataFrame:
    """`frame` with payment data masked in these string columns (those it has)."""
    present = [n for n in names if n in frame.columns and frame.schema[n] == pl.String]
    return frame.with_columns(
        pl.when(might_hold_payment_data(pl.col(n)))
        .then(pl.col(n).map_elements(mask_payment, return_dtype=pl.String))
        .otherwise(pl.col(n))
        .alias(n)
        for n in present
    )


def redact_records(records: Iterable[dict]) -> list[dict]:
    """Quarantined records (the raw line and why it was refused) with payment data masked in every string."""
    return [{k: mask_payment(v) if isinstance(v, str) else v for k, v in r.items()} for r in records]
