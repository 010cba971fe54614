"""The contact-reason taxonomy: reasons, sub-reasons and keywords (`models/reasons/taxonomy.yaml`) and the labelled
example requests (`models/reasons/examples/<language>.tsv`, beside it).

The reasons themselves are fixed by the contract (CONTRACT.md section 3); everything under them is data a QA lead
edits: a sub-reason or a language is added by adding examples and refitting (`qa reasons fit`), no code changes.
The examples live in one tab-separated file per language (`sub_reason<TAB>text`) rather than in the YAML because
there are thousands of them: a file per language diffs, sorts and greps line by line, and a bad row is reported
with its file and line like a bad YAML value.
"""

from __future__ import annotations

import csv
import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import polars as pl
from pydantic import Field, field_validator

from qa_engine import paths
from qa_engine.errors import QAError
from qa_engine.nlp.normalize import base_language
from qa_engine.pack.yamlfile import load_model
from qa_engine.rules.specs import Strict, check_lists
from qa_engine.schema import ID_PATTERN

# CONTRACT.md section 3: `contact_reason` is one of these; `other` is also the fallback when nothing is confident.
REASONS: tuple[str, ...] = (
    "presales",
    "order",
    "payment",
    "logistics",
    "returns",
    "complaint",
    "account",
    "other",
)
OTHER = "other"
TAXONOMY_FILE = "reasons/taxonomy.yaml"  # under models/
EXAMPLES_DIR = "examples"  # beside the taxonomy file: <language>.tsv with columns sub_reason, text
EXAMPLE_COLUMNS = ("sub_reason", "text")
_SUB_ID = re.compile(f"^{ID_PATTERN}$")


def _check_language_codes(value: dict[str, list[str]]) -> dict[str, list[str]]:
    check_lists(value)
    for code in value:
        if base_language(code) != code:
            raise ValueError(f"'{code}' is not a lower-case ISO 639-1 code such as 'en' or 'zh'")
    return value


class SubReason(Strict):
    description: str = Field(min_length=1)


class ReasonSpec(Strict):
    description: str = Field(min_length=1)
    sub_reasons: dict[str, SubReason] = Field(min_length=1)
    # language -> lower-case cue stems, matched as substrings (e.g. "rembours" for remboursement/remboursé)
    keywords: dict[str, list[str]] = Field(default_factory=dict)

    _check_keywords = field_validator("keywords")(_check_language_codes)

    @field_validator("sub_reasons")
    @classmethod
    def _sub_ids(cls, value: dict[str, SubReason]) -> dict[str, SubReason]:
        bad = [key for key in value if not _SUB_ID.match(key)]
        if bad:
            raise ValueError(f"sub-reason ids must be lower_snake_case, got {bad}")
        return value


class TaxonomySpec(Strict):
    version: int = 1
    min_score: float = Field(0.4, ge=0, le=1)
    other_reason_min_score: float = Field(0.5, ge=0, le=1)
    unseen_language_factor: float = Field(0.8, gt=0, le=1)
    reasons: dict[str, ReasonSpec]

    @field_validator("reasons")
    @classmethod
    def _contract_reasons(cls, value: dict[str, ReasonSpec]) -> dict[str, ReasonSpec]:
        unknown = [key for key in value if key not in REASONS]
        if unknown:
            raise ValueError(f"unknown reason(s) {unknown}: the contract allows {list(REASONS)}")
        if OTHER not in value:
            raise ValueError("the taxonomy needs the `other` reason (the fallback when nothing is confident)")
        return value


@dataclass(frozen=True)
class Example:
    text: str
    language: str
    label: str  # "<reason>.<sub_reason>"


@dataclass(frozen=True)
class Taxonomy:
    """A validated taxonomy; `labels` are the sub-reasons as `<reason>.<sub>`, in file order; `sha` covers the
    YAML and every example file, so editing an example makes the fitted classifier stale."""

    spec: TaxonomySpec
    file: Path
    sha: str
    example_rows: tuple[Example, ...] = ()

    @property
    def reasons(self) -> tuple[str, ...]:
        return tuple(self.spec.reasons)

    @property
    def labels(self) -> tuple[str, ...]:
        return tuple(f"{r}.{s}" for r, spec in self.spec.reasons.items() for s in spec.sub_reasons)

    def examples(self) -> list[Example]:
        """Every example, languages in file-name order and rows in file order (the fit is deterministic on it)."""
        return list(self.example_rows)

    def languages(self) -> frozenset[str]:
        """Languages with at least one example: others still get a reason, with a lower score."""
        return frozenset(e.language for e in self.example_rows)


