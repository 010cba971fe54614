"""Length-preserving text folding and language-code normalisation shared by the NLP stage and the rules.

Evidence spans must point into the original turn text, so every normalisation here maps one character to exactly
one character: curly quotes become straight ones (agents type "I’m", phrase lists say "I'm") and full-width ASCII
becomes ASCII (Chinese and Japanese input methods produce "？", "：" and "４２４２"). A span found in folded text
is therefore the same span in the original.
"""

from __future__ import annotations

import functools
import re

_FOLD_TABLE: dict[int, int | str] = {
    **{ord(c): "'" for c in "‘’‚‛′ʼ´"},
    **{ord(c): '"' for c in "“”„‟″"},
    **{cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)},  # full-width ASCII block -> ASCII
    0x3000: " ",  # ideographic space
    0x00A0: " ",  # no-break space
    0x202F: " ",  # narrow no-break space
}

FALLBACK_LANGUAGE = "xx"  # spaCy's multi-language code: used when a ticket's language is unknown


# any character `fold` changes: most turns have none, and a class search is far cheaper than `str.translate`
_FOLDABLE = re.compile("[" + "".join(re.escape(chr(cp)) for cp in sorted(_FOLD_TABLE)) + "]")


def fold(text: str) -> str:
    """Straighten quotes and turn full-width ASCII into ASCII, keeping every character's position."""
    return text.translate(_FOLD_TABLE) if _FOLDABLE.search(text) else text


def fold_lower(text: str) -> str:
    """`fold` plus lower case, still one character for one (str.lower turns 'İ' into two characters)."""
    folded = fold(text)
    lowered = folded.lower()
    if len(lowered) == len(folded):
        return lowered
    return "".join(c.lower() if len(c.lower()) == 1 else c for c in folded)


@functools.lru_cache(maxsize=1024)  # called per turn and per rule: a handful of distinct codes
def base_language(code: str | None) -> str:
    """'zh-CN' -> 'zh', 'EN' -> 'en'; None or blank -> the fallback code 'xx'."""
    if code is None or not code.strip():
        return FALLBACK_LANGUAGE
    return code.strip().lower().replace("_", "-").split("-")[0]
