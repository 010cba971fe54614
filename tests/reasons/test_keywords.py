"""Keyword evidence: cue stems are found in each language's own way, with spans into the original text."""

from __future__ import annotations

import pytest

from qa_engine.reasons.keywords import KeywordIndex
from qa_engine.reasons.taxonomy import load_taxonomy

INDEX = KeywordIndex(load_taxonomy())


@pytest.mark.parametrize(
    ("language", "text", "reason", "cue"),
    [
        ("de", "Wo bleibt meine Rückerstattung?", "returns", "erstattung"),  # inside a compound
        ("fr", "Je n'ai pas été REMBOURSÉE", "returns", "REMBOURS"),  # inflected, any case
        ("zh", "我想申请退货，可以吗", "returns", "退货"),  # no spaces to split on
        ("ja", "荷物がまだ届きません", "logistics", "荷物"),
        ("es", "Me cobraron dos veces", "payment", "cobraron"),
        ("en", "I can’t log in to my account", "account", "log in"),  # the first cue in the text
    ],
)
def test_cues_are_found_with_exact_spans(language: str, text: str, reason: str, cue: str) -> None:
    hits = {hit.reason: hit for hit in INDEX.hits(text, language)}
    assert reason in hits
    assert text[hits[reason].start : hits[reason].end] == cue


def test_scan_gives_one_column_per_reason_and_nothing_for_languages_without_keywords() -> None:
    matrix, hits = INDEX.scan(["Where is my parcel?", "Dov'è il mio pacco?", None], ["en", "it", "en"])
    assert matrix.shape == (3, len(INDEX.reasons))
    assert matrix[0, INDEX.reasons.index("logistics")] == 1.0
    assert matrix[1:].sum() == 0 and hits[1] == [] and hits[2] == []
