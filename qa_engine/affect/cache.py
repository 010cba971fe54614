"""Affect results cached across runs, by text: a text seen before with the same models is never scored again.

Nightly input repeats itself: agents' stock phrases, "ok", "thanks", re-exported tickets with one new turn. The
model pass is the pipeline's most expensive stage, so each distinct text's results (sentiment and emotion
probabilities, the model's flag and the pooled encoder vector the reasons stage reads) are kept in the store's
`affect_cache` table, keyed by

- `text_key`: sha256 of the language and the normalised text (`textprep.clean`: what the model actually reads, with
  payment data masked, as everything kept), and whether it is read sentence by sentence too (a customer's turn), and
- `model_key`: the sentiment, emotion and vector models serving that language (their registry entries and, for the
  embedded model, the hashes of its weight files and config.json: a retrained model keeps its name), the phatic-reply
  list (it rewrites model output) and this module's format version. Any change misses the cache.

A batch looks its texts up first and only scores the misses; the new rows are returned, not written, so the caller
decides who writes (one writer per store: see `flows/nightly.py`). The results equal the uncached scorer's:
vectors are stored as exact float32; the per-text flag a model gives (long text sampled, phatic reply) is cached,
while the flags that depend on the raw text (cleaned characters, empty text) are recomputed for every turn.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import polars as pl

from qa_engine import paths
from qa_engine.affect import textprep
from qa_engine.affect.labels import EMOTIONS, SENTIMENTS
from qa_engine.affect.scorer import AffectArrays, affect_columns, customer_turns
from qa_engine.affect.short_replies import LIST_FILES
from qa_engine.nlp.redact import mask_payment

if TYPE_CHECKING:
    from qa_engine.affect.registry import ModelSpec
    from qa_engine.affect.scorer import AffectScorer
    from qa_engine.store import Store

# bump when what a cached row means changes: every old row then misses (2: sentence reading; 3: positive emoji)
CACHE_FORMAT = 3
# flags that come from the model pass, not the raw text
_MODEL_FLAGS = (
    textprep.SAMPLED,
    textprep.PHATIC,
    textprep.DISMISSIVE,
    textprep.RELIEF,
    textprep.POSITIVE_EMOJI,
    textprep.NEGATIVE_SENTENCE,
)
CACHE_SCHEMA: dict[str, pl.DataType] = {
    "text_key": pl.String(),
    "model_key": pl.String(),
    "sentiment": pl.Array(pl.Float32, len(SENTIMENTS)),
    "emotion": pl.Array(pl.Float32, len(EMOTIONS)),
    "flag": pl.String(),
    "pooled": pl.Binary(),  # float32 bytes; empty when the models give no vector
    "created_at": pl.Datetime("us", "UTC"),
}


@dataclass
class CachedAffect:
    """A turns frame with the affect columns, its pooled vectors row for row, the cache rows to write, counts."""

    turns: pl.DataFrame
    vectors: np.ndarray
    fresh: pl.DataFrame  # CACHE_SCHEMA rows for the texts scored now
    counts: dict[str, int] = field(default_factory=dict)  # affect_texts, affect_cache_hits, affect_scored


def text_key(text: str, language: str | None, by_sentence: bool = False) -> str:
    """The cache key of a normalised text in a language, read whole or also sentence by sentence (a customer's
    turn: `AffectScorer.score_texts`); 128 bits of sha256: collisions are not a concern. The key is made of the text
    with its payment data masked: a bare hash of a card's text could be reversed by trying the numbers the stored
    mask leaves; texts that differ only in a card number share the first one's reading."""
    mode = "\x1fs" if by_sentence else ""
    kept = mask_payment(text) or text
    return hashlib.sha256(f"{language or ''}\x1f{kept}{mode}".encode()).hexdigest()[:32]


@functools.lru_cache(maxsize=32)
def _file_digest(path: str, size: int, mtime_ns: int) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:16]


def _digest(path: Path) -> str:
    """The hash of a file (memoised by size and mtime: weights are hashed once per process)."""
    if not path.is_file():
        return "missing"
    stat = path.stat()
    return _file_digest(str(path), stat.st_size, stat.st_mtime_ns)


