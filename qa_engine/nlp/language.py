"""Fill in a ticket's missing language from its own text, offline, with lingua.

The customer's words decide first: agents often answer in a team language or paste English templates, while the
customer writes in the language the ticket should be scored in. When the customer wrote too little to tell, the
whole conversation decides; when even that is too short (an emoji, an order number) the ticket gets
DEFAULT_LANGUAGE. Languages given in the input are never changed.
"""

from __future__ import annotations

from functools import lru_cache

import polars as pl
from lingua import Language, LanguageDetector, LanguageDetectorBuilder

from qa_engine.errors import QAError

# The six languages the default rule pack serves, plus the ones cross-border shops meet most often: detecting
# those correctly keeps, say, an Italian ticket from being scored against German phrase lists, and lets a Thai or
# Polish ticket be told as such (a language no rule covers is at least yellow) instead of defaulting to English.
DETECTABLE: tuple[Language, ...] = (
    Language.ENGLISH, Language.CHINESE, Language.JAPANESE, Language.GERMAN, Language.SPANISH, Language.FRENCH,
    Language.ITALIAN, Language.PORTUGUESE, Language.DUTCH, Language.KOREAN, Language.RUSSIAN, Language.ARABIC,
    Language.THAI, Language.VIETNAMESE, Language.POLISH, Language.INDONESIAN, Language.TURKISH,
    Language.UKRAINIAN, Language.GREEK, Language.HEBREW, Language.HINDI, Language.SWEDISH, Language.CZECH,
)  # fmt: skip
DETECTABLE_CODES: frozenset[str] = frozenset(language.iso_code_639_1.name.lower() for language in DETECTABLE)
DEFAULT_LANGUAGE = "en"  # for text too short to tell (fewer than MIN_LETTERS letters)
MIN_LETTERS = 2  # "ok" can still be told apart from "好"; a lone "?" or "12345" cannot
MIN_CUSTOMER_LETTERS = 12  # fewer letters from the customer: use the whole conversation instead
MAX_CHARS = 2000  # the start of a long e-mail thread is enough and keeps detection cheap

_LETTERS = r"\p{L}"


@lru_cache(maxsize=1)
def detector() -> LanguageDetector:
    """Build lingua's detector once per process: its language models take a while to load."""
    return LanguageDetectorBuilder.from_languages(*DETECTABLE).build()


def detect_language(text: str | None, default: str = DEFAULT_LANGUAGE) -> str:
    """ISO 639-1 code of one text, or `default` when it is too short or lingua cannot decide."""
    return _detect_many([text], default)[0]


def language_confidences(texts: list[str]) -> list[dict[str, float]]:
    """Per text, ISO 639-1 code -> lingua's confidence (0-1, summing to 1 over DETECTABLE), for rules that must
    say how sure they are (a reply in the wrong language), not just which language wins."""
    values = detector().compute_language_confidence_values_in_parallel(texts) if texts else []
    return [{v.language.iso_code_639_1.name.lower(): v.value for v in found} for found in values]


def _detect_many(texts: list[str | None], default: str) -> list[str]:
    detectable = [
        t[:MAX_CHARS] if t is not None and sum(c.isalpha() for c in t) >= MIN_LETTERS else None for t in texts
    ]
    todo = [t for t in detectable if t is not None]
    found = iter(detector().detect_languages_in_parallel_of(todo) if todo else [])
    codes = []
    for text in detectable:
        language = next(found) if text is not None else None
        codes.append(language.iso_code_639_1.name.lower() if language is not None else default)
    return codes


def detect_languages(
    tickets: pl.DataFrame, turns: pl.DataFrame, *, default: str = DEFAULT_LANGUAGE
) -> pl.DataFrame:
    """Return `tickets` with null or blank `language` filled from the text and a boolean `language_detected`.

    `language_detected` is true exactly for the tickets whose language this stage filled in (by detection, or
    with `default` when the text was too short), so reports can say the language was not given.
    """
    _require(tickets, ("ticket_id", "language"), "tickets")
    _require(turns, ("ticket_id", "turn_index", "speaker", "text"), "turns")
    tickets = tickets.with_columns(pl.col("language").cast(pl.String))  # an all-null column arrives untyped
    missing = pl.col("language").is_null() | (pl.col("language").str.strip_chars() == "")
    todo_ids = tickets.filter(missing)["ticket_id"]
    texts = (
        turns.filter(pl.col("ticket_id").is_in(todo_ids.implode()))
        .sort("ticket_id", "turn_index")
        .with_columns(pl.col("text").fill_null(""))
        .group_by("ticket_id", maintain_order=True)
        .agg(
            customer=pl.col("text").filter(pl.col("speaker") == "customer").str.join("\n"),
            everything=pl.col("text").str.join("\n"),
        )
        .with_columns(
            text=pl.when(pl.col("customer").str.count_matches(_LETTERS) >= MIN_CUSTOMER_LETTERS)
            .then(pl.col("customer"))
            .otherwise(pl.col("everything"))
        )
    )
    detected = texts.select(
        "ticket_id", _detected=pl.Series(_detect_many(texts["text"].to_list(), default), dtype=pl.String)
    )
    return (
        tickets.join(detected, on="ticket_id", how="left", maintain_order="left")
        .with_columns(
            language_detected=missing,
            # a ticket with no turns at all has nothing to detect from: it gets the default too
            language=pl.when(missing)
            .then(pl.col("_detected").fill_null(default))
            .otherwise(pl.col("language")),
        )
        .drop("_detected")
    )


def _require(frame: pl.DataFrame, columns: tuple[str, ...], name: str) -> None:
    absent = [c for c in columns if c not in frame.columns]
    if absent:
        raise QAError("Q110", frame=name, columns=absent, stage="language detection")
