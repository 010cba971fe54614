"""Turn text sent as HTML (an e-mail body, a helpdesk export's rich text) into the plain text a person reads.

Exports and helpdesk APIs often hand over a message as `<p>Hello,</p><p>I&#39;m still waiting&nbsp;…</p>`. Read as
it is, the tags and entities reach the rules ("greeting" sees `<p>Hello`), the language detector (an HTML-wrapped
Chinese e-mail read as English) and the affect model, and the review app and reports show the markup. A text is
taken for HTML only when it holds tags of the kinds e-mail bodies are made of, so "a <b> c" or "I <3 it" in a
chat message stays as written. Python's own `html.parser` does the reading: no dependency for a small job.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import polars as pl

_TAGS = "p|br|div|span|b|i|u|strong|em|a|ul|ol|li|table|tbody|thead|tr|td|th|html|body|head|font|blockquote|img|hr|h[1-6]|pre|center|meta|style|o:p"
HTML_TAG = rf"(?i)</?(?:{_TAGS})(?:\s[^<>]*)?/?>"  # Python's re and polars (Rust regex) read it alike
_LOOKS_LIKE_HTML = re.compile(HTML_TAG)
_BLOCKS = frozenset({"p", "div", "br", "li", "tr", "table", "blockquote", "hr", "pre", "ul", "ol",
                     "h1", "h2", "h3", "h4", "h5", "h6", "center"})  # fmt: skip
_HIDDEN = frozenset({"head", "style", "script", "title"})


def looks_like_html(text: str) -> bool:
    return bool(_LOOKS_LIKE_HTML.search(text))


def plain_text_column(texts: pl.Expr) -> pl.Expr:
    """`html_to_text` over a column, run only on the texts that hold tags."""
    converted = texts.map_elements(html_to_text, return_dtype=pl.String)
    return pl.when(texts.str.contains(HTML_TAG).fill_null(False)).then(converted).otherwise(texts)


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag in _HIDDEN:
            self.hidden += 1
        elif tag in _BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _HIDDEN:
            self.hidden = max(0, self.hidden - 1)
        elif tag in _BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self.parts.append(data)


def html_to_text(text: str) -> str:
    """The text of an HTML body: block tags and <br> as line breaks, entities decoded (`&nbsp;` a space), at most
    one empty line in a row; a text that is not HTML, or whose HTML holds no text, is returned as it is."""
    if not looks_like_html(text):
        return text
    reader = _Text()
    reader.feed(text)
    reader.close()
    lines = [" ".join(line.replace("\xa0", " ").split()) for line in "".join(reader.parts).split("\n")]
    plain = re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
    return plain or text
