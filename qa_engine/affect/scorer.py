"""The affect stage: sentiment and emotion for every turn, from the model registry.

Fast on a CPU because each distinct text is scored once per call, texts are batched by length, one encoder pass
serves both tasks when one model does both, and long texts are split by sentence (never silently truncated).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl

from qa_engine import paths, schema
from qa_engine.affect import textprep
from qa_engine.affect.backends import Backend, get_backend
from qa_engine.affect.labels import EMOTIONS, SENTIMENTS
from qa_engine.affect.registry import ModelSpec, Registry, load_registry

_SENT_VALUE = np.array([-1.0, 0.0, 1.0], dtype=np.float32)  # negative, neutral, positive
DEFAULT_EMBEDDED = "embedded/affect-e5s6-v1"  # under models/: the vector encoder when the registry names none
# a turn's sentence that reads negative at least this surely gives the turn its reading (`_read_negative_sentences`);
# 0.8: no public figure lower by more than 0.005 (0.6 cost Spanish tweets 0.012)
NEGATIVE_SENTENCE_MIN = 0.8
MAX_SENTENCES = 12  # longer turns (e-mails) are read whole


@dataclass
class AffectArrays:
    """Per-text results, in input order."""

    sentiment: np.ndarray  # (n, 3) probabilities
    emotion: np.ndarray  # (n, 7) probabilities
    flags: list[str | None]
    pooled: np.ndarray | None = None  # (n, H) when the sentiment model has an encoder vector

    @property
    def sentiment_score(self) -> np.ndarray:
        """P(positive) - P(negative), in -1..1."""
        return self.sentiment @ _SENT_VALUE


class AffectScorer:
    """Scores texts with the models the registry names for each task and language."""

    def __init__(self, registry: Registry) -> None:
        self.registry = registry
        self._routes_by_language: dict[str | None, dict[str, Backend]] = {}

    @classmethod
    def from_registry(
        cls, path: str | Path | None = None, overrides: dict[str, str] | None = None
    ) -> AffectScorer:
        return cls(load_registry(path, overrides))

    def _routes(self, language: str | None) -> dict[str, Backend]:
        """The backend per task for a language, resolved once per language (texts ask for it one by one)."""
        routes = self._routes_by_language.get(language)
        if routes is None:
            routes = {
                task: get_backend(self.registry.resolve(task, language)) for task in ("sentiment", "emotion")
            }
            self._routes_by_language[language] = routes
        return routes

    def versions(self, languages: Sequence[str | None] = (None,)) -> dict[str, str]:
        """Which model served each task (for the run record): {"sentiment": name, "emotion": name}."""
        out: dict[str, set[str]] = defaultdict(set)
        for lang in set(languages):
            for task, backend in self._routes(lang).items():
                out[task].add(backend.name)
        return {task: ",".join(sorted(names)) for task, names in out.items()}

    def score_texts(
        self,
        texts: Sequence[str | None],
        languages: Sequence[str | None],
        *,
        by_sentence: bool | Sequence[bool] = True,
    ) -> AffectArrays:
        """Probabilities for every text (flagged texts get uniform scores, i.e. neutral with low confidence).

        `by_sentence` (one for all, or one per text): a text of several sentences that does not read negative as
        a whole is read again sentence by sentence (`_read_negative_sentences`). The pipeline asks it for customer
        turns only: how the customer feels is what the tiers read, and an agent's turns are the longest."""
        n = len(texts)
        sent = np.full((n, len(SENTIMENTS)), 1.0 / len(SENTIMENTS), dtype=np.float32)
        emo = np.full((n, len(EMOTIONS)), 1.0 / len(EMOTIONS), dtype=np.float32)
        flags: list[str | None] = [None] * n
        pooled: np.ndarray | None = None
        # (backend, tasks) -> distinct cleaned text -> language key -> rows that carry it. The key is None except
        # for a language the backend calibrates or heads apart: the same text in two such languages is encoded once
        # and read twice (one encoder pass per backend, so its batches never depend on the languages present)
        work: dict[tuple[int, frozenset[str]], dict[str, dict[str | None, list[int]]]] = defaultdict(
            lambda: defaultdict(lambda: defaultdict(list))
        )
        backends: dict[int, Backend] = {}
        cleaned_texts: list[str] = []
        for i, (text, lang) in enumerate(zip(texts, languages, strict=True)):
            cleaned, flags[i] = textprep.clean(text)
            cleaned_texts.append(cleaned)
            if not cleaned:
                continue
            routes = self._routes(lang)
            by_backend: dict[int, set[str]] = defaultdict(set)
            for task, backend in routes.items():
                if task not in backend.tasks:  # e.g. a sentiment-only model routed to emotion: stays uniform
                    continue
                backends[id(backend)] = backend
                by_backend[id(backend)].add(task)
            for key, tasks in by_backend.items():
                work[(key, frozenset(tasks))][cleaned][backends[key].language_key(lang)].append(i)
        for (key, tasks), by_text in work.items():
            backend = backends[key]
            distinct = list(by_text)
            pairs = [(j, lang) for j, text in enumerate(distinct) for lang in by_text[text]]
            probs_s, probs_e, vecs, sampled = self._predict_distinct(backend, distinct, tasks, pairs)
            for p, (j, lang) in enumerate(pairs):
                rows = by_text[distinct[j]][lang]
                if probs_s is not None:
                    sent[rows] = probs_s[p]
                if probs_e is not None:
                    emo[rows] = probs_e[p]
                if vecs is not None and "sentiment" in tasks:
                    if pooled is None:
                        pooled = np.zeros((n, vecs.shape[1]), dtype=np.float32)
                    pooled[rows] = vecs[p]
                if sampled[j]:
                    for r in rows:
                        flags[r] = textprep.SAMPLED
        wanted = [by_sentence] * n if isinstance(by_sentence, bool) else list(by_sentence)
        if any(wanted):
            self._read_negative_sentences(cleaned_texts, languages, wanted, sent, emo, flags)
        _correct_short_replies(texts, languages, sent, emo, flags)
        return AffectArrays(sent, emo, flags, pooled)

    def _read_negative_sentences(
        self,
        texts: list[str],
        languages: Sequence[str | None],
        wanted: list[bool],
        sent: np.ndarray,
        emo: np.ndarray,
        flags: list,
    ) -> None:
        """A turn that tells its facts and then its feeling ("Mein Paket ist nicht angekommen. Ich bin echt
        sauer.") reads neutral as a whole: the mean over every token dilutes the one sentence that carries the
        feeling. A turn of 2-12 sentences not read negative is read again sentence by sentence; when a sentence
        reads negative with at least NEGATIVE_SENTENCE_MIN and no sentence reads positive, the turn takes that
        sentence's sentiment and emotion (flag `negative_sentence`). A turn with a positive sentence too is mixed
        (a 3-star review: "Quick delivery. The handle broke after a week.") and keeps its whole reading, unless
        that sentence is only a courtesy formula ("Thanks in advance!", "Viele Grüße Sabine",
        `models/courtesy.yaml`); a long e-mail read in chunks keeps its whole reading too. The pooled vector stays
        the whole turn's (contact reasons and satisfaction read it)."""
        from qa_engine.affect.short_replies import is_courtesy

        negative, positive = SENTIMENTS.index("negative"), SENTIMENTS.index("positive")
        spans: dict[int, range] = {}  # turn -> its sentences' rows in `parts`
        parts: list[str] = []
        for i, text in enumerate(texts):
            if not (wanted[i] and text) or flags[i] == textprep.SAMPLED or sent[i].argmax() == negative:
                continue
            found = textprep.sentences(text)
            if 2 <= len(found) <= MAX_SENTENCES:
                spans[i] = range(len(parts), len(parts) + len(found))
                parts += found
        if not parts:
            return
        read = self.score_texts(
            parts, [languages[i] for i, span in spans.items() for _ in span], by_sentence=False
        )
        for i, span in spans.items():
            sure_negative = [k for k in span if read.sentiment[k].argmax() == negative
                             and read.sentiment[k, negative] >= NEGATIVE_SENTENCE_MIN]  # fmt: skip
            mixed = any(
                read.sentiment[k].argmax() == positive and not is_courtesy(parts[k], languages[i])
                for k in span
            )
            if sure_negative and not mixed:
                k = max(sure_negative, key=lambda k: read.sentiment[k, negative])
                sent[i], emo[i], flags[i] = read.sentiment[k], read.emotion[k], textprep.NEGATIVE_SENTENCE

    def _predict_distinct(
        self,
        backend: Backend,
        texts: list[str],
        tasks: frozenset[str],
        pairs: list[tuple[int, str | None]] | None = None,
    ):
        """Predict for each (text index, language key) pair (default: every text, no language), splitting texts
        longer than the model's window into sentence chunks and averaging them weighted by length."""
        pairs = [(i, None) for i in range(len(texts))] if pairs is None else pairs
        limit = backend.max_tokens
        # a text of fewer characters than the token window cannot overflow it (a token covers >= 1 character)
        suspects = [i for i, t in enumerate(texts) if len(t) > limit - 8]
        counts = backend.count_tokens([texts[i] for i in suspects]) if suspects else []
        long_rows = {i for i, c in zip(suspects, counts, strict=True) if c > limit}
        units: list[str] = []
        unit_span: list[range] = []  # the units of each text
        sampled = [False] * len(texts)
        for i, text in enumerate(texts):
            if i in long_rows:
                chunks, sampled[i] = textprep.split_long(text, backend.count_tokens, limit)
            else:
                chunks = [text]
            unit_span.append(range(len(units), len(units) + len(chunks)))
            units += chunks
        if not long_rows:
            pred = backend.predict_pairs(units, tasks, pairs)
            return pred.sentiment, pred.emotion, pred.pooled, sampled
        unit_pairs = [(u, lang) for i, lang in pairs for u in unit_span[i]]
        owner_arr = np.array([p for p, (i, _) in enumerate(pairs) for _ in unit_span[i]])
        pred = backend.predict_pairs(units, tasks, unit_pairs)
        weights = np.array([max(1, len(units[u])) for u, _ in unit_pairs], dtype=np.float32)

        def pool(values: np.ndarray | None) -> np.ndarray | None:
            if values is None:
                return None
            out = np.zeros((len(pairs), values.shape[1]), dtype=np.float32)
            np.add.at(out, owner_arr, values * weights[:, None])
            totals = np.zeros(len(pairs), dtype=np.float32)
            np.add.at(totals, owner_arr, weights)
            return out / totals[:, None]

        return pool(pred.sentiment), pool(pred.emotion), pool(pred.pooled), sampled

    def vector_spec(self) -> ModelSpec:
        """The embedded encoder that gives pooled vectors where the sentiment model has none (a Hugging Face
        classifier): the registry's first embedded model, else the bundled default."""
        default = self.registry.resolve("sentiment", None)
        if default.kind == "embedded":
            return default
        for spec in self.registry.models.values():
            if spec.kind == "embedded":
                # a path is relative to the registry file, as `Registry.resolve` reads it
                model = spec.model_copy()
                if model.path and not Path(model.path).is_absolute():
                    model.path = str((self.registry.base / model.path).resolve())
                return model
        return ModelSpec(kind="embedded", path=str(paths.models_dir() / DEFAULT_EMBEDDED), quantize="int8")

    def pooled_vectors(self, texts: Sequence[str | None], languages: Sequence[str | None]) -> np.ndarray:
        """The mean-pooled encoder vector of every text (zeros for empty ones), for stages that classify texts
        in the same space as the pipeline's affect pass (contact reasons)."""
        return self.complete_vectors(self.score_texts(texts, languages, by_sentence=False), texts)

    def complete_vectors(self, result: AffectArrays, texts: Sequence[str | None]) -> np.ndarray:
        """`result.pooled`, with the rows its models could not give (no vector from a Hugging Face sentiment
        model) encoded by `vector_spec()`; rows of empty text stay zero."""
        pooled = result.pooled
        empty = (textprep.EMPTY, textprep.NO_CONTENT)  # score_texts ran no model on these
        missing = [
            i for i, flag in enumerate(result.flags)
            if flag not in empty and (pooled is None or not pooled[i].any())
        ]  # fmt: skip
        if not missing:
            return pooled if pooled is not None else np.zeros((len(texts), 0), dtype=np.float32)
        cleaned = {i: textprep.clean(texts[i])[0] for i in missing}
        distinct = list(dict.fromkeys(cleaned.values()))
        vecs = self._predict_distinct(get_backend(self.vector_spec()), distinct, frozenset())[2]
        if pooled is None:
            pooled = np.zeros((len(texts), vecs.shape[1]), dtype=np.float32)
        where = {text: j for j, text in enumerate(distinct)}
        pooled[missing] = vecs[[where[cleaned[i]] for i in missing]]
        return pooled

    def score_turns(
        self, turns: pl.DataFrame, languages: pl.DataFrame | None = None, *, with_vectors: bool = False
    ) -> pl.DataFrame | tuple[pl.DataFrame, np.ndarray]:
        """Add `schema.TURNS_AFFECT` columns to a turns frame. The language comes from a `language` column on
        `turns`, or from `languages` (ticket_id, language).

        `with_vectors=True` returns `(frame, vectors)`: the pooled encoder vector of each turn, row for row, from
        the same encoder pass (see `complete_vectors`), so later stages need no second pass.
        """
        if "language" not in turns.columns:
            if languages is not None:
                frame = turns.join(languages.select("ticket_id", "language"), on="ticket_id", how="left")
            else:
                frame = turns.with_columns(language=pl.lit(None, pl.String))
            langs = frame["language"].to_list()
        else:
            langs = turns["language"].to_list()
        texts = turns["text"].to_list()
        result = self.score_texts(texts, langs, by_sentence=customer_turns(turns))
        scored = turns.with_columns(affect_columns(result))
        return (scored, self.complete_vectors(result, texts)) if with_vectors else scored


