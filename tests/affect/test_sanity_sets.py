"""Regression tests over our own held-apart support turns (`models/sanity/<language>_support_turns.tsv`).

Why: the public dev splits are tweets, Reddit and product reviews; these sets are the register the product serves
(customer lines in a support conversation, with insults, sarcasm and curt dismissals among the negatives). They were
never trained or calibrated on, so a drop here is a real regression. The floors sit about 0.1 under what the
committed weights measure (model card) and assert behaviour: that the three classes are told apart, that neutral
requests are read as neutral, and that negatives are rarely read as positive.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from qa_engine import paths
from qa_engine.affect.labels import SENTIMENTS
from qa_engine.affect.training import datasets
from qa_engine.affect.training.evaluate import SERVED, evaluate
from qa_engine.errors import QAError
from tests.affect.conftest import fp32_scorer

SANITY = paths.models_dir() / "sanity"

# committed weights, fp32 (model card): en 0.92, zh 0.80, de 0.89, ja 0.89, es 0.86, fr 0.80
MACRO_F1_FLOOR = {"en": 0.82, "zh": 0.73, "de": 0.73, "ja": 0.76, "es": 0.76, "fr": 0.76}
NEUTRAL_RECALL_FLOOR = 0.5  # most support turns are neutral: at least half of the neutral ones must read so
NEG_AS_POS_CEILING = 0.34  # committed weights: at most 0.25 in any language


@pytest.fixture(scope="module")
def reports() -> dict[str, object]:
    return {r.name: r for r in evaluate(fp32_scorer(), only=("support_own",))}


@pytest.mark.slow
@pytest.mark.parametrize("language", SERVED)
def test_support_turns_read_as_a_person_reads_them(reports: dict, language: str) -> None:
    rep = reports[f"support_turns_own/sentiment/{language}"]
    assert rep.n >= 30, f"{language}: the set shrank to {rep.n} rows"
    assert rep.value >= MACRO_F1_FLOOR[language], (language, rep.value, rep.per_class)
    assert rep.neutral_recall >= NEUTRAL_RECALL_FLOOR, (language, rep.per_class)
    assert rep.neg_as_pos <= NEG_AS_POS_CEILING, (language, rep.neg_as_pos)


def test_every_served_language_has_a_balanced_held_apart_set() -> None:
    """Every served language keeps its set, with all three sentiments, and none of its texts is also a training
    text (models/affect_support/): a set that leaks into training measures nothing."""
    training = {e.text.strip() for e in datasets.support_sets(paths.models_dir() / "affect_support")}
    for language in SERVED:
        rows = datasets.labelled_tsv(SANITY / f"{language}_support_turns.tsv", language, "support_turns")
        counts = {s: sum(e.sentiment == s for e in rows) for s in range(3)}
        assert min(counts.values()) >= 10, (language, counts)
        leaked = [e.text for e in rows if e.text.strip() in training]
        assert not leaked, (language, leaked)


def test_a_bad_row_names_its_file_and_line(tmp_path: Path) -> None:
    file = tmp_path / "xx_support_turns.tsv"
    file.write_text("text\tsentiment\temotion\nWhere is my parcel?\tneutral\tneutral\nRude.\tangry\tanger\n")
    with pytest.raises(QAError) as err:
        datasets.labelled_tsv(file, "xx", "support_turns")
    assert err.value.code == "Q311" and f"{file}:3" in str(err.value) and "angry" in str(err.value)
    file.write_text("text\tlabel\nfine\tpositive\n")
    with pytest.raises(QAError, match="header"):
        datasets.labelled_tsv(file, "xx", "support_turns")
    # a repeated text would sit in a train and a tune split at once
    file.write_text(
        "text\tsentiment\temotion\nThanks!\tpositive\tjoy\nOk.\tneutral\tneutral\nThanks!\tpositive\tjoy\n"
    )
    with pytest.raises(QAError, match="same text as line 2") as err:
        datasets.labelled_tsv(file, "xx", "support_turns")
    assert f"{file}:4" in str(err.value)


# our held-apart reviews (models/sanity/<language>_reviews.tsv), fp32, committed weights (model card): en 0.87,
# zh 0.79, de 0.81, ja 0.90, es 0.75, fr 0.76 (all but en read the second head); floors about 0.1 under
REVIEWS_FLOOR = {"en": 0.72, "zh": 0.63, "de": 0.71, "ja": 0.78, "es": 0.65, "fr": 0.63}
# the plain ones (models/sanity/<language>_plain_reviews.tsv, most negatives state a defect and no feeling):
# en 0.70, zh 0.63, de 0.72, ja 0.65, es 0.71, fr 0.74 (0.63, 0.61, 0.49, 0.49, 0.64, 0.70 before the second pass)
PLAIN_REVIEWS_FLOOR = {"en": 0.60, "zh": 0.53, "de": 0.62, "ja": 0.55, "es": 0.61, "fr": 0.64}


@pytest.fixture(scope="module")
def review_reports() -> dict[str, object]:
    return {r.name: r for r in evaluate(fp32_scorer(), only=("reviews_own", "plain_reviews_own"))}


@pytest.mark.slow
@pytest.mark.parametrize("language", SERVED)
def test_own_reviews_hold_their_floor(review_reports: dict, language: str) -> None:
    """Three-class product reviews, neutral = mixed or 3-star: the register the issue measures on."""
    for kind, floor in (("reviews", REVIEWS_FLOOR), ("plain_reviews", PLAIN_REVIEWS_FLOOR)):
        rep = review_reports[f"{kind}_own/sentiment/{language}"]
        assert rep.n >= 60, f"{language}: the {kind} set shrank to {rep.n} rows"
        assert rep.value >= floor[language], (kind, language, rep.value, rep.per_class)


@pytest.mark.parametrize("kind", ["reviews", "plain_reviews"])
def test_every_language_has_a_held_apart_review_set_kept_out_of_training(kind: str) -> None:
    training = {e.text.strip() for e in datasets.support_sets(paths.models_dir() / "affect_support")}
    for language in SERVED:
        rows = datasets.labelled_tsv(SANITY / f"{language}_{kind}.tsv", language, kind)
        counts = {s: sum(e.sentiment == s for e in rows) for s in range(3)}
        assert min(counts.values()) >= 20, (language, counts)
        assert not [e.text for e in rows if e.text.strip() in training], language


def _grams(text: str) -> set[str]:
    text = text.lower()
    return {text[i : i + 5] for i in range(max(1, len(text) - 4))}


def test_no_plain_training_review_is_a_near_copy_of_a_held_apart_text() -> None:
    """The plain reviews were written in one go with their held-apart twins: a training row whose character 5-grams
    overlap a measured text's by more than half would let the figure measure memory."""
    for language in SERVED:
        train = datasets.labelled_tsv(
            paths.models_dir() / "affect_support" / f"{language}_plain_reviews_train.tsv", language, "plain"
        )
        held = [
            _grams(e.text)
            for kind in ("plain_reviews", "reviews", "support_turns")
            for e in datasets.labelled_tsv(SANITY / f"{language}_{kind}.tsv", language, kind)
        ]
        near = [
            e.text
            for e in train
            if any(len(_grams(e.text) & h) / len(_grams(e.text) | h) > 0.5 for h in held)
        ]
        assert not near, (language, near)


