"""Short replies the models misread without context: phatic ones scored neutral when read negative, dismissive ones
scored negative when read otherwise, French relief scored positive when read negative (models/phatic.yaml,
models/dismissive.yaml, models/relief.yaml)."""

from __future__ import annotations

import numpy as np
import pytest

from qa_engine.affect.labels import EMOTIONS, SENTIMENTS
from qa_engine.affect.scorer import _correct_short_replies
from qa_engine.affect.short_replies import (
    ShortReplies,
    dismissive_replies,
    is_courtesy,
    phatic_replies,
    relief_replies,
)
from qa_engine.errors import QAError


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("nope that's all", "en"),
        ("No, thanks!", "en"),
        ("Nein, das war alles.", "de"),
        ("没有了", "zh"),
        ("いいえ、大丈夫です。", "ja"),
        ("No, eso es todo, gracias", "es"),
        ("Non merci, c'est tout !", "fr"),
        # bare answers to a yes/no question, which the model read negative 0.4-0.97
        ("Nein, noch nicht.", "de"),
        ("Nein, das ist alles.", "de"),
        ("No, I haven't.", "en"),
        ("还没有。", "zh"),
        ("いいえ、まだです。", "ja"),
        ("No, todavía no.", "es"),
        ("Non, pas encore.", "fr"),
        ("Nada, gracias!", "es"),  # read 0.79 negative
        ("Rien, merci.", "fr"),
    ],
)
def test_closing_replies_are_phatic(text: str, language: str) -> None:
    assert phatic_replies().matches(text, language)


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("not good", "en"),
        ("no way!!", "en"),
        ("No, this is not acceptable, I want a refund", "en"),
        ("没有了，我要投诉", "zh"),
        ("Nein, das war alles. Und ich bin sehr enttäuscht.", "de"),
        # impatience is not a bare answer
        ("Immer noch nicht!", "de"),
        ("Still not here.", "en"),
        ("Toujours pas.", "fr"),
        ("还没有收到，太慢了", "zh"),
        ("Noch nicht, und das nervt.", "de"),
        ("Nada funciona.", "es"),
        ("Rien ne marche", "fr"),
        ("nope that's all", "xx"),  # a language without a list
        ("", "en"),
    ],
)
def test_statements_with_content_are_not_phatic(text: str, language: str) -> None:
    assert not phatic_replies().matches(text, language)


def test_only_a_negative_reading_of_a_phatic_reply_is_neutralised() -> None:
    texts = ["nope that's all", "thanks!", "this is terrible"]
    sent = np.array([[0.9, 0.05, 0.05], [0.05, 0.05, 0.9], [0.9, 0.05, 0.05]], dtype=np.float32)
    emo = np.full((3, len(EMOTIONS)), 1 / len(EMOTIONS), dtype=np.float32)
    flags: list[str | None] = [None, None, None]
    _correct_short_replies(texts, ["en"] * 3, sent, emo, flags)
    assert SENTIMENTS[sent[0].argmax()] == "neutral" and EMOTIONS[emo[0].argmax()] == "neutral"
    assert flags == ["phatic_reply", None, None]
    assert SENTIMENTS[sent[1].argmax()] == "positive"  # a friendly "thanks" keeps its reading
    assert SENTIMENTS[sent[2].argmax()] == "negative"


def test_unquoted_yaml_booleans_are_a_clear_error(tmp_path) -> None:
    file = tmp_path / "phatic.yaml"
    file.write_text("max_chars: 40\nphrases:\n  en: [no, ok]\n", encoding="utf-8")
    with pytest.raises(QAError, match="quote them"):
        ShortReplies.load(file)


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Faites ce que vous voulez.", "fr"),
        ("Laissez tomber...", "fr"),
        ("Olvídelo, ya da igual.", "es"),
        ("Machen Sie doch, was Sie wollen!", "de"),
        ("Vergiss es.", "de"),
        ("もういいです。", "ja"),
        ("算了算了", "zh"),
        ("Forget it. Whatever.", "en"),
        # fed up: the models read these neutral or positive alone
        ("J'en ai assez !", "fr"),
        ("Ras-le-bol.", "fr"),
        ("Jetzt reicht es aber.", "de"),
        ("I've had enough.", "en"),
        ("This is a joke.", "en"),
        ("いい加減にしてください。", "ja"),
        ("我受够了！", "zh"),
        ("Ya basta. No aguanto más.", "es"),
        # annoyed: read weakly negative or even positive alone ("Ich bin wirklich genervt." positive 0.85)
        ("Ich bin echt genervt.", "de"),
        ("Ich bin wirklich genervt!", "de"),
        ("Ich bin sauer.", "de"),
        ("Je suis énervée.", "fr"),
        ("Me fastidia.", "es"),
        ("ムカつく。", "ja"),
        ("心累。", "zh"),
    ],
)
def test_dismissals_are_dismissive(text: str, language: str) -> None:
    assert dismissive_replies().matches(text, language)


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("egal", "de"),  # also the answer to "which colour?"
        ("da igual", "es"),
        ("随便", "zh"),
        ("Never mind, I found the tracking number!", "en"),
        ("Laissez tomber la commande, je la récupère en magasin demain, merci", "fr"),
        ("forget it", "pt"),  # a language without a list
        ("Ça suffit, merci.", "fr"),  # "that will do"
        ("Es reicht.", "de"),
        ("", "fr"),
    ],
)
def test_ambiguous_or_longer_turns_are_not_dismissive(text: str, language: str) -> None:
    assert not dismissive_replies().matches(text, language)