def spec_fingerprint(spec: ModelSpec) -> str:
    """A model as the cache sees it: its registry entry, and for an embedded model the hashes of its weights, its
    refitted sentiment head and its config.json (per-language offsets and head choice: changing them alone changes
    the output)."""
    weights = ""
    if spec.kind == "embedded" and spec.path:
        folder = Path(spec.path)
        files = ("weights.safetensors", "sentiment_refit.safetensors", "config.json")
        weights = ":".join(_digest(folder / name) for name in files)
    return f"{spec.model_dump_json()}#{weights}"


class AffectCache:
    """The affect stage with a cross-run cache in the store: `score_turns` looks up, scores the misses only."""

    def __init__(self, scorer: AffectScorer) -> None:
        self.scorer = scorer
        self._model_keys: dict[str | None, str] = {}

    def model_key(self, language: str | None) -> str:
        """What produced a cached row for texts of this language (see the module docstring)."""
        if language not in self._model_keys:
            registry = self.scorer.registry
            parts = {
                task: spec_fingerprint(registry.resolve(task, language)) for task in ("sentiment", "emotion")
            }
            parts["vectors"] = spec_fingerprint(self.scorer.vector_spec())
            for file in LIST_FILES:  # the short-reply lists correct the model's reading
                parts[file.removesuffix(".yaml")] = _digest(paths.models_dir() / file)
            parts["format"] = str(CACHE_FORMAT)
            digest = hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()[:16]
            self._model_keys[language] = digest
        return self._model_keys[language]

    def fingerprint(self, languages: Sequence[str | None]) -> str:
        """One key for what scores these languages' texts: the model keys together. A model's name stays the same
        when its weights, its second head's languages and offsets or the short-reply lists change; this does not
        (the scoring runner re-scores a stored ticket when it moves)."""
        keys = sorted(self.model_key(language) for language in set(languages))
        return hashlib.sha256(json.dumps(keys).encode()).hexdigest()[:16]

    def score_turns(self, turns: pl.DataFrame, languages: pl.DataFrame, store: Store | None) -> CachedAffect:
        """`AffectScorer.score_turns(turns, languages, with_vectors=True)`, served from `store`'s cache where it
        can be (no store: everything is scored and returned as fresh rows)."""
        frame = turns.join(languages.select("ticket_id", "language"), on="ticket_id", how="left",
                           maintain_order="left") if "language" not in turns.columns else turns  # fmt: skip
        langs = frame["language"].to_list()
        cleaned_flags = [textprep.clean(t) for t in turns["text"].to_list()]
        n = len(langs)
        sent = np.full((n, len(SENTIMENTS)), 1.0 / len(SENTIMENTS), dtype=np.float32)
        emo = np.full((n, len(EMOTIONS)), 1.0 / len(EMOTIONS), dtype=np.float32)
        flags: list[str | None] = [flag for _, flag in cleaned_flags]
        # distinct (text, language, read by sentence) -> rows; texts the model never reads (empty, no content)
        # stay uniform
        rows_of: dict[tuple[str, str | None, bool], list[int]] = {}
        reads = customer_turns(turns)
        for i, ((text, _), lang, by_sentence) in enumerate(zip(cleaned_flags, langs, reads, strict=True)):
            if text:
                rows_of.setdefault((text, lang, by_sentence), []).append(i)
        distinct = list(rows_of)
        keys = pl.DataFrame(
            {"text_key": [text_key(*key) for key in distinct],
             "model_key": [self.model_key(lang) for _, lang, _ in distinct]},
            schema={"text_key": pl.String, "model_key": pl.String},
        )  # fmt: skip
        found = lookup(store, keys) if store is not None else {}
        misses = [
            j
            for j, key in enumerate(zip(keys["text_key"], keys["model_key"], strict=True))
            if key not in found
        ]
        fresh, fresh_vectors = self._score_misses([distinct[j] for j in misses], keys[misses])
        fresh_at = {key: k for k, key in enumerate(zip(fresh["text_key"], fresh["model_key"], strict=True))}
        fresh_sent, fresh_emo, fresh_flags = (fresh["sentiment"].to_numpy(), fresh["emotion"].to_numpy(),
                                              fresh["flag"].to_list())  # fmt: skip
        width = _vector_width(found, fresh_vectors)
        pooled = np.zeros((n, width), dtype=np.float32)
        for j, key in enumerate(zip(keys["text_key"], keys["model_key"], strict=True)):
            rows = rows_of[distinct[j]]
            if key in found:
                s, e, flag, vec = found[key]
            else:
                k = fresh_at[key]
                s, e, flag, vec = fresh_sent[k], fresh_emo[k], fresh_flags[k], fresh_vectors[k]
            sent[rows], emo[rows] = np.asarray(s, dtype=np.float32), np.asarray(e, dtype=np.float32)
            if width and len(vec):
                pooled[rows] = vec
            if flag:
                for r in rows:
                    flags[r] = flag
        scored = turns.with_columns(affect_columns(AffectArrays(sent, emo, flags, pooled)))
        counts = {"affect_texts": len(distinct), "affect_cache_hits": len(distinct) - len(misses),
                  "affect_scored": len(misses)}  # fmt: skip
        return CachedAffect(scored, pooled, fresh, counts)

    def _score_misses(
        self, texts: list[tuple[str, str | None, bool]], keys: pl.DataFrame
    ) -> tuple[pl.DataFrame, np.ndarray]:
        """Score these distinct normalised texts with the models: their cache rows and vectors."""
        if not texts:
            return pl.DataFrame(schema=CACHE_SCHEMA), np.zeros((0, 0), dtype=np.float32)
        plain = [t for t, _, _ in texts]
        result = self.scorer.score_texts(
            plain, [lang for _, lang, _ in texts], by_sentence=[by_sentence for _, _, by_sentence in texts]
        )
        vectors = self.scorer.complete_vectors(result, plain).astype(np.float32, copy=False)
        fresh = keys.with_columns(
            pl.Series("sentiment", result.sentiment, dtype=CACHE_SCHEMA["sentiment"]),
            pl.Series("emotion", result.emotion, dtype=CACHE_SCHEMA["emotion"]),
            pl.Series("flag", [f if f in _MODEL_FLAGS else None for f in result.flags], dtype=pl.String),
            pl.Series("pooled", [row.tobytes() for row in vectors] if vectors.shape[1] else [b""] * len(texts),
                      dtype=pl.Binary),
            pl.lit(datetime.now(UTC), dtype=CACHE_SCHEMA["created_at"]).alias("created_at"),
        )  # fmt: skip
        return fresh, vectors


