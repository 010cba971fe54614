"""Per-language keyword evidence for contact reasons: which reasons' cue stems a text contains, and where.

The encoder places a request near others about the same thing, but a few words decide many requests outright
("refund", "退货", "Rücksendung"). The taxonomy lists such cue stems per reason and language; a hit adds a fixed
amount of evidence to its reason (the amount is chosen by cross-validation when fitting) and its span becomes the
evidence shown to people. Stems are matched as substrings of the folded, lower-cased text (German compounds,
French and Spanish inflections, and unsegmented Chinese and Japanese all need that), so spans are exact.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from qa_engine.nlp.normalize import base_language, fold_lower
from qa_engine.reasons.taxonomy import Taxonomy


@dataclass(frozen=True)
class KeywordHit:
    reason: str
    start: int
    end: int


class KeywordIndex:
    """One compiled alternation per (language, reason); texts in languages without keywords get no hits."""

    def __init__(self, taxonomy: Taxonomy) -> None:
        self.reasons = taxonomy.reasons
        self._patterns: dict[str, list[tuple[int, re.Pattern[str]]]] = {}
        for column, spec in enumerate(taxonomy.spec.reasons.values()):
            for language, stems in spec.keywords.items():
                # longest first, so the reported span is the most specific stem at a position
                alternation = "|".join(re.escape(fold_lower(s)) for s in sorted(stems, key=len, reverse=True))
                self._patterns.setdefault(language, []).append((column, re.compile(alternation)))

    def hits(self, text: str, language: str | None) -> list[KeywordHit]:
        """Every reason's first cue in `text` (at most one hit per reason)."""
        lowered = fold_lower(text or "")
        found = []
        for column, pattern in self._patterns.get(base_language(language), []):
            match = pattern.search(lowered)
            if match:
                found.append(KeywordHit(self.reasons[column], match.start(), match.end()))
        return found

    def scan(
        self, texts: Sequence[str | None], languages: Sequence[str | None]
    ) -> tuple[np.ndarray, list[list[KeywordHit]]]:
        """((n, reasons) 0/1 matrix: whether each text has a cue for each reason, the hits of each text)."""
        out = np.zeros((len(texts), len(self.reasons)), dtype=np.float32)
        found = [self.hits(text or "", language) for text, language in zip(texts, languages, strict=True)]
        for row, hits in enumerate(found):
            for hit in hits:
                out[row, self.reasons.index(hit.reason)] = 1.0
        return out, found
