"""Short, masked excerpts of transcript text, with the evidence span marked.

Every transcript word a report shows goes through `excerpt`: e-mail addresses, phone numbers, card numbers, CVVs
and passwords are replaced by tags (`qa_engine.nlp.pii`), so a report can be mailed to a coach. PII is found in the
whole turn first, because context decides it ("the password is X" is only a password after "password is"), and the
excerpt window is then widened so it never cuts a hit in half: a half-masked card number would leak its digits.
Each plain piece is masked once more on its own, so nothing the whole-turn pass let through can slip out at a cut.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass

from qa_engine.nlp.pii import MASKED_LABELS, analyze_pii, mask, mask_pii

RADIUS = 90  # characters shown on each side of the evidence
LIMIT = 280  # longest excerpt, in characters of the original text
_SNAP = 16  # how far a cut may move to land between words
_SPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class Piece:
    text: str
    mark: bool = False  # part of the evidence span


@dataclass(frozen=True)
class Excerpt:
    pieces: tuple[Piece, ...]
    cut_before: bool  # text precedes the excerpt
    cut_after: bool
    language: str | None = None

    @property
    def text(self) -> str:
        return "".join(p.text for p in self.pieces)

    @property
    def marked(self) -> str:
        return "".join(p.text for p in self.pieces if p.mark)


def _snap_back(text: str, pos: int) -> int:
    """Move a cut at `pos` back to the nearest whitespace within _SNAP characters (CJK text has none: stay)."""
    floor = max(0, pos - _SNAP)
    space = text.rfind(" ", floor, pos)
    return space if space > 0 else pos


def _snap_forward(text: str, pos: int) -> int:
    space = text.find(" ", pos, min(len(text), pos + _SNAP))
    return space + 1 if space >= 0 else pos


def _window(
    text: str, span: tuple[int, int] | None, radius: int, limit: int
) -> tuple[int, int, tuple[int, int] | None]:
    """The excerpt's [start, end) and the span to mark; a span covering the whole turn marks nothing."""
    n = len(text)
    if span is None or not (0 <= span[0] < span[1] <= n) or (span[0] == 0 and span[1] >= n):
        end = n if n <= limit else _snap_back(text, limit)
        return 0, end, None
    start, end = span
    lo, hi = max(0, start - radius), min(n, end + radius)
    if hi - lo > limit:  # a long span: keep its beginning and a little context before it
        lo = max(0, start - min(radius, limit // 4))
        hi = min(n, lo + limit)
    lo = _snap_forward(text, lo) if lo > 0 and _snap_forward(text, lo) <= start else lo
    hi = _snap_back(text, hi) if hi < n and _snap_back(text, hi) >= end else hi
    return lo, hi, (start, min(end, hi))


def excerpt(
    text: str | None,
    language: str | None,
    span: tuple[int, int] | None = None,
    radius: int = RADIUS,
    limit: int = LIMIT,
) -> Excerpt:
    """A masked excerpt of `text` around `span` (character offsets into `text`), the span marked."""
    text = text or ""
    hits = analyze_pii(text, language, MASKED_LABELS)
    lo, hi, marked = _window(text, span, radius, limit)
    for hit in hits:  # never cut through a hit
        if hit.start < lo < hit.end:
            lo = hit.start
        if hit.start < hi < hit.end:
            hi = hit.end
    cuts = {lo, hi}
    if marked:
        cuts |= {min(max(marked[0], lo), hi), min(max(marked[1], lo), hi)}
    inside = [h for h in hits if h.end > lo and h.start < hi]
    for hit in inside:
        cuts |= {hit.start, hit.end}
    bounds = sorted(cuts)
    pieces: list[Piece] = []
    for a, b in itertools.pairwise(bounds):
        is_marked = marked is not None and a < marked[1] and b > marked[0]
        hit = next((h for h in inside if h.start <= a and b <= h.end), None)
        if hit is not None:
            if a == hit.start:  # the whole tag is marked when any part of the hit is evidence
                hit_marked = marked is not None and hit.start < marked[1] and hit.end > marked[0]
                pieces.append(Piece(mask(hit), hit_marked))
            continue
        plain = _SPACE.sub(" ", mask_pii(text[a:b], language))
        pieces.append(Piece(plain, is_marked))
    return Excerpt(_merge(pieces), cut_before=lo > 0, cut_after=hi < len(text), language=language)


def _merge(pieces: list[Piece]) -> tuple[Piece, ...]:
    merged: list[Piece] = []
    for piece in pieces:
        if merged and merged[-1].mark == piece.mark:
            merged[-1] = Piece(merged[-1].text + piece.text, piece.mark)
        elif piece.text:
            merged.append(piece)
    if merged:  # no stray spaces at the ends
        merged[0] = Piece(merged[0].text.lstrip(), merged[0].mark)
        merged[-1] = Piece(merged[-1].text.rstrip(), merged[-1].mark)
    return tuple(p for p in merged if p.text)