def _vector_width(found: dict, fresh_vectors: np.ndarray) -> int:
    if fresh_vectors.size:
        return fresh_vectors.shape[1]
    return next((len(vec) for *_, vec in found.values() if len(vec)), 0)


def lookup(store: Store, keys: pl.DataFrame) -> dict[tuple[str, str], tuple]:
    """(text_key, model_key) -> (sentiment, emotion, flag, vector) for the keys the store's cache holds."""
    if not keys.height or not store.path.exists():
        return {}
    with store.connect(read_only=True) as con:
        tables = con.execute("SELECT table_name FROM information_schema.tables").fetchall()
        if ("affect_cache",) not in tables:
            return {}  # a store created before the cache: everything misses until the next write creates it
        con.register("wanted", keys.to_arrow())
        hits = con.sql(
            "SELECT c.text_key, c.model_key, c.sentiment, c.emotion, c.flag, c.pooled FROM affect_cache c "
            "JOIN wanted w USING (text_key, model_key)"
        ).pl()
    sentiment, emotion = hits["sentiment"].to_numpy(), hits["emotion"].to_numpy()
    return {
        (tk, mk): (sentiment[i], emotion[i], flag, np.frombuffer(blob, dtype=np.float32))
        for i, (tk, mk, flag, blob) in enumerate(
            zip(hits["text_key"], hits["model_key"], hits["flag"], hits["pooled"], strict=True)
        )
    }


def save(store: Store, fresh: pl.DataFrame) -> None:
    """Add new cache rows; a row another writer added meanwhile is kept (the same text and models give the same
    result)."""
    if not fresh.height:
        return
    with store.connect() as con:
        con.register("fresh_rows", fresh.select(list(CACHE_SCHEMA)).to_arrow())
        con.execute("INSERT OR IGNORE INTO affect_cache BY NAME SELECT * FROM fresh_rows")
        con.unregister("fresh_rows")
