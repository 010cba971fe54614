"""The contact-reason taxonomy (`models/reasons/taxonomy.yaml`): reasons, sub-reasons, example requests, keywords.

The reasons themselves are fixed by the contract (CONTRACT.md section 3); everything under them is data a QA lead
edits: a sub-reason or a language is added by adding examples and refitting (`qa reasons fit`), no code changes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from pydantic import Field, field_validator

from qa_engine import paths
from qa_engine.nlp.normalize import base_language
from qa_engine.pack.yamlfile import load_model
from qa_engine.rules.specs import Strict, check_lists

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
_SUB_ID = re.compile(r"^[a-z][a-z0-9_]*$")


def _check_language_codes(value: dict[str, list[str]]) -> dict[str, list[str]]:
    check_lists(value)
    for code in value:
        if base_language(code) != code:
            raise ValueError(f"'{code}' is not a lower-case ISO 639-1 code such as 'en' or 'zh'")
    return value


class SubReason(Strict):
    description: str = Field(min_length=1)
    examples: dict[str, list[str]] = Field(min_length=1)  # language -> example customer requests

    _check_examples = field_validator("examples")(_check_language_codes)


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
    """A validated taxonomy; `labels` are the sub-reasons as `<reason>.<sub>`, in file order."""

    spec: TaxonomySpec
    file: Path
    sha: str

    @property
    def reasons(self) -> tuple[str, ...]:
        return tuple(self.spec.reasons)

    @property
    def labels(self) -> tuple[str, ...]:
        return tuple(f"{r}.{s}" for r, spec in self.spec.reasons.items() for s in spec.sub_reasons)

    def examples(self) -> list[Example]:
        return [
            Example(text, language, f"{reason}.{sub}")
            for reason, spec in self.spec.reasons.items()
            for sub, sub_spec in spec.sub_reasons.items()
            for language, texts in sub_spec.examples.items()
            for text in texts
        ]

    def languages(self) -> frozenset[str]:
        """Languages with at least one example: others still get a reason, with a lower score."""
        return frozenset(
            language
            for spec in self.spec.reasons.values()
            for sub in spec.sub_reasons.values()
            for language in sub.examples
        )


def default_taxonomy_path() -> Path:
    return paths.models_dir() / TAXONOMY_FILE


def load_taxonomy(path: str | Path | None = None) -> Taxonomy:
    """Read and validate the taxonomy; a bad value fails with Q701 naming file, line and field."""
    file = Path(path) if path else default_taxonomy_path()
    spec, sha = load_model(file, TaxonomySpec, "Q701", "Contact-reason taxonomy")
    return Taxonomy(spec=spec, file=file, sha=sha)
