"""Which sub-reasons the taxonomy's own examples confuse, per language, by cross-validation (no held-apart set read).

Why: the examples are where the contact-reason classifier improves, and the held-apart sets must stay unseen while
examples are written. This shows, from the examples alone, the sub-reasons whose examples cross-validation reads
worst in each language and where they go, with the committed settings (both heads' C, the n-gram and keyword
weights) and the fit's folds (seed 13).

    PYTHONPATH=$PWD .venv/bin/python scripts/reasons_cv_confusion.py [LANGUAGE ...] [--worst N]
"""

from __future__ import annotations

import argparse
from collections import Counter

import numpy as np

from qa_engine.cli.reasons import COMMITTED_PRECISION, _scorer
from qa_engine.reasons.classifier import ReasonModel, combine, normalise
from qa_engine.reasons.fit import out_of_fold_logits
from qa_engine.reasons.keywords import KeywordIndex
from qa_engine.reasons.taxonomy import load_taxonomy


def main(languages: list[str], worst: int) -> None:
    taxonomy, committed = load_taxonomy(), ReasonModel.load()
    examples = taxonomy.examples()
    texts, langs = [e.text for e in examples], [e.language for e in examples]
    labels = np.array([taxonomy.labels.index(e.label) for e in examples])
    vectors = normalise(_scorer(None, None, COMMITTED_PRECISION).pooled_vectors(texts, langs))
    keywords, _ = KeywordIndex(taxonomy).scan(texts, langs)
    ngram_c = committed.meta.get("ngram_C")  # None: a classifier without the n-gram head
    encoder, ngrams = out_of_fold_logits(
        vectors, texts, labels, len(taxonomy.labels), c_grid=(committed.meta["C"],),
        ngram_c_grid=(ngram_c,) if committed.ngrams is not None else (),
    )  # fmt: skip
    weight = committed.ngrams.weights(langs) if committed.ngrams is not None else 0.0
    sub, reasons = combine(
        encoder[committed.meta["C"]], ngrams.get(ngram_c), weight, keywords, committed.keyword_weight,
        committed.owner,
    )  # fmt: skip
    predicted = np.zeros(len(labels), dtype=int)  # the sub-reason each example gets when it is held out
    for k in range(len(labels)):  # the sub-reason of the winning reason: what the stage reports
        own = np.flatnonzero(committed.owner[:, int(reasons[k].argmax())])
        predicted[k] = own[int(sub[k][own].argmax())]
    for language in languages or sorted(set(langs)):
        rows = [i for i, x in enumerate(langs) if x == language]
        right = Counter(taxonomy.labels[labels[i]] for i in rows if predicted[i] == labels[i])
        total = Counter(taxonomy.labels[labels[i]] for i in rows)
        reason_right = sum(
            taxonomy.labels[predicted[i]].split(".")[0] == taxonomy.labels[labels[i]].split(".")[0]
            for i in rows
        )
        print(
            f"{language}: reason right {reason_right}/{len(rows)}; weakest sub-reasons (held out, right/all):"
        )
        for label in sorted(total, key=lambda x: right[x] / total[x])[:worst]:
            went = Counter(taxonomy.labels[predicted[i]] for i in rows if taxonomy.labels[labels[i]] == label)
            went.pop(label, None)
            print(f"  {label:28s} {right[label]:3d}/{total[label]:3d}  to {dict(went.most_common(3))}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("languages", nargs="*")
    parser.add_argument("--worst", type=int, default=6)
    args = parser.parse_args()
    main(args.languages, args.worst)