# Named cases: the demo's French lines and their equivalents. Written here, in none of the training sets.
INSULTS = {
    "fr": "Incroyable. Je vais porter plainte et laisser un avis partout. Vous êtes nuls.",
    "es": "Increíble. Voy a poner una reclamación y dejar reseñas en todas partes. Son ustedes unos inútiles.",
    "de": "Unglaublich. Ich werde mich beschweren und überall eine Bewertung schreiben. Sie sind echt unfähig.",
    "ja": "信じられない。消費者センターに苦情を入れて、あちこちにレビューを書きます。本当に無能ですね。",
}
DISMISSALS = {
    "fr": "Faites ce que vous voulez.",
    "es": "Haga lo que quiera.",
    "de": "Machen Sie doch, was Sie wollen.",
    "ja": "ご自由にどうぞ。",
}
REQUESTS = {
    "fr": "Pouvez-vous me donner le numéro de suivi de ma commande, s'il vous plaît ?",
    "es": "¿Me puede indicar el número de seguimiento de mi pedido, por favor?",
    "de": "Können Sie mir bitte die Sendungsnummer meiner Bestellung schicken?",
    "ja": "注文の追跡番号を教えていただけますか。",
    "en": "Could you send me the tracking number for my order, please?",
    "zh": "请问可以告诉我订单的物流单号吗？",
}
# what the committed weights still misread (model card, "Known misreadings"): strict, so a fix shows up as XPASS.
# Empty since models/dismissive.yaml: the model still reads the curt dismissals neutral, the affect stage corrects
# them (tests/affect/test_short_replies.py tests the list on other dismissals).
MISREAD: set[tuple[str, str]] = set()


@pytest.fixture(scope="module")
def scorer():
    return fp32_scorer()


def _cases(kind: str, texts: dict[str, str], want: str) -> list:
    return [
        pytest.param(lang, text, want, id=f"{kind}-{lang}",
                     marks=[pytest.mark.xfail(strict=True, reason="known misreading")] if (kind, lang) in MISREAD
                     else [])
        for lang, text in texts.items()
    ]  # fmt: skip


@pytest.mark.slow
@pytest.mark.parametrize(
    ("language", "text", "want"),
    _cases("insult", INSULTS, "negative") + _cases("dismissal", DISMISSALS, "negative")
    + _cases("request", REQUESTS, "neutral"),
)  # fmt: skip
def test_named_cases_read_as_a_person_reads_them(scorer, language: str, text: str, want: str) -> None:
    result = scorer.score_texts([text], [language])
    assert SENTIMENTS[int(result.sentiment[0].argmax())] == want, result.sentiment[0]
