import polars as pl
import pytest

from qa_engine.errors import QAError
from qa_engine.nlp.language import DEFAULT_LANGUAGE, detect_language, detect_languages

SAMPLES = {
    "en": "Where is my parcel? I ordered it two weeks ago and nothing has arrived.",
    "zh": "我的包裹两个星期了还没有到，请帮我查一下。",
    "de": "Wo bleibt mein Paket? Ich habe es vor zwei Wochen bestellt.",
    "ja": "二週間前に注文した荷物がまだ届きません。確認してください。",
    "es": "¿Dónde está mi paquete? Lo pedí hace dos semanas y no ha llegado.",
    "fr": "Où est mon colis ? Je l'ai commandé il y a deux semaines.",
    "it": "Dov'è il mio pacco? L'ho ordinato due settimane fa.",
    "ko": "제 소포가 2주가 지났는데 아직 도착하지 않았어요.",
}


@pytest.mark.parametrize(("language", "text"), SAMPLES.items())
def test_detects_each_language(language: str, text: str) -> None:
    assert detect_language(text) == language


@pytest.mark.parametrize("text", ["", None, "?", "12345 !!", "👍"])
def test_too_short_text_gets_the_default(text: str | None) -> None:
    assert detect_language(text) == DEFAULT_LANGUAGE
    assert detect_language(text, default="de") == "de"


def _turns(rows: list[tuple[str, int, str, str | None]]) -> pl.DataFrame:
    return pl.DataFrame(
        rows, schema={"ticket_id": pl.String, "turn_index": pl.Int64, "speaker": pl.String, "text": pl.String},
        orient="row",
    )  # fmt: skip


def test_fills_only_missing_languages_and_flags_them() -> None:
    tickets = pl.DataFrame({"ticket_id": ["given", "missing", "blank"], "language": ["fr", None, " "]})
    turns = _turns([
        ("given", 0, "customer", SAMPLES["de"]),
        ("missing", 0, "customer", SAMPLES["es"]),
        ("blank", 0, "customer", SAMPLES["ja"]),
    ])  # fmt: skip
    out = detect_languages(tickets, turns)
    assert out["ticket_id"].to_list() == ["given", "missing", "blank"]
    assert out["language"].to_list() == ["fr", "es", "ja"]
    assert out["language_detected"].to_list() == [False, True, True]


def test_customer_text_decides_over_the_agent_template() -> None:
    tickets = pl.DataFrame(
        {"ticket_id": ["t"], "language": [None]}, schema={"ticket_id": pl.String, "language": pl.String}
    )
    turns = _turns([
        ("t", 0, "agent", "Hello, thank you for contacting customer support. How can I help you today with your order?"),
        ("t", 1, "customer", SAMPLES["de"]),
        ("t", 2, "agent", "Thank you, we will check your order and come back to you within 24 hours."),
    ])  # fmt: skip
    assert detect_languages(tickets, turns)["language"].item() == "de"


def test_short_customer_text_falls_back_to_the_whole_conversation() -> None:
    tickets = pl.DataFrame({"ticket_id": ["t"], "language": [None]})
    turns = _turns([("t", 0, "customer", "ok"), ("t", 1, "agent", SAMPLES["fr"])])
    assert detect_languages(tickets, turns)["language"].item() == "fr"


def test_ticket_without_usable_text_gets_the_default() -> None:
    tickets = pl.DataFrame({"ticket_id": ["emoji", "no turns"], "language": [None, None]})
    turns = _turns([("emoji", 0, "customer", "👍"), ("emoji", 1, "agent", None)])
    out = detect_languages(tickets, turns, default="zh")
    assert out["language"].to_list() == ["zh", "zh"]
    assert out["language_detected"].to_list() == [True, True]


def test_missing_columns_are_named() -> None:
    with pytest.raises(QAError, match=r"Q110.*turns.*\['speaker'\]"):
        detect_languages(pl.DataFrame({"ticket_id": ["t"], "language": [None]}),
                         pl.DataFrame({"ticket_id": ["t"], "turn_index": [0], "text": ["hi"]}))  # fmt: skip
