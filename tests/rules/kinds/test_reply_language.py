"""`reply_language`: the agent answers in the language the customer last wrote in; unsure or short turns never fail."""

from collections.abc import Callable

import pytest

RULE = {"kind": "reply_language", "category": "language"}


@pytest.mark.parametrize(
    ("language", "customer", "agent", "outcome"),
    [
        ("en", "Where is my parcel? It was due on Monday.", "Hi, I've checked it: it arrives tomorrow before noon.",
         "pass"),
        ("de", "Wo bleibt mein Paket? Es sollte am Montag kommen.",
         "We are sorry for the delay, your parcel arrives tomorrow.", "fail"),
        ("zh", "我的快递到哪里了？周一就该到了。", "您好，已为您查询，包裹明天上午送达。", "pass"),
        ("ja", "荷物はいつ届きますか？月曜日に届く予定でした。", "您好，您的包裹明天送达，请耐心等待。", "fail"),
        ("fr", "Où est mon colis ? Il devait arriver lundi.", "Hola, tu paquete llegará mañana por la mañana.", "fail"),
        ("th", "พัสดุของฉันอยู่ที่ไหนคะ ควรจะถึงวันจันทร์", "Your parcel will arrive tomorrow, thank you for waiting.",
         "fail"),
        ("pl", "Gdzie jest moja paczka? Miała przyjść w poniedziałek.", "Dzień dobry, paczka dotrze jutro rano.",
         "pass"),
    ],
)  # fmt: skip
def test_the_reply_is_judged_against_the_customers_language(
    judge: Callable, language: str, customer: str, agent: str, outcome: str
) -> None:
    row = judge(RULE, {"id": "t", "language": language, "turns": [("customer", customer), ("agent", agent)]})[
        "t"
    ]
    assert row["outcome"] == outcome, row["detail"]
    if outcome == "fail":
        assert row["evidence"]["turn_index"] == 1 and "agent wrote in" in row["evidence"]["note"]


def test_the_customers_latest_language_counts_when_they_switch(judge: Callable) -> None:
    turns = [
        ("customer", "Hallo, wo bleibt meine Bestellung?"),
        ("agent", "Guten Tag, ich sehe sofort nach, einen Moment bitte."),
        ("customer", "Sorry, can we continue in English please? My German is bad."),
        ("agent", "Guten Tag, Ihre Bestellung kommt am Donnerstag an."),
    ]
    row = judge(RULE, {"id": "t", "language": "de", "turns": turns})["t"]
    assert row["outcome"] == "fail" and row["evidence"]["turn_index"] == 3
    assert "'de', the customer in 'en'" in row["detail"]


@pytest.mark.parametrize(
    "agent",
    ["OK!", "Danke!", "302-1234567-7654321", "https://track.example.com/DE1234567890", "👍🙂"],
)
def test_short_or_id_only_replies_are_not_judged(judge: Callable, agent: str) -> None:
    turns = [("customer", "Où est mon colis ? Il devait arriver lundi."), ("agent", agent)]
    assert judge(RULE, {"id": "t", "language": "fr", "turns": turns})["t"]["outcome"] == "na"


def test_an_all_kanji_japanese_reply_is_not_called_chinese(judge: Callable) -> None:
    turns = [
        ("customer", "注文した商品がまだ届きません。確認してください。"),
        ("agent", "注文番号確認済、明日発送予定"),
    ]
    assert judge(RULE, {"id": "t", "language": "ja", "turns": turns})["t"]["outcome"] == "na"


def test_a_customer_language_the_detector_does_not_know_is_na(judge: Callable) -> None:
    turns = [
        ("customer", "Habari, kifurushi changu kiko wapi?"),
        ("agent", "Hello, your parcel arrives tomorrow."),
    ]
    # Swahili is not detectable: the ticket's language decides and the rule cannot judge it
    row = judge(RULE, {"id": "t", "language": "sw", "turns": [("agent", turns[1][1])]})["t"]
    assert row["outcome"] == "na"
