"""The one YAML reader for pack files (and the key-issue files beside them): data plus the line of every value.

QA leads edit these files by hand, so a mistake must name the file and the line. `LineLoader` is PyYAML's safe
loader that keeps the node tree (each node knows its `start_mark`) and refuses a key written twice (PyYAML would
keep the second silently, hiding a mistake). `line_of` walks that tree to the line of any value, and
`field_error` turns pydantic's first error into (line, dotted field, message) for a coded `QAError`.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from qa_engine.errors import QAError

Model = TypeVar("Model", bound=BaseModel)


class DuplicateKey(yaml.MarkedYAMLError):
    """A mapping names the same key twice."""


# libyaml's parser when PyYAML was built with it (ten times faster: a pack has thousands of phrases)
_BASE = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class LineLoader(_BASE):  # type: ignore[misc,valid-type]
    """PyYAML's safe loader that rejects duplicate keys, reporting both lines (the node tree keeps the rest)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            if isinstance(key_node, yaml.ScalarNode):
                line = key_node.start_mark.line + 1
                if key_node.value in seen:
                    raise DuplicateKey(
                        problem=f"key '{key_node.value}' appears twice (lines {seen[key_node.value]} and {line})",
                        problem_mark=key_node.start_mark,
                    )
                seen[key_node.value] = line
        return super().construct_mapping(node, deep=deep)


@dataclass(frozen=True)
class YamlDocument:
    """A parsed file: its data, its node tree (None for an empty file), its bytes' sha256 prefix and its bytes."""

    file: Path
    data: Any
    node: yaml.Node | None
    raw: bytes

    @property
    def sha(self) -> str:
        return hashlib.sha256(self.raw).hexdigest()[:12]

    def line(self, *loc: Any) -> int:
        return line_of(self.node, loc)


def read_yaml(file: str | Path, code: str = "Q105", **fields: Any) -> YamlDocument:
    """Parse `file`; text that is not UTF-8 or not YAML, or a key given twice, raises `code` (its message's
    `file`, `line` and `detail` filled in, plus `fields`, e.g. `field="(yaml)"` for codes that name a field)."""
    path = Path(file)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise QAError(code, file=path, line=1, detail=f"cannot read it: {exc}", **fields) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise QAError(code, file=path, line=line, detail="not UTF-8 text", **fields) from None
    loader = LineLoader(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        detail = f"{exc.context or ''} {exc.problem or ''}".strip()
        raise QAError(code, file=path, line=mark.line + 1 if mark else 1, detail=detail, **fields) from None
    except yaml.YAMLError as exc:
        raise QAError(code, file=path, line=1, detail=str(exc), **fields) from None
    finally:
        loader.dispose()
    return YamlDocument(file=path, data=data, node=node, raw=raw)


def line_of(node: yaml.Node | None, loc: tuple[Any, ...] | list[Any]) -> int:
    """The line of the deepest node along `loc` (mapping keys and list indexes) that exists: a missing field
    points at its parent."""
    if node is None:
        return 1
    for part in loc:
        child = None
        if isinstance(node, yaml.MappingNode):
            child = next(
                (v for k, v in node.value if isinstance(k, yaml.ScalarNode) and k.value == str(part)), None
            )
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and 0 <= part < len(node.value):
            child = node.value[part]
        if child is None:
            break
        node = child
    return node.start_mark.line + 1


def key_line(node: yaml.Node | None, *keys: Any) -> int:
    """The line of the deepest mapping key along `keys`: for `fcr: {at_least: 2}` the line a reader looks at
    (`line_of` gives the value's, which for a block mapping is the line below)."""
    line = node.start_mark.line + 1 if node is not None else 1
    for key in keys:
        if not isinstance(node, yaml.MappingNode):
            break
        match = next(
            ((k, v) for k, v in node.value if isinstance(k, yaml.ScalarNode) and k.value == str(key)), None
        )
        if match is None:
            break
        line, node = match[0].start_mark.line + 1, match[1]
    return line


_TYPE_TAGS = frozenset({"str", "int", "float", "bool", "datetime", "list", "dict", "none"})


def clean_loc(loc: tuple[Any, ...]) -> tuple[Any, ...]:
    """Drop the type tags pydantic puts in union locations ('list[str]', 'LastAgentTurns'): YAML has no such key."""
    return tuple(
        part
        for part in loc
        if isinstance(part, int)
        or not (part in _TYPE_TAGS or part[:1].isupper() or any(c in part for c in "[('-"))
    )


def dotted(loc: tuple[Any, ...]) -> str:
    """('groups', 0, 'phrases', 'en') -> 'groups[0].phrases.en'."""
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def field_error(
    exc: ValidationError, node: yaml.Node | None, base: tuple[Any, ...] = ()
) -> tuple[int, str, str]:
    """(line, dotted field, message) of pydantic's first error, for a model validated from the value at `base`."""
    error = exc.errors()[0]
    loc = clean_loc(error["loc"])
    return line_of(node, base + loc), dotted(loc), error["msg"]


def load_model(file: Path, model: type[Model], code: str, what: str) -> tuple[Model, str]:
    """(a YAML file's top-level mapping validated as the pydantic `model`, the file's sha256 prefix).

    `code` is the error code for a bad file (its message names file, line and field); a missing file is Q703.
    """
    if not file.is_file():
        raise QAError("Q703", what=what, path=file)
    document = read_yaml(file, code, field="-")
    return model_from(document, model, code), document.sha


def model_from(document: YamlDocument, model: type[Model], code: str) -> Model:
    """A parsed file's top-level mapping validated as `model`; `code` names file, line and field when it is not."""
    if not isinstance(document.data, dict):
        raise QAError(
            code,
            file=document.file,
            line=1,
            field="-",
            detail="the file needs a YAML mapping at its top level",
        )
    try:
        return model.model_validate(document.data)
    except ValidationError as exc:
        line, field, detail = field_error(exc, document.node)
        raise QAError(code, file=document.file, line=line, field=field or "-", detail=detail) from None
