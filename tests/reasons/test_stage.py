"""The reasons stage on the real default models: contact reasons in six languages with evidence, topic changes,
no customer text, an unseen language, and escalation risk that ranks threats above ordinary requests."""

from __future__ import annotations

import json

import polars as pl
import pytest

from qa_engine.affect import AffectScorer
from qa_engine.nlp.pipelines import make_docs
from qa_engine.reasons import REASON_COLUMNS, REASONS, ReasonsStage
from tests.reasons.conftest import frames

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def scorer() -> AffectScorer:
    return AffectScorer.from_registry()


@pytest.fixture(scope="module")
def stage(scorer: AffectScorer) -> ReasonsStage:
    return ReasonsStage.load(scorer)


def run(stage: ReasonsStage, scorer: AffectScorer, *tickets: tuple[str, list[tuple[str, str]]]) -> list[dict]:
    ticket_frame, turns = frames(*tickets)
    turns, vectors = scorer.score_turns(turns, ticket_frame, with_vectors=True)
    out = stage.run(ticket_frame, turns, vectors, make_docs(ticket_frame, turns))
    assert out.schema == pl.Schema({"ticket_id": pl.String(), **REASON_COLUMNS})
    assert out["ticket_id"].to_list() == ticket_frame["ticket_id"].to_list()
    return out.to_dicts()


LOST = {
    "en": "The app says my parcel was delivered yesterday, but it is not here and not at the neighbours either.",
    "zh": "显示包裹昨天已经签收了，但是我家里和邻居那里都没有。",
    "de": "Laut Sendungsverfolgung wurde mein Paket gestern zugestellt, aber es ist nirgends zu finden.",
    "ja": "昨日配達済みになっている荷物が、家にも隣の家にもありません。",
    "es": "El seguimiento dice que mi paquete se entregó ayer, pero aquí no hay nada, tampoco en los vecinos.",
    "fr": "Le suivi indique que mon colis a été livré hier, mais il n'est ni chez moi ni chez les voisins.",
}
GREETING = {"en": "Hello", "zh": "你好", "de": "Hallo", "ja": "こんにちは", "es": "Hola", "fr": "Bonjour"}
THANKS = {
    "en": "ok thanks",
    "zh": "好的谢谢",
    "de": "ok danke",
    "ja": "わかりました",
    "es": "vale gracias",
    "fr": "d'accord merci",
}


def test_a_lost_parcel_is_logistics_in_every_language_with_the_turn_as_evidence(stage, scorer) -> None:
    tickets = [
        (lang, [("customer", GREETING[lang]), ("agent", "..."), ("customer", text), ("agent", "..."),
                ("customer", THANKS[lang])])
        for lang, text in LOST.items()
    ]  # fmt: skip
    rows = run(stage, scorer, *tickets)
    assert [r["contact_reason"] for r in rows] == ["logistics"] * len(LOST)
    assert sum(r["contact_sub_reason"] == "logistics.lost" for r in rows) >= 5, [
        r["contact_sub_reason"] for r in rows
    ]
    for lang, row in zip(LOST, rows, strict=True):
        assert stage.taxonomy.spec.min_score <= row["contact_reason_score"] <= 1
        evidence = json.loads(row["contact_reason_evidence"])
        assert evidence and evidence[0]["turn_index"] == 2, (lang, evidence)
        assert evidence[0]["text"] == LOST[lang][evidence[0]["start"] : evidence[0]["end"]]
        assert row["contact_reasons_other"] == [] and row["escalation_signals"] == []
        assert row["escalation_risk"] < 0.4
        assert row["customer_resolved"] is True


def test_a_topic_change_keeps_the_dominant_reason_and_lists_the_other(stage, scorer) -> None:
    (row,) = run(stage, scorer, ("en", [
        ("customer", "My order was charged twice on my credit card, I see two identical payments."),
        ("agent", "I'm sorry, let me check."),
        ("customer", "It is the same amount twice on my bank statement."),
        ("agent", "I see it, the second one will be refunded."),
        ("customer", "Thanks. Also, how do I change the password of my account? I forgot it."),
    ]))  # fmt: skip
    assert row["contact_reason"] == "payment"
    assert row["contact_sub_reason"] == "payment.double_charge"
    assert row["contact_reasons_other"] == ["account"]


def test_no_customer_text_is_other_with_score_zero_and_no_signals(stage, scorer) -> None:
    rows = run(
        stage, scorer,
        ("en", [("agent", "Your parcel is on its way, I will file a chargeback for you.")]),
        ("de", [("customer", "   "), ("agent", "Hallo?")]),
    )  # fmt: skip
    for row in rows:
        assert (row["contact_reason"], row["contact_reason_score"], row["contact_sub_reason"]) == (
            "other",
            0.0,
            None,
        )
        assert (row["escalation_risk"], row["escalation_signals"], row["contact_reason_evidence"]) == (
            0.0,
            [],
            "[]",
        )


