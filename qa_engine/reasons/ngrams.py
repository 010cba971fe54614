"""The lexical head of the contact-reason classifier: a logistic regression over a turn's character n-grams.

Why: the encoder's pooled vector places a request by its gist, but a six-layer encoder blurs the words that name a
shop's things ("Rücksendeetikett", "配送方法", "code promo", "領収書"), and those words are most of what tells a
return from a complaint or a delivery option from a tracking request. Character n-grams (1-4 characters within word
boundaries, tf-idf weighted) read them in every language without a tokenizer (Chinese and Japanese included) and
hold up under typos and missing accents. The two heads are combined as a product of experts at the sub-reason
level, `log p_encoder + weight x log p_ngrams`, with the weight chosen by cross-validation (`fit.py`); weight 0
is the encoder alone. The head reads only the languages it was fitted on: in any other (Thai, Portuguese) a turn
has hardly an n-gram it knows, and its logits would be the head's prior, which leans to `other`; there the
multilingual encoder alone places the turn.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from qa_engine.nlp.normalize import base_language

if TYPE_CHECKING:
    from scipy.sparse import csr_matrix
    from sklearn.feature_extraction.text import TfidfVectorizer

MAX_FEATURES = (
    20_000  # the most frequent n-grams; 40,000 cross-validated the same (measured) at twice the size
)
NGRAM_RANGE = (1, 4)
MIN_DF = 2  # an n-gram in a single example is that example's, not the sub-reason's


def vectorizer(vocabulary: Sequence[str] | None = None, idf: np.ndarray | None = None) -> TfidfVectorizer:
    """The n-gram featuriser: unfitted, or rebuilt from a fitted one's vocabulary and idf."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    made = TfidfVectorizer(
        analyzer="char_wb", ngram_range=NGRAM_RANGE, min_df=MIN_DF, max_features=MAX_FEATURES,
        sublinear_tf=True, lowercase=True, dtype=np.float32,
        vocabulary={gram: column for column, gram in enumerate(vocabulary)} if vocabulary is not None else None,
    )  # fmt: skip
    if idf is not None:
        made.idf_ = idf
    return made


def vocabulary_of(fitted: TfidfVectorizer) -> tuple[str, ...]:
    """A fitted featuriser's n-grams in column order."""
    return tuple(fitted.get_feature_names_out())


@dataclass(frozen=True)
class NgramHead:
    vocabulary: tuple[str, ...]  # column order
    idf: np.ndarray  # (features,)
    coef: np.ndarray  # (labels, features)
    intercept: np.ndarray  # (labels,)
    weight: float  # of its log-probabilities beside the encoder head's
    languages: tuple[str, ...]  # those of the examples it was fitted on

    def weights(self, languages: Sequence[str | None]) -> np.ndarray:
        """(n,) the head's weight for each turn: 0 in a language it was not fitted on."""
        known = set(self.languages)
        return np.array([self.weight if base_language(x) in known else 0.0 for x in languages])

    @functools.cached_property
    def featuriser(self) -> TfidfVectorizer:
        """Built once per head: a 20,000-entry vocabulary is not worth rebuilding for every batch of turns."""
        return vectorizer(self.vocabulary, self.idf)

    def features(self, texts: Sequence[str]) -> csr_matrix:
        return self.featuriser.transform([text or "" for text in texts])

    def logits(self, texts: Sequence[str]) -> np.ndarray:
        """(n, labels) sub-reason logits."""
        return np.asarray(self.features(texts) @ self.coef.T) + self.intercept

    def digest(self) -> bytes:
        """What the model's version hashes for this head: its weights and its n-grams."""
        hasher = hashlib.sha256()
        for array in (self.idf, self.coef, self.intercept):
            hasher.update(np.ascontiguousarray(array, dtype=np.float32).tobytes())
        hasher.update(json.dumps([self.weight, self.languages, self.vocabulary], ensure_ascii=False).encode())
        return hasher.digest()
