import pytest

from qa_engine.nlp.normalize import fold
from qa_engine.nlp.phrases import PhraseFinder
from qa_engine.nlp.pipelines import get_nlp


def found(finder: PhraseFinder, text: str, language: str) -> list[str]:
    doc = get_nlp(language)(fold(text))
    return [text[m.start : m.end] for m in finder.find(doc, language)]


@pytest.mark.parametrize(
    ("language", "phrase", "text"),
    [
        # jieba cuts 安全码 into 安全 + 码 here, and 小李 into 小 + 李
        ("zh", "安全码", "您的安全码：123"),
        ("zh", "我是小李", "您好，我是小李，很高兴为您服务"),
        ("zh", "理解您的心情", "非常抱歉，理解您的心情。"),
        # Sudachi cuts ご不便をおかけして into several tokens
        ("ja", "ご不便をおかけ", "ご不便をおかけして申し訳ございません"),
        ("ja", "担当の佐藤", "こんにちは、担当の佐藤です。"),
    ],
)
def test_chinese_and_japanese_match_whatever_the_segmenter_does(
    language: str, phrase: str, text: str
) -> None:
    tokens = [t.text for t in get_nlp(language)(text)]
    assert phrase not in tokens  # the phrase is not one token in context...
    assert found(PhraseFinder({language: [phrase]}), text, language) == [phrase]  # ...yet it is found


def test_full_width_and_case_fold_in_substring_languages() -> None:
    assert found(PhraseFinder({"zh": ["cvv码"]}), "请提供ＣＶＶ码", "zh") == ["ＣＶＶ码"]


@pytest.mark.parametrize(
    ("text", "hits"),
    [
        ("Hi, this is Mia.", ["Hi"]),
        ("Is this your order?", []),  # "hi" is not a token of "this"
        ("I’m sorry!", ["I’m sorry"]),  # curly apostrophe in the text, straight in the list
        ("HELLO there", ["HELLO"]),
    ],
)
def test_spaced_languages_match_whole_tokens(text: str, hits: list[str]) -> None:
    assert found(PhraseFinder({"en": ["hi", "hello", "I'm sorry"]}), text, "en") == hits


def test_lemma_matching_only_when_asked() -> None:
    text = "I verified your identity yesterday."
    assert found(PhraseFinder({"en": ["verify your identity"]}), text, "en") == []
    # Docs need lemmas for this: the full English pipeline makes them
    doc = get_nlp("en")(text)
    finder = PhraseFinder({"en": ["verify your identity"]}, lemma=True)
    assert [text[m.start : m.end] for m in finder.find(doc, "en")] == ["verified your identity"]


def test_star_list_applies_to_every_language_and_coverage() -> None:
    finder = PhraseFinder({"*": ["ok"], "de": ["gut"]})
    assert finder.covers("fr") and finder.covers("de")
    assert found(finder, "Gut, ok.", "de") == ["Gut", "ok"]
    assert not PhraseFinder({"de": ["gut"]}).covers("fr")
    assert found(PhraseFinder({"de": ["gut"]}), "gut", "fr") == []