def customer_turns(turns: pl.DataFrame) -> list[bool]:
    """Which turns are the customer's (read sentence by sentence): all of them when `speaker` is not given."""
    if "speaker" not in turns.columns:
        return [True] * turns.height
    return (turns["speaker"] == "customer").fill_null(False).to_list()


def _correct_short_replies(
    texts: Sequence[str | None],
    languages: Sequence[str | None],
    sent: np.ndarray,
    emo: np.ndarray,
    flags: list,
) -> None:
    """Short replies the model misreads without the conversation around them (`short_replies.py`): a phatic reply
    read as negative ("nope, that's all") is neutral; a relieved one read as negative ("Je suis soulagée !") is
    positive and joyful; a dismissive or exasperated one not read surely negative ("Faites ce que vous voulez.",
    "Ich bin echt genervt." at 0.61) is negative and angry. Surely = at least NEGATIVE_SENTENCE_MIN: a weaker
    negative reading would not count as the feeling of a longer complaint's last sentence."""
    from qa_engine.affect.short_replies import (
        dismissive_replies,
        phatic_replies,
        positive_emoji_only,
        relief_replies,
    )

    # (list, applies to a negative reading? (False: to any but a sure negative one), served sentiment, served
    # emotion, flag); the first match wins
    corrections = (
        (phatic_replies(), True, "neutral", "neutral", textprep.PHATIC),
        (relief_replies(), True, "positive", "joy", textprep.RELIEF),
        (dismissive_replies(), False, "negative", "anger", textprep.DISMISSIVE),
    )
    negative = SENTIMENTS.index("negative")
    read_negative = sent.argmax(1) == negative
    sure_negative = read_negative & (sent[:, negative] >= NEGATIVE_SENTENCE_MIN)
    for i in range(len(texts)):
        if positive_emoji_only(texts[i]):  # a closing 👍 or 🙏 is thanks, whatever the model says
            sent[i] = np.eye(len(SENTIMENTS), dtype=np.float32)[SENTIMENTS.index("positive")]
            emo[i] = np.eye(len(EMOTIONS), dtype=np.float32)[EMOTIONS.index("joy")]
            flags[i] = textprep.POSITIVE_EMOJI
            continue
        for replies, when_negative, sentiment, emotion, flag in corrections:
            applies = read_negative[i] if when_negative else not sure_negative[i]
            if applies and replies.matches(texts[i], languages[i]):
                sent[i] = np.eye(len(SENTIMENTS), dtype=np.float32)[SENTIMENTS.index(sentiment)]
                emo[i] = np.eye(len(EMOTIONS), dtype=np.float32)[EMOTIONS.index(emotion)]
                flags[i] = flag
                break


def affect_columns(result: AffectArrays) -> list[pl.Series]:
    """The contract's per-turn affect columns from probability arrays."""
    emo_struct = pl.DataFrame(
        {label: result.emotion[:, j] for j, label in enumerate(EMOTIONS)},
        schema=dict.fromkeys(EMOTIONS, pl.Float32),
    ).to_struct("emotion_scores")
    return [
        pl.Series(
            "sentiment", [SENTIMENTS[k] for k in _argmax(result.sentiment, SENTIMENTS)], dtype=pl.String
        ),
        pl.Series("sentiment_score", np.clip(result.sentiment_score, -1, 1), dtype=pl.Float32),
        pl.Series("emotion", [EMOTIONS[k] for k in _argmax(result.emotion, EMOTIONS)], dtype=pl.String),
        emo_struct.cast(schema.EMOTION_SCORES),
        pl.Series("affect_flag", result.flags, dtype=pl.String),
    ]


def _argmax(probs: np.ndarray, labels: tuple[str, ...]) -> np.ndarray:
    """Argmax, except that flagged texts (uniform scores) are neutral, not the first label."""
    best = probs.argmax(1)
    best[np.ptp(probs, axis=1) < 1e-6] = labels.index("neutral")
    return best