def test_only_a_reading_that_is_not_surely_negative_is_made_negative() -> None:
    texts = [
        "Faites ce que vous voulez.",
        "Faites ce que vous voulez.",
        "Je suis énervée.",
        "Merci beaucoup !",
    ]
    sent = np.array(
        [[0.1, 0.6, 0.3], [0.85, 0.1, 0.05], [0.6, 0.05, 0.35], [0.05, 0.05, 0.9]], dtype=np.float32
    )
    emo = np.full((4, len(EMOTIONS)), 1 / len(EMOTIONS), dtype=np.float32)
    flags: list[str | None] = [None] * 4
    _correct_short_replies(texts, ["fr"] * 4, sent, emo, flags)
    assert SENTIMENTS[sent[0].argmax()] == "negative" and EMOTIONS[emo[0].argmax()] == "anger"
    # surely negative (0.8 or more): the model's own reading stays; weakly negative (0.6) is made sure
    np.testing.assert_allclose(sent[1], [0.85, 0.1, 0.05])
    np.testing.assert_allclose(sent[2], [1.0, 0.0, 0.0])
    assert flags == ["dismissive_reply", None, "dismissive_reply", None]
    assert SENTIMENTS[sent[3].argmax()] == "positive"


@pytest.mark.parametrize(
    "text",
    [
        "Je suis soulagée !",
        "Ouf, ça me rassure.",
        "Merci, ça me soulage !",
        "Quel soulagement, merci beaucoup !",
        "je suis soulagee merci",  # typed without accents
    ],
)
def test_french_relief_is_relief(text: str) -> None:
    assert relief_replies().matches(text, "fr")


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Je ne suis pas rassurée du tout.", "fr"),  # a negated relief is another string
        ("Bon, d'accord.", "fr"),  # resignation: no relief word, and "bon" is not listed
        ("Super.", "fr"),  # may be sarcastic
        (
            "Je suis soulagée que vous répondiez enfin, après trois semaines sans nouvelles de ma commande.",
            "fr",
        ),
        ("I'm so relieved", "en"),  # the model reads relief right in the other languages: no list
    ],
)
def test_negated_resigned_or_longer_turns_are_not_relief(text: str, language: str) -> None:
    assert not relief_replies().matches(text, language)


def test_only_a_negative_reading_of_relief_is_made_positive() -> None:
    """The model's own reading stays unless it calls the relief negative; a phatic reply stays phatic."""
    texts = ["Je suis soulagée !", "Ça me rassure.", "Non merci, c'est tout."]
    sent = np.array([[0.97, 0.02, 0.01], [0.1, 0.2, 0.7], [0.8, 0.1, 0.1]], dtype=np.float32)
    emo = np.full((3, len(EMOTIONS)), 1 / len(EMOTIONS), dtype=np.float32)
    flags: list[str | None] = [None, None, None]
    _correct_short_replies(texts, ["fr"] * 3, sent, emo, flags)
    assert SENTIMENTS[sent[0].argmax()] == "positive" and EMOTIONS[emo[0].argmax()] == "joy"
    np.testing.assert_allclose(sent[1], [0.1, 0.2, 0.7])
    assert flags == ["relief_reply", None, "phatic_reply"]


def test_a_turn_of_emoji_of_thanks_is_positive_whatever_the_model_read() -> None:
    """A closing 👍 read neutral was a customer left waiting (reply SLA, yellow); a 👍 with words is the model's."""
    texts = ["👍", "🙏🏼🙏🏼", "❤️ 👍!", "👍 but where is it?", "😡", "ok"]
    sent = np.tile(np.array([0.04, 0.52, 0.44], dtype=np.float32), (len(texts), 1))
    emo = np.full((len(texts), len(EMOTIONS)), 1 / len(EMOTIONS), dtype=np.float32)
    flags: list[str | None] = [None] * len(texts)
    _correct_short_replies(texts, ["en"] * len(texts), sent, emo, flags)
    assert [SENTIMENTS[row.argmax()] for row in sent] == ["positive"] * 3 + ["neutral"] * 3
    assert flags[:3] == ["positive_emoji"] * 3 and flags[3:] == [None] * 3
    assert all(EMOTIONS[emo[i].argmax()] == "joy" for i in range(3))


@pytest.mark.parametrize(
    ("sentence", "language", "courtesy"),
    [
        ("Viele Grüße Sabine Krämer", "de", True),  # a sign-off with the writer's name
        ("Best regards, John", "en", True),
        ("Thanks in advance!", "en", True),
        ("Merci d'avance, Marie Dupont.", "fr", True),
        ("よろしくお願いいたします。", "ja", True),
        ("谢谢！", "zh", True),
        ("Delivery was quick.", "en", False),  # a review's plus is not courtesy
        ("Great product.", "en", False),
        ("Merci encore, c'est parfait.", "fr", False),
        ("Thanks for nothing, John", "en", False),
    ],
)
def test_courtesy_formulas_are_told_from_praise(sentence: str, language: str, courtesy: bool) -> None:
    assert is_courtesy(sentence, language) is courtesy
