"""The spaCy-free building blocks of a pack's pydantic models: strict models, speakers and emotions, and phrase
lists (phrases and regular expressions per language) with their checks.

They live apart from `matching` (which builds the matchers and so imports spaCy) because reading a pack
(`qa_engine.pack`) validates them without compiling anything.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from qa_engine.rules.regex import SlowPattern, catastrophe

Speaker = Literal["customer", "agent", "bot", "system"]
Emotion = Literal["anger", "disgust", "fear", "joy", "sadness", "surprise", "neutral"]


class Strict(BaseModel):
    """Rule-pack models reject unknown fields, so a misspelt key fails at load instead of being ignored."""

    model_config = ConfigDict(extra="forbid")


def check_lists(value: dict[str, list[str]]) -> dict[str, list[str]]:
    """Pydantic validator: per-language lists of non-empty strings."""
    for language, entries in value.items():
        if not entries or any(not isinstance(e, str) or not e.strip() for e in entries):
            raise ValueError(f"language '{language}' needs a list of non-empty strings")
    return value


def check_patterns(value: dict[str, list[str]]) -> dict[str, list[str]]:
    """Pydantic validator: per-language lists of regular expressions that compile and cannot backtrack
    exponentially (`rules.regex`: a pack must not be able to hang a run on one long turn)."""
    check_lists(value)
    for language, patterns in value.items():
        for pattern in patterns:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"bad regular expression {pattern!r} for '{language}': {exc}") from exc
            problem = catastrophe(pattern, re.IGNORECASE)
            if problem is not None:
                raise SlowPattern(pattern, language, problem)
    return value


class PhraseLists(Strict):
    """Phrases (token or substring matching) and regular expressions, both per language."""

    name: str | None = None  # shown in details and notes
    phrases: dict[str, list[str]] = Field(default_factory=dict)
    patterns: dict[str, list[str]] = Field(default_factory=dict)
    case_sensitive: bool = False  # for `patterns`; phrases always ignore case

    _check_phrases = field_validator("phrases")(check_lists)
    _check_patterns = field_validator("patterns")(check_patterns)

    def languages(self) -> set[str]:
        return set(self.phrases) | set(self.patterns)


class GroupSpec(PhraseLists):
    """A group that must have at least one phrase or pattern."""

    @model_validator(mode="after")
    def _not_empty(self) -> GroupSpec:
        if not self.phrases and not self.patterns:
            raise ValueError("a group needs `phrases` or `patterns`")
        return self
