"""Chart text in any script: an agent named 王芳 or a team called チーム東京 is drawn, not shown as boxes."""

from __future__ import annotations

import warnings

import pytest
from matplotlib import font_manager

from qa_engine.reports import charts


@pytest.mark.skipif(
    not any("CJK" in font.name for font in font_manager.fontManager.ttflist), reason="no CJK font installed"
)
def test_chinese_and_japanese_names_have_their_glyphs() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter(
            "error"
        )  # matplotlib warns "Glyph ... missing from font(s)" for each box it draws
        chart = charts.trend_chart(
            ["W1", "W2"], {"red": [1, 0], "yellow": [0, 1], "green": [2, 2]}, [80.0, 90.0], [85.0, 85.0], [],
            "王芳 (mean)", "チーム東京 median", "week",
        )  # fmt: skip
    assert chart.uri.startswith("data:image/png;base64,")
