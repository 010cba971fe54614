"""Fit the contact-reason and escalation classifiers from the taxonomy and the signal file (`qa reasons fit`).

Deterministic: one encoder pass over the examples (about 11,000 short texts), then logistic regressions, one on the
pooled vectors and one on character n-grams (`ngrams.py`). Both heads' regularisation, the n-gram head's weight and
the keyword weight are chosen together by stratified 3-fold cross-validation on the taxonomy's own examples (fixed
seed; 3 folds, not 5: with 60 or more examples per sub-reason and language each test fold still holds 20 of each,
and the search fits 24 models instead of 40), maximising the mean over languages of the reason macro-F1; the
held-apart evaluation sets under models/reasons/eval/ are never read here.

Escalation model: the signal file's `fire` examples are escalating, its `no_fire` examples and the taxonomy's
examples are ordinary, except formal complaints and examples in which a signal phrase fires ("third time I ask
about my refund"), which are neither.
"""

from __future__ import annotations

import hashlib
import logging
from collections import Counter
from dataclasses import dataclass
from itertools import product
from typing import TYPE_CHECKING, Any

import numpy as np
from threadpoolctl import threadpool_limits

from qa_engine.reasons.classifier import ReasonModel, combine, encoder_fingerprint, label_owner, normalise
from qa_engine.reasons.keywords import KeywordIndex
from qa_engine.reasons.ngrams import NgramHead, vectorizer, vocabulary_of
from qa_engine.reasons.signals import Signals
from qa_engine.reasons.taxonomy import Taxonomy

if TYPE_CHECKING:
    from qa_engine.affect.scorer import AffectScorer

log = logging.getLogger(__name__)

C_GRID = (4.0, 8.0, 16.0, 32.0, 64.0)
KEYWORD_GRID = (0.0, 0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 6.0)
NGRAM_C_GRID = (16.0, 64.0, 256.0)
NGRAM_WEIGHT_GRID = (0.0, 0.5, 1.0, 1.5, 2.0, 3.0)  # 0: the encoder head alone
FOLDS = 3
# when the examples are too few to cross-validate: the encoder head and keywords alone
DEFAULT_C, DEFAULT_KEYWORD_WEIGHT = 8.0, 1.5
SEED = 13
ESCALATION_C = 1.0
NOT_ORDINARY = ("complaint.formal",)  # taxonomy labels that are escalating requests themselves


def fit_model(
    taxonomy: Taxonomy, signals: Signals, scorer: AffectScorer, grid: Grid | None = None
) -> ReasonModel:
    """Encode the examples with `scorer`'s encoder and fit both heads; the returned model's `meta` records the
    encoder, the taxonomy and signal files' hashes, the chosen settings and the cross-validated figures.

    `grid` is what the search tries (default: every setting); `Grid.only(settings)` keeps a model's settings and
    fits a quarter of the search's regressions, with the same weights and figures when it holds the search's choice."""
    from sklearn.linear_model import LogisticRegression

    examples = taxonomy.examples()
    texts = [e.text for e in examples]
    languages = [e.language for e in examples]
    labels = np.array([taxonomy.labels.index(e.label) for e in examples])
    log.info("encoding %d taxonomy examples", len(texts))
    vectors = normalise(scorer.pooled_vectors(texts, languages))
    # the encoder's float kernels differ between CPU families (the last bits of a vector): this hash says whether a
    # refit saw the very vectors the committed one did, so that its weights must match byte for byte
    vectors_sha = hashlib.sha256(np.ascontiguousarray(vectors, dtype=np.float32).tobytes()).hexdigest()[:16]
    fire = [e for s in signals.spec.signals for e in s.examples.fire]
    calm = [e for s in signals.spec.signals for e in s.examples.no_fire]
    extra = normalise(scorer.pooled_vectors([e.text for e in fire + calm], [e.language for e in fire + calm]))
    # One BLAS thread for the regressions: with more, BLAS sums in another order and the weights move in their last
    # bits, so a refit on a machine with another core count (or under a test runner that pins one thread per
    # worker) would not reproduce the committed bytes. The regressions gain little from more threads.
    with threadpool_limits(limits=1):
        keywords, _ = KeywordIndex(taxonomy).scan(texts, languages)
        chosen, cv = _choose(taxonomy, vectors, texts, keywords, labels, languages, grid or Grid())
        log.info("chose %s (cv macro-F1 %s)", chosen, cv["reason_macro_f1"])
        coef, intercept = _head(vectors, labels, len(taxonomy.labels), chosen.c)
        ngrams = None
        if chosen.ngram_weight:
            featuriser = vectorizer()
            features = featuriser.fit_transform(texts)
            ngram_coef, ngram_intercept = _head(features, labels, len(taxonomy.labels), chosen.ngram_c)
            ngrams = NgramHead(
                vocabulary=vocabulary_of(featuriser), idf=featuriser.idf_.astype(np.float32), coef=ngram_coef,
                intercept=ngram_intercept, weight=chosen.ngram_weight, languages=tuple(sorted(set(languages))),
            )  # fmt: skip

        signalled = _signalled(signals, texts, languages)
        ordinary = np.array(
            [
                not (e.label.startswith(NOT_ORDINARY) or hit)
                for e, hit in zip(examples, signalled, strict=True)
            ]
        )
        esc_x = np.vstack([extra, vectors[ordinary]])
        esc_y = np.r_[np.ones(len(fire)), np.zeros(len(calm) + int(ordinary.sum()))]
        esc = LogisticRegression(C=ESCALATION_C, class_weight="balanced", max_iter=5000).fit(esc_x, esc_y)
        cv["escalation_auc"] = _escalation_cv(esc_x, esc_y)

    import sklearn

    meta = {
        "encoder": encoder_fingerprint(scorer.vector_spec()), "taxonomy_sha": taxonomy.sha,
        "signals_sha": signals.sha, "vectors_sha": vectors_sha, "C": chosen.c,
        "ngram_C": chosen.ngram_c if ngrams is not None else None, "cv": cv,
        "examples": dict(sorted(Counter(languages).items())),
        "escalation_examples": {"escalating": len(fire), "ordinary": int(len(calm) + ordinary.sum())},
        "sklearn": sklearn.__version__,
    }  # fmt: skip
    return ReasonModel(
        labels=taxonomy.labels, reasons=taxonomy.reasons, coef=coef, intercept=intercept,
        keyword_weight=chosen.keyword_weight, escalation_coef=esc.coef_[0].astype(np.float32),
        escalation_intercept=float(esc.intercept_[0]), meta=meta, ngrams=ngrams,
    )  # fmt: skip