def test_a_language_without_examples_still_gets_a_reason_with_a_lower_score(stage, scorer) -> None:
    text = "Il mio pacco risulta consegnato ma non l'ho mai ricevuto."
    (unseen,) = run(stage, scorer, ("it", [("customer", text)]))
    factor = stage.taxonomy.spec.unseen_language_factor
    assert unseen["contact_reason"] in REASONS
    assert unseen["contact_reason_score"] <= factor
    (evidence,) = json.loads(unseen["contact_reason_evidence"])
    assert "no taxonomy examples in 'it'" in evidence["note"]


THREATS = [
    ("en", "If the money is not back by Friday I will dispute the charge with my bank.", {"chargeback"}),
    ("zh", "你们再不处理，我就去12315投诉，还要给差评。", {"authority_legal", "public_review", "formal_complaint"}),
    ("de", "Ich will sofort Ihren Vorgesetzten sprechen, ich habe schon dreimal angerufen.",
     {"manager_request", "repeat_claim"}),
    ("ja", "これ以上対応がないなら弁護士に相談します。", {"authority_legal"}),
    ("es", "Voy a dejarles una reseña negativa y no vuelvo a comprar aquí.", {"public_review", "churn_threat"}),
    ("fr", "Je vais faire opposition auprès de ma banque.", {"chargeback"}),
]  # fmt: skip
ORDINARY = [
    ("en", "Could you tell me when my parcel will arrive?"),
    ("zh", "请问可以开发票吗？"),
    ("de", "Kann ich die Farbe meiner Bestellung noch ändern?"),
    ("ja", "返品の方法を教えてください。"),
    ("es", "¿Tienen esta chaqueta en talla M?"),
    ("fr", "Mon manager m'a demandé une facture, pouvez-vous me l'envoyer ?"),
]


def test_threats_raise_the_risk_with_their_signals_and_ordinary_requests_do_not(stage, scorer) -> None:
    threats = run(stage, scorer, *[(lang, [("customer", text)]) for lang, text, _ in THREATS])
    calm = run(stage, scorer, *[(lang, [("customer", text)]) for lang, text in ORDINARY])
    for (lang, text, signals), row in zip(THREATS, threats, strict=True):
        assert set(row["escalation_signals"]) == signals, (lang, row["escalation_signals"])
        assert row["escalation_risk"] >= 0.7, (lang, row["escalation_risk"])
        for item in json.loads(row["escalation_evidence"]):
            if item["signal"] != "model":
                assert text[item["start"] : item["end"]] == item["text"]
    for (lang, _), row in zip(ORDINARY, calm, strict=True):
        assert row["escalation_signals"] == [], lang
        assert row["escalation_risk"] < 0.4, (lang, row["escalation_risk"])
    assert min(r["escalation_risk"] for r in threats) > max(r["escalation_risk"] for r in calm)


def test_a_customer_who_ends_settled_lowers_the_risk_but_keeps_the_signals(stage, scorer) -> None:
    threat = ("customer", "I want to speak to your manager, this is the third time I write about my refund.")
    unsettled, settled = run(
        stage, scorer,
        ("en", [threat, ("agent", "I have issued the refund now."), ("customer", "Still nothing on my card.")]),
        ("en", [threat, ("agent", "I have issued the refund now."), ("customer", "Great, thank you, that helps!")]),
    )  # fmt: skip
    assert (
        unsettled["escalation_signals"]
        == settled["escalation_signals"]
        == ["manager_request", "repeat_claim"]
    )
    factor = stage.signals.spec.settled_factor
    assert settled["escalation_risk"] == pytest.approx(unsettled["escalation_risk"] * factor, abs=0.05)
    assert [
        i["turn_index"] for i in json.loads(settled["escalation_evidence"]) if i["signal"] == "settled"
    ] == [2]
    assert settled["customer_resolved"] and not unsettled["customer_resolved"]


# closing replies the escalation model, fitted on requests, read as escalating (0.8-0.97) before they stopped counting
CLOSINGS = {
    "es": "No, nada más.",
    "de": "Ja, bitte.",
    "fr": "D'accord.",
    "en": "Yes please.",
    "ja": "はい、お願いします。",
}