def is_about(
    names: Sequence[str], reason: str = "contact_reason", sub_reason: str = "contact_sub_reason"
) -> pl.Expr:
    """True where a ticket's contact reason or sub-reason is one of `names` (`complaint`, `logistics.tracking`),
    False where it has none: how rule scopes and the `reason_unresolved` tier condition read a list of names."""
    labels = pl.Series(list(names), dtype=pl.String)
    return (pl.col(reason).is_in(labels) | pl.col(sub_reason).is_in(labels)).fill_null(False)


def default_taxonomy_path() -> Path:
    return paths.models_dir() / TAXONOMY_FILE


def examples_dir(taxonomy_file: Path) -> Path:
    """Where a taxonomy's example files are: `examples/` beside it."""
    return taxonomy_file.parent / EXAMPLES_DIR


def load_taxonomy(path: str | Path | None = None) -> Taxonomy:
    """Read and validate the taxonomy and its example files; a bad value or row fails with Q701 naming file, line
    and field."""
    file = Path(path) if path else default_taxonomy_path()
    spec, yaml_sha = load_model(file, TaxonomySpec, "Q701", "Contact-reason taxonomy")
    labels = [f"{r}.{s}" for r, reason in spec.reasons.items() for s in reason.sub_reasons]
    folder = examples_dir(file)
    files = sorted(folder.glob("*.tsv")) if folder.is_dir() else []
    if not files:
        raise QAError("Q703", what="Contact-reason example files (<language>.tsv)", path=folder)
    digest = hashlib.sha256(yaml_sha.encode())
    rows: list[Example] = []
    for example_file in files:
        digest.update(example_file.name.encode() + b"\0" + example_file.read_bytes())
        rows += _read_examples(example_file, labels)
    return Taxonomy(spec=spec, file=file, sha=digest.hexdigest()[:12], example_rows=tuple(rows))


def _read_examples(file: Path, labels: list[str]) -> list[Example]:
    """One language's examples (the file is named by its ISO 639-1 code); a bad row is Q701 with its line."""
    language = file.stem

    def bad(line: int, field: str, detail: str) -> QAError:
        return QAError("Q701", file=file, line=line, field=field, detail=detail)

    if base_language(language) != language:
        raise bad(1, "-", f"the file name '{language}' is not a lower-case ISO 639-1 code such as 'en.tsv'")
    try:
        text = file.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise bad(_text_line(file.read_bytes(), exc.start), "-", "not UTF-8") from None
    reader = csv.reader(text.splitlines(), delimiter="\t", quoting=csv.QUOTE_NONE)
    header = next(reader, None)
    if header is None or tuple(header) != EXAMPLE_COLUMNS:
        raise bad(1, "-", f"the header must be {chr(9).join(EXAMPLE_COLUMNS)!r}, got {header!r}")
    rows, seen = [], {}
    for line, row in enumerate(reader, start=2):
        if not row:
            continue  # a blank line
        if len(row) != 2:
            raise bad(line, "-", f"a row has 2 tab-separated columns (sub_reason, text), this one {len(row)}")
        label, example = row[0].strip(), row[1].strip()
        if label not in labels:
            raise bad(line, "sub_reason", f"'{label}' is not a sub-reason of the taxonomy (<reason>.<sub>)")
        if not example:
            raise bad(line, "text", "empty example")
        key = " ".join(example.lower().split())
        if key in seen:
            raise bad(line, "text", f"the same example as line {seen[key]}")
        seen[key] = line
        rows.append(Example(example, language, label))
    return rows


def _text_line(raw: bytes, offset: int) -> int:
    """The 1-based line of byte `offset` in `raw`."""
    return raw.count(b"\n", 0, offset) + 1
