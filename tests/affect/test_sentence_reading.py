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
    # "Ich bin echt genervt." reads only 0.61 negative alone since the support stage's second pass: it is in
    # models/dismissive.yaml, so the sentence is served surely negative (docs/affect_heads.md, fourteenth round)
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


def test_a_complaint_e_mail_that_closes_politely_still_reads_as_its_complaint(scorer: AffectScorer) -> None:
    """The closing reads positive alone, but it is a courtesy formula (models/courtesy.yaml), not a plus that would
    make the turn mixed."""
    text = (
        "Guten Tag, ich habe die Jacke am 12. zurückgeschickt (Sendung 6A55102934). Bis heute ist keine Erstattung "
        "auf meinem Konto. Langsam reicht es mir wirklich. Vielen Dank im Voraus, Jana Müller"
    )
    parts = textprep.sentences(text)
    alone = scorer.score_texts(parts, ["de"] * len(parts), by_sentence=False).sentiment
    assert alone[-1].argmax() == SENTIMENTS.index("positive")
    assert scorer.score_texts([text], ["de"], by_sentence=False).sentiment[0].argmax() != NEGATIVE
    read = scorer.score_texts([text], ["de"])
    assert read.sentiment[0].argmax() == NEGATIVE and read.flags == [textprep.NEGATIVE_SENTENCE]


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


# 3-star reviews: a plus, a minus, a shrug (written for this test, 8 per language; not from any evaluation set)
MIXED_REVIEWS = [
    ('en', "Delivery was quick. Unfortunately the handle broke after a week. For the price it's okay."),
    ('en', 'Looks nice on the shelf. The sound is thin and the bass is weak. Does the job for a kitchen radio.'),
    ('en', 'Fits as expected. The fabric started pilling after two washes, which is disappointing. Still wearing it at home.'),
    ('en', 'Setup took ten minutes. The app keeps disconnecting and that is really annoying. When it works, it works.'),
    ('en', 'Arrived on time and well packed. Battery life is much shorter than advertised. Average product overall.'),
    ('en', "The color is slightly different from the photos. Material feels cheap. It's fine for occasional use."),
    ('en', "Comfortable for short walks. After an hour my feet hurt badly. I'd give it three stars."),
    ('en', 'Easy to clean. The lid leaks if you tip it over, very frustrating. Otherwise a normal bottle.'),
    ('de', 'Die Lieferung kam schnell. Leider ist der Griff nach einer Woche abgebrochen. Für den Preis in Ordnung.'),
    ('de', 'Sieht gut aus. Der Klang ist dünn und der Bass schwach. Als Küchenradio reicht es.'),
    ('de', 'Passt wie erwartet. Der Stoff fusselt schon nach zwei Wäschen, das ist enttäuschend. Zu Hause trage ich es trotzdem.'),
    ('de', 'Die Einrichtung dauerte zehn Minuten. Die App verliert ständig die Verbindung, das nervt wirklich. Wenn es läuft, läuft es.'),
    ('de', 'Pünktlich und gut verpackt angekommen. Der Akku hält viel kürzer als angegeben. Insgesamt durchschnittlich.'),
    ('de', 'Die Farbe weicht etwas von den Fotos ab. Das Material wirkt billig. Für gelegentliche Nutzung okay.'),
    ('de', 'Bequem für kurze Spaziergänge. Nach einer Stunde tun mir die Füße weh. Drei Sterne.'),
    ('de', 'Leicht zu reinigen. Der Deckel ist undicht, wenn man die Flasche kippt, sehr ärgerlich. Ansonsten eine normale Flasche.'),
    ('fr', "Livraison rapide. Malheureusement la poignée a cassé au bout d'une semaine. Pour le prix, ça va."),
    ('fr', "Joli sur l'étagère. Le son est faible et les basses inexistantes. Suffisant pour une radio de cuisine."),
    ('fr', "Taille conforme. Le tissu bouloche après deux lavages, c'est décevant. Je le porte quand même à la maison."),
    ('fr', "Installation en dix minutes. L'application se déconnecte sans arrêt et c'est vraiment pénible. Quand ça marche, ça marche."),
    ('fr', "Arrivé à l'heure et bien emballé. L'autonomie est bien plus courte qu'annoncé. Produit moyen dans l'ensemble."),
    ('fr', 'La couleur est un peu différente des photos. La matière fait bon marché. Correct pour un usage occasionnel.'),
    ('fr', "Confortable pour de petites marches. Au bout d'une heure j'ai mal aux pieds. Trois étoiles."),
    ('fr', 'Facile à nettoyer. Le couvercle fuit si on penche la bouteille, très agaçant. Sinon une bouteille normale.'),
    ('es', 'El envío fue rápido. Por desgracia el asa se rompió a la semana. Por el precio, está bien.'),
    ('es', 'Queda bonito en la estantería. El sonido es pobre y los graves flojos. Para la cocina sirve.'),
    ('es', 'La talla es la esperada. La tela hace bolitas tras dos lavados, decepcionante. En casa lo sigo usando.'),
    ('es', 'Se instala en diez minutos. La aplicación se desconecta continuamente y eso es muy molesto. Cuando funciona, funciona.'),
    ('es', 'Llegó a tiempo y bien embalado. La batería dura mucho menos de lo anunciado. Un producto normalito.'),
    ('es', 'El color es algo distinto al de las fotos. El material parece barato. Vale para un uso ocasional.'),
    ('es', 'Cómodas para paseos cortos. Después de una hora me duelen los pies. Tres estrellas.'),
    ('es', 'Fácil de limpiar. La tapa gotea si inclinas la botella, muy fastidioso. Por lo demás, una botella normal.'),
]  # fmt: skip


def test_mixed_reviews_are_rarely_turned_negative(scorer: AffectScorer) -> None:
    """A review with a positive sentence is mixed and keeps its whole reading; the reading by sentence may only turn
    those whose plus the model does not read positive. Measured when adopted: 1 of the 32 (docs/affect_heads.md,
    eleventh round; a "sure positive" rule instead turned 3)."""
    texts, languages = [t for _, t in MIXED_REVIEWS], [lang for lang, _ in MIXED_REVIEWS]
    whole = scorer.score_texts(texts, languages, by_sentence=False).sentiment.argmax(1)
    read = scorer.score_texts(texts, languages)
    turned = [t for t, w, r in zip(texts, whole, read.sentiment.argmax(1), strict=True) if w != NEGATIVE == r]
    assert len(turned) <= 2, turned