def test_a_closing_reply_is_no_escalation_evidence(stage, scorer) -> None:
    rows = run(stage, scorer, *[(lang, [("customer", text)]) for lang, text in CLOSINGS.items()])
    for lang, row in zip(CLOSINGS, rows, strict=True):
        assert row["escalation_risk"] == 0.0, (lang, row["escalation_risk"])
        assert [i for i in json.loads(row["escalation_evidence"]) if i["signal"] == "model"] == [], lang
    # the request before it is still read: the closing does not hide a threat
    (row,) = run(stage, scorer, ("en", [("customer", THREATS[0][1]), ("customer", "Yes please.")]))
    assert row["escalation_risk"] >= 0.7


# short plain answers to the agent's question that the escalation model read at 0.65-0.95 before they stopped counting
ANSWERS = {
    "en": ("Could you confirm the delivery address?", "Same address as always."),
    "es": ("¿Usó el mismo correo que tiene en su cuenta?", "Sí, con el mismo correo de siempre."),
    "fr": ("C'est bien la commande du 3 mars ?", "Oui, c'est bien celle-là."),
    "de": ("Soll der Ersatz an dieselbe Adresse gehen?", "Ja, an die gleiche Adresse."),
    "zh": ("请问是尾号4471的手机吗？", "对，就是这个号码。"),
    # a question ending in か。, with no "？"
    "ja": ("どちらでご購入されましたか。", "御社のサイトで買いました。"),
}


def test_a_short_plain_answer_to_the_agents_question_is_no_escalation_evidence(stage, scorer) -> None:
    asked = [(lang, [("agent", q), ("customer", a)]) for lang, (q, a) in ANSWERS.items()]
    for lang, row in zip(ANSWERS, run(stage, scorer, *asked), strict=True):
        assert row["escalation_risk"] == 0.0, (lang, row["escalation_evidence"])
    # the same words after a statement, not a question, are still read: the gate is about answering
    told = [(lang, [("agent", "Noted."), ("customer", a)]) for lang, (_, a) in ANSWERS.items()]
    read = [
        lang for lang, row in zip(ANSWERS, run(stage, scorer, *told), strict=True) if row["escalation_risk"]
    ]
    assert len(read) >= 4, read
    # an answer that reads negative still counts: curt and angry is not a plain answer
    angry = run(
        stage, scorer,
        ("es", [("agent", "¿Ha probado a reiniciar la app?"), ("customer", "Sí, mil veces, y sigue igual de mal.")]),
        ("zh", [("agent", "您试过重启吗？"), ("customer", "试过了，根本没用。")]),
    )  # fmt: skip
    for row in angry:
        assert [
            i["turn_index"] for i in json.loads(row["escalation_evidence"]) if i["signal"] == "model"
        ] == [1]


# "my order has not arrived", the commonest request there is, in the words of a customer who says what they bought:
# before the examples in this phrasing the classifier read most of these as a damaged or wrong item (1.00) or a
# missing order confirmation (0.98). Written before those examples and kept apart from them.
NOT_ARRIVED = [
    ("en", "My order hasn't arrived yet."), ("en", "The order I placed hasn't arrived yet. Order 5521-889."),
    ("en", "I haven't received my order."), ("en", "The item I ordered has not arrived."),
    ("de", "Meine Bestellung ist noch nicht angekommen."), ("de", "Die bestellte Ware ist noch nicht da."),
    ("fr", "L'article commandé n'est pas encore arrivé."), ("fr", "Ma commande n'est toujours pas arrivée."),
    ("es", "El producto que pedí todavía no ha llegado."), ("es", "Mi pedido no ha llegado."),
    ("zh", "我买的东西还没到。"), ("zh", "订购的商品还没收到。"),
    ("ja", "注文した商品がまだ届きません。注文番号は 5521-889 です。"), ("ja", "注文したものが届いていません。"),
    ("ja", "商品がまだ届きません。"),
]  # fmt: skip
ARRIVED_WRONG_OR_UNCONFIRMED = [
    ("en", "The item I ordered arrived broken.", "returns"),
    ("es", "El producto que pedí llegó roto.", "returns"),
    ("en", "I haven't received the order confirmation email.", "order"),
    ("de", "Ich habe keine Bestellbestätigung bekommen.", "order"),
]


def test_an_order_that_has_not_arrived_is_logistics_in_every_language(stage, scorer) -> None:
    rows = run(stage, scorer, *[(lang, [("customer", text)]) for lang, text in NOT_ARRIVED])
    wrong = [(text, r["contact_sub_reason"]) for (_, text), r in zip(NOT_ARRIVED, rows, strict=True)
             if r["contact_reason"] != "logistics"]  # fmt: skip
    assert wrong == []
    rows = run(
        stage, scorer, *[(lang, [("customer", text)]) for lang, text, _ in ARRIVED_WRONG_OR_UNCONFIRMED]
    )
    assert [r["contact_reason"] for r in rows] == [reason for *_, reason in ARRIVED_WRONG_OR_UNCONFIRMED]
