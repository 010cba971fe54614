"""`.json` files: one JSON array of tickets, or JSON Lines under a .json name, or ticket objects written one after
the other (pretty-printed).

Arrays and object sequences are read incrementally (the file is never loaded whole): each item's text is cut out of
a sliding buffer with `json.JSONDecoder.raw_decode`. A syntax error between or inside items stops the run (Q002):
past it there is no telling where the next ticket starts. Items that parse but are not valid tickets are
quarantined like lines of a JSON Lines file.
"""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from qa_engine.errors import QAError
from qa_engine.sources.inputs import check_text_file
from qa_engine.sources.json_records import json_batches
from qa_engine.sources.jsonl import looks_like_json_lines, numbered_lines
from qa_engine.sources.registry import register_source
from qa_engine.validation.raw import RawBatch

READ_BYTES = 1 << 20
WHITESPACE = re.compile(r"[ \t\r\n]*")


class JsonScanner:
    """A sliding window over a UTF-8 JSON file that cuts out one value at a time and knows its line."""

    def __init__(self, handle: BinaryIO, label: str) -> None:
        self.handle, self.label = handle, label
        self.utf8 = codecs.getincrementaldecoder("utf-8-sig")()
        self.decoder = json.JSONDecoder()
        self.text, self.pos, self.line = "", 0, 1  # `line` is the line number at `pos`
        self.bytes_read, self.eof = 0, False

    def fail(self, detail: str) -> QAError:
        return QAError("Q002", path=self.label, detail=detail)

    def _more(self) -> bool:
        """Read the next block, dropping text already consumed; False at the end of the file."""
        if self.eof:
            return False
        block = self.handle.read(READ_BYTES)
        try:
            chunk = self.utf8.decode(block, final=not block)
        except UnicodeDecodeError as error:
            raise self.fail(f"byte {self.bytes_read + error.start + 1} is not UTF-8") from error
        self.bytes_read += len(block)
        self.eof = not block
        self.text, self.pos = self.text[self.pos :] + chunk, 0
        return True

    def _advance(self, to: int) -> None:
        self.line += self.text.count("\n", self.pos, to)
        self.pos = to

    def peek(self) -> str | None:
        """The next character that is not whitespace (not consumed), or None at the end of the file."""
        while True:
            self._advance(WHITESPACE.match(self.text, self.pos).end())
            if self.pos < len(self.text):
                return self.text[self.pos]
            if not self._more():
                return None

    def expect(self, allowed: str) -> str:
        """Consume one of the `allowed` characters."""
        found = self.peek()
        if found is None or found not in allowed:
            shown = "the end of the file" if found is None else repr(found)
            raise self.fail(f"expected {' or '.join(map(repr, allowed))} at line {self.line}, found {shown}")
        self._advance(self.pos + 1)
        return found

    def value(self) -> tuple[int, str]:
        """(line, text) of the next JSON value; reads on while the value runs past the window."""
        self.peek()
        while True:
            try:
                _, end = self.decoder.raw_decode(self.text, self.pos)
                # A number cut by the window end would still parse: only trust a value that ends before it.
                if end < len(self.text) or self.eof:
                    break
            except json.JSONDecodeError as error:
                if self.eof:
                    line = self.line + self.text.count("\n", self.pos, error.pos)
                    raise self.fail(f"invalid JSON at line {line}: {error.msg}") from error
            self._more()
        line, text = self.line, self.text[self.pos : end]
        self._advance(end)
        return line, text


def array_items(path: Path, label: str) -> Iterator[tuple[str, str]]:
    """("line L (item N)", text) for every item of the top-level array."""
    with path.open("rb") as handle:
        scanner = JsonScanner(handle, label)
        scanner.expect("[")
        item = 0
        if scanner.peek() == "]":
            scanner.expect("]")
        else:
            while True:
                line, text = scanner.value()
                item += 1
                yield f"line {line} (item {item})", text
                if scanner.expect(",]") == "]":
                    break
        if scanner.peek() is not None:
            raise scanner.fail(f"unexpected text after the array at line {scanner.line}")


def concatenated_values(path: Path, label: str) -> Iterator[tuple[str, str]]:
    """("line L", text) for every top-level value of a file of values written one after the other."""
    with path.open("rb") as handle:
        scanner = JsonScanner(handle, label)
        while scanner.peek() is not None:
            line, text = scanner.value()
            yield f"line {line}", text


def _first_line(path: Path, label: str) -> str:
    """The first non-blank line, trimmed ("" for an empty file)."""
    for _, line in numbered_lines(path, label):
        return line.decode("utf-8", errors="replace").strip()
    return ""


@register_source(".json")
def read_json(path: Path, label: str) -> Iterator[RawBatch]:
    """Blocks of whole tickets from a .json file, whichever of the three layouts it uses.

    The first line tells them apart: "[..." opens an array; a line ending in "}" is a whole ticket, so the file is
    JSON Lines; any other line starting with "{" opens a pretty-printed object.
    """
    check_text_file(path, label)
    first = _first_line(path, label)
    if first.startswith("["):
        records = array_items(path, label)
    elif first.endswith("}") or not first:
        if not looks_like_json_lines(path, label):
            raise QAError("Q002", path=label, detail="it is neither a JSON array of tickets nor JSON Lines")
        records = numbered_lines(path, label)
    elif first.startswith("{"):
        records = concatenated_values(path, label)
    else:
        raise QAError("Q002", path=label, detail="it is neither a JSON array of tickets nor JSON Lines")
    yield from json_batches(label, records)
