import pytest

from qa_engine.nlp.normalize import base_language, fold, fold_lower


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("I’m sorry", "I'm sorry"),
        ("“quoted”", '"quoted"'),
        ("安全码：１２３？", "安全码:123?"),
        ("a\u3000b\u00a0c", "a b c"),
        ("İstanbul", "İstanbul"),
    ],
)
def test_fold_maps_one_character_to_one(text: str, folded: str) -> None:
    assert fold(text) == folded
    assert len(fold(text)) == len(text)


def test_fold_lower_keeps_length_even_where_lower_would_not() -> None:
    text = "İSTANBUL Ｃｖｖ"
    assert len("İ".lower()) == 2  # the reason fold_lower exists
    assert fold_lower(text) == "İstanbul cvv"
    assert len(fold_lower(text)) == len(text)


@pytest.mark.parametrize(
    ("code", "base"),
    [("zh-CN", "zh"), ("EN", "en"), ("pt_BR", "pt"), (None, "xx"), ("  ", "xx"), ("ja", "ja")],
)
def test_base_language(code: str | None, base: str) -> None:
    assert base_language(code) == base
