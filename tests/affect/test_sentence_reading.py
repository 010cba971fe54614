"""A customer turn that tells its facts and then its feeling reads as its feeling (`AffectScorer.score_texts`,
`by_sentence`): the encoder's mean over every token dilutes the one sentence that carries it. Real model, real
texts written for this test (not from any evaluation set)."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from qa_engine.affect import AffectScorer, textprep
from qa_engine.affect.labels import EMOTIONS, SENTIMENTS

NEGATIVE = SENTIMENTS.index("negative")

FACTS_THEN_FEELING = [
    ("de", "Guten Tag, es geht um meine Bestellung 5530-2291 vom 4. März, eine Kaffeemühle. Die Sendung steht seit "
           "Tagen im Paketzentrum Leipzig. Langsam reicht es mir wirklich."),
    ("de", "Hallo, ich habe am 2. Mai Turnschuhe bestellt (Bestellung 80031177). Die Rücksendung habe ich am 10. Mai "
           "bei der Post abgegeben. Ich bin echt genervt."),
    ("es", "Buenas, les escribo por el pedido 7731-0092-5518 de una lámpara de escritorio. El seguimiento dice 'en "
           "reparto' desde el martes. Ya estoy harta de esperar."),
    ("fr", "Bonjour, j'ai renvoyé le manteau le 12 (colis 6A55102934). Toujours pas de remboursement sur mon compte. "
           "Je commence à perdre patience."),
]  # fmt: skip


@pytest.fixture(scope="module")
def scorer() -> AffectScorer:
    return AffectScorer.from_registry()


@pytest.mark.parametrize(("language", "text"), FACTS_THEN_FEELING)
def test_facts_then_a_feeling_read_as_the_feeling(scorer: AffectScorer, language: str, text: str) -> None:
    whole = scorer.score_texts([text], [language], by_sentence=False)
    assert (
        whole.sentiment[0].argmax() != NEGATIVE
    )  # what the turn read before: the facts outweigh the feeling
    read = scorer.score_texts([text], [language])
    assert read.sentiment[0].argmax() == NEGATIVE and read.sentiment[0, NEGATIVE] >= 0.8
    assert read.flags == [textprep.NEGATIVE_SENTENCE]
    # the turn takes its most negative sentence's own reading, emotion included (read in another batch: the
    # last digits move with the padding)
    parts = textprep.sentences(text)
    alone = scorer.score_texts(parts, [language] * len(parts), by_sentence=False)
    strongest = alone.sentiment[:, NEGATIVE].argmax()
    np.testing.assert_allclose(read.sentiment[0], alone.sentiment[strongest], atol=0.01)
    np.testing.assert_allclose(read.emotion[0], alone.emotion[strongest], atol=0.01)
    # contact reasons and satisfaction read the whole turn's vector, as before
    np.testing.assert_array_equal(read.pooled, whole.pooled)


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("fr", "Bonjour, je vous ai écrit lundi au sujet du colis 6A88120934 et mardi aussi. Toujours aucune "
               "réponse claire de votre part. Ras-le-bol."),
        ("de", "Guten Tag, ich habe am Montag und am Mittwoch wegen der Bestellung 7712093 angerufen. Niemand hat "
               "sich gemeldet. Jetzt reicht es aber."),
    ],
)  # fmt: skip
def test_a_fed_up_last_sentence_from_the_phrase_list_makes_the_turn_angry(
    scorer: AffectScorer, language: str, text: str
) -> None:
    """The model reads "Ras-le-bol." neutral even alone; the dismissive list (models/dismissive.yaml) corrects the
    sentence, and the sentence gives the turn its reading."""
    assert scorer.score_texts([text], [language], by_sentence=False).sentiment[0].argmax() != NEGATIVE
    read = scorer.score_texts([text], [language])
    assert read.sentiment[0].argmax() == NEGATIVE and read.emotion[0].argmax() == EMOTIONS.index("anger")
    assert read.flags == [textprep.NEGATIVE_SENTENCE]


def test_a_turn_with_a_sure_positive_sentence_too_keeps_its_whole_reading(scorer: AffectScorer) -> None:
    text = "Thanks so much, the new one works perfectly. But the first one was a total disaster."
    parts = scorer.score_texts(textprep.sentences(text), ["en", "en"], by_sentence=False).sentiment
    assert parts[0].argmax() == SENTIMENTS.index("positive") and parts[1].argmax() == NEGATIVE  # mixed
    whole = scorer.score_texts([text], ["en"], by_sentence=False)
    read = scorer.score_texts([text], ["en"])
    np.testing.assert_array_equal(read.sentiment, whole.sentiment)
    assert read.flags == [None]


def test_only_the_customer_s_turns_are_read_by_sentence(scorer: AffectScorer) -> None:
    language, text = FACTS_THEN_FEELING[0]
    turns = pl.DataFrame(
        {"ticket_id": ["T1", "T1"], "turn_index": [0, 1], "speaker": ["customer", "agent"], "text": [text, text],
         "language": [language, language]}
    )  # fmt: skip
    scored = scorer.score_turns(turns)
    assert scored["sentiment"].to_list() == ["negative", "neutral"]
    assert scored["affect_flag"].to_list() == [textprep.NEGATIVE_SENTENCE, None]


def test_sentences_are_cut_where_long_texts_are_and_need_a_letter_or_digit() -> None:
    assert textprep.sentences("Hallo. Wo ist mein Paket?! ... Danke.") == [
        "Hallo.",
        "Wo ist mein Paket?!",
        "Danke.",
    ]
    assert textprep.sentences("我的包裹呢？已经两周了。") == ["我的包裹呢？", "已经两周了。"]
    assert textprep.sentences("One sentence only") == ["One sentence only"]