@dataclass(frozen=True)
class Settings:
    c: float  # the encoder head's regularisation
    keyword_weight: float
    ngram_c: float = NGRAM_C_GRID[0]
    ngram_weight: float = 0.0

    @classmethod
    def of(cls, model: ReasonModel) -> Settings:
        """The settings a fitted model was fitted with."""
        if model.ngrams is None:
            return cls(model.meta["C"], model.keyword_weight)
        return cls(model.meta["C"], model.keyword_weight, model.meta["ngram_C"], model.ngrams.weight)


@dataclass(frozen=True)
class Grid:
    """The settings the search tries: every combination, in this order (the first of equal scores wins)."""

    c: tuple[float, ...] = C_GRID
    ngram_c: tuple[float, ...] = NGRAM_C_GRID
    ngram_weight: tuple[float, ...] = NGRAM_WEIGHT_GRID
    keyword_weight: tuple[float, ...] = KEYWORD_GRID

    @classmethod
    def only(cls, settings: Settings) -> Grid:
        return cls((settings.c,), (settings.ngram_c,), (settings.ngram_weight,), (settings.keyword_weight,))


def _head(x: Any, labels: np.ndarray, n_labels: int, c: float) -> tuple[np.ndarray, np.ndarray]:
    """A multinomial logistic regression's (coef, intercept) over every label, in the taxonomy's order."""
    from sklearn.linear_model import LogisticRegression

    head = LogisticRegression(C=c, max_iter=5000).fit(x, labels)
    coef = np.zeros((n_labels, x.shape[1]), dtype=np.float32)
    intercept = np.full(n_labels, -30.0, dtype=np.float32)  # a label without examples never wins
    coef[head.classes_] = head.coef_
    intercept[head.classes_] = head.intercept_
    return coef, intercept


