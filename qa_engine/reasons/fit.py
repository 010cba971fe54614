"""Fit the contact-reason and escalation classifiers from the taxonomy and the signal file (`qa reasons fit`).

Deterministic: one encoder pass over the examples (about 11,000 short texts), then logistic regressions. The
regularisation C and the keyword weight are chosen by stratified 3-fold cross-validation on the taxonomy's own
examples (fixed seed; 3 folds, not 5: with 60 or more examples per sub-reason and language each test fold still
holds 20 of each, and the search fits 15 models instead of 25), maximising the mean over languages of the reason macro-F1; the held-apart evaluation sets
under models/reasons/eval/ are never read here.

Escalation model: the signal file's `fire` examples are escalating, its `no_fire` examples and the taxonomy's
examples are ordinary, except formal complaints and examples in which a signal phrase fires ("third time I ask
about my refund"), which are neither.
"""

from __future__ import annotations

import hashlib
import logging
from collections import Counter
from typing import TYPE_CHECKING

import numpy as np

from qa_engine.reasons.classifier import ReasonModel, encoder_fingerprint, label_owner, normalise
from qa_engine.reasons.keywords import KeywordIndex
from qa_engine.reasons.signals import Signals
from qa_engine.reasons.taxonomy import Taxonomy

if TYPE_CHECKING:
    from qa_engine.affect.scorer import AffectScorer

log = logging.getLogger(__name__)

C_GRID = (4.0, 8.0, 16.0, 32.0, 64.0)
KEYWORD_GRID = (0.0, 0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 6.0)
FOLDS = 3
DEFAULT_C, DEFAULT_KEYWORD_WEIGHT = 8.0, 1.5  # when the examples are too few to cross-validate
SEED = 13
ESCALATION_C = 1.0
NOT_ORDINARY = ("complaint.formal",)  # taxonomy labels that are escalating requests themselves


def fit_model(taxonomy: Taxonomy, signals: Signals, scorer: AffectScorer) -> ReasonModel:
    """Encode the examples with `scorer`'s encoder and fit both heads; the returned model's `meta` records the
    encoder, the taxonomy and signal files' hashes, the chosen settings and the cross-validated figures."""
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
    keywords, _ = KeywordIndex(taxonomy).scan(texts, languages)
    c, keyword_weight, cv = _choose(taxonomy, vectors, keywords, labels, languages)
    log.info("chose C=%s keyword_weight=%s (cv macro-F1 %.3f)", c, keyword_weight, cv["reason_macro_f1"])
    head = LogisticRegression(C=c, max_iter=5000).fit(vectors, labels)
    coef = np.zeros((len(taxonomy.labels), vectors.shape[1]), dtype=np.float32)
    intercept = np.full(len(taxonomy.labels), -30.0, dtype=np.float32)  # a label without examples never wins
    coef[head.classes_] = head.coef_
    intercept[head.classes_] = head.intercept_

    fire = [e for s in signals.spec.signals for e in s.examples.fire]
    calm = [e for s in signals.spec.signals for e in s.examples.no_fire]
    extra = normalise(scorer.pooled_vectors([e.text for e in fire + calm], [e.language for e in fire + calm]))
    signalled = _signalled(signals, texts, languages)
    ordinary = np.array(
        [not (e.label.startswith(NOT_ORDINARY) or hit) for e, hit in zip(examples, signalled, strict=True)]
    )
    esc_x = np.vstack([extra, vectors[ordinary]])
    esc_y = np.r_[np.ones(len(fire)), np.zeros(len(calm) + int(ordinary.sum()))]
    esc = LogisticRegression(C=ESCALATION_C, class_weight="balanced", max_iter=5000).fit(esc_x, esc_y)
    cv["escalation_auc"] = _escalation_cv(esc_x, esc_y)

    import sklearn

    meta = {
        "encoder": encoder_fingerprint(scorer.vector_spec()), "taxonomy_sha": taxonomy.sha,
        "signals_sha": signals.sha, "vectors_sha": vectors_sha, "C": c, "cv": cv,
        "examples": dict(sorted(Counter(languages).items())),
        "escalation_examples": {"escalating": len(fire), "ordinary": int(len(calm) + ordinary.sum())},
        "sklearn": sklearn.__version__,
    }  # fmt: skip
    return ReasonModel(
        labels=taxonomy.labels, reasons=taxonomy.reasons, coef=coef, intercept=intercept,
        keyword_weight=keyword_weight, escalation_coef=esc.coef_[0].astype(np.float32),
        escalation_intercept=float(esc.intercept_[0]), meta=meta,
    )  # fmt: skip


def _choose(
    taxonomy: Taxonomy, vectors: np.ndarray, keywords: np.ndarray, labels: np.ndarray, languages: list[str]
) -> tuple[float, float, dict]:
    """(C, keyword weight, figures): the grid point with the best mean-over-languages CV macro-F1 (ties: the
    smaller, i.e. first, setting)."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import f1_score
    from sklearn.model_selection import StratifiedKFold

    owner = label_owner(taxonomy.labels, taxonomy.reasons)
    gold = owner[labels].argmax(1)
    langs = np.array(languages)
    splits = min(FOLDS, int(np.bincount(labels).min()))
    if splits < 2:  # a sub-reason with a single example: nothing to cross-validate, use the usual setting
        log.warning("a sub-reason has fewer than 2 examples: C and keyword weight not cross-validated")
        return DEFAULT_C, DEFAULT_KEYWORD_WEIGHT, {"reason_macro_f1": None, "per_language": {}}
    folds = list(StratifiedKFold(splits, shuffle=True, random_state=SEED).split(vectors, labels))
    best: tuple[float, float, float, dict] | None = None
    for c in C_GRID:
        mass = np.zeros((len(labels), owner.shape[1]))
        for train, test in folds:
            head = LogisticRegression(C=c, max_iter=5000).fit(vectors[train], labels[train])
            probs = np.zeros((len(test), len(taxonomy.labels)))
            probs[:, head.classes_] = head.predict_proba(vectors[test])
            mass[test] = probs @ owner
        for weight in KEYWORD_GRID:
            pred = (np.log(mass + 1e-9) + weight * keywords).argmax(1)
            per_language = {
                lang: float(f1_score(gold[langs == lang], pred[langs == lang], average="macro"))
                for lang in sorted(set(languages))
            }
            score = float(np.mean(list(per_language.values())))
            if best is None or score > best[2] + 1e-9:
                figures = {"reason_macro_f1": round(score, 4),
                           "per_language": {k: round(v, 4) for k, v in per_language.items()}}  # fmt: skip
                best = (c, weight, score, figures)
    assert best is not None
    return best[0], best[1], best[3]


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