def _choose(
    taxonomy: Taxonomy,
    vectors: np.ndarray,
    texts: list[str],
    keywords: np.ndarray,
    labels: np.ndarray,
    languages: list[str],
    grid: Grid,
) -> tuple[Settings, dict]:
    """The settings with the best mean-over-languages CV macro-F1 (ties: the first in grid order, so weight 0
    before any n-gram weight) and their figures. Each fold's heads are fitted once per C; the weights only
    recombine their out-of-fold logits (`combine`, as served)."""
    from sklearn.metrics import f1_score

    owner = label_owner(taxonomy.labels, taxonomy.reasons)
    gold = owner[labels].argmax(1)
    langs = np.array(languages)
    splits = min(FOLDS, int(np.bincount(labels).min()))
    if splits < 2:  # a sub-reason with a single example: nothing to cross-validate, use the usual setting
        log.warning(
            "a sub-reason has fewer than 2 examples: the classifier's settings are not cross-validated"
        )
        return Settings(DEFAULT_C, DEFAULT_KEYWORD_WEIGHT), {"reason_macro_f1": None, "per_language": {}}
    encoder, ngrams = out_of_fold_logits(
        vectors,
        texts,
        labels,
        len(taxonomy.labels),
        splits,
        grid.c,
        grid.ngram_c if any(grid.ngram_weight) else (),
    )
    best: tuple[float, Settings, dict] | None = None
    for c, ngram_c, ngram_weight, keyword_weight in product(
        grid.c, grid.ngram_c, grid.ngram_weight, grid.keyword_weight
    ):
        if ngram_weight == 0 and ngram_c != grid.ngram_c[0]:
            continue  # the same predictions as the first n-gram C
        _, reasons = combine(encoder[c], ngrams.get(ngram_c), ngram_weight, keywords, keyword_weight, owner)
        pred = reasons.argmax(1)
        per_language = {
            lang: float(f1_score(gold[langs == lang], pred[langs == lang], average="macro"))
            for lang in sorted(set(languages))
        }
        score = float(np.mean(list(per_language.values())))
        if best is None or score > best[0] + 1e-9:
            figures = {"reason_macro_f1": round(score, 4),
                       "per_language": {k: round(v, 4) for k, v in per_language.items()}}  # fmt: skip
            best = (score, Settings(c, keyword_weight, ngram_c, ngram_weight), figures)
    assert best is not None
    return best[1], best[2]


def out_of_fold_logits(
    vectors: np.ndarray,
    texts: list[str],
    labels: np.ndarray,
    n_labels: int,
    splits: int = FOLDS,
    c_grid: tuple[float, ...] = C_GRID,
    ngram_c_grid: tuple[float, ...] = NGRAM_C_GRID,
) -> tuple[dict[float, np.ndarray], dict[float, np.ndarray]]:
    """({C: encoder head logits}, {C: n-gram head logits}), each (examples, labels): every example read by heads
    fitted without its fold (the fit's folds and seed), the search's raw material."""
    from sklearn.model_selection import StratifiedKFold

    encoder = {c: np.zeros((len(labels), n_labels)) for c in c_grid}
    ngrams = {c: np.zeros((len(labels), n_labels)) for c in ngram_c_grid}
    for train, test in StratifiedKFold(splits, shuffle=True, random_state=SEED).split(vectors, labels):
        for c in c_grid:
            coef, intercept = _head(vectors[train], labels[train], n_labels, c)
            encoder[c][test] = vectors[test] @ coef.T + intercept
        if not ngram_c_grid:
            continue
        featuriser = vectorizer()  # its n-grams and idf from the training fold only
        train_x = featuriser.fit_transform([texts[i] for i in train])
        test_x = featuriser.transform([texts[i] for i in test])
        for c in ngram_c_grid:
            coef, intercept = _head(train_x, labels[train], n_labels, c)
            ngrams[c][test] = np.asarray(test_x @ coef.T) + intercept
    return encoder, ngrams


def _signalled(signals: Signals, texts: list[str], languages: list[str]) -> list[bool]:
    """Whether an escalation signal fires in each text: such a request ("third time I ask about my refund") is no
    ordinary example for the escalation model, whatever its contact reason."""
    import polars as pl

    from qa_engine.nlp.pipelines import make_docs
    from qa_engine.reasons.signals import SignalFinder
    from qa_engine.rules.conversation import build_conversations

    ids = [f"x{i}" for i in range(len(texts))]
    tickets = pl.DataFrame({"ticket_id": ids, "language": languages, "channel": ["chat"] * len(ids)})
    turns = pl.DataFrame(
        {"ticket_id": ids, "turn_index": [0] * len(ids), "speaker": ["customer"] * len(ids), "text": texts},
        schema={"ticket_id": pl.String, "turn_index": pl.Int64, "speaker": pl.String, "text": pl.String},
    )
    finder = SignalFinder(signals.spec)
    conversations = build_conversations(tickets, turns, make_docs(tickets, turns))
    return [bool(finder.find(conversation)) for conversation in conversations]


def _escalation_cv(x: np.ndarray, y: np.ndarray) -> float | None:
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import StratifiedKFold

    splits = min(FOLDS, int(np.bincount(y.astype(int)).min()))
    if splits < 2:
        return None
    scores = np.zeros(len(y))
    for train, test in StratifiedKFold(splits, shuffle=True, random_state=SEED).split(x, y):
        model = LogisticRegression(C=ESCALATION_C, class_weight="balanced", max_iter=5000).fit(
            x[train], y[train]
        )
        scores[test] = model.predict_proba(x[test])[:, 1]
    return round(float(roc_auc_score(y, scores)), 4)
