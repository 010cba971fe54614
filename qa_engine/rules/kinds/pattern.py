"""`pattern`: a regular expression (case-insensitive unless told otherwise) must or must not match in a window.

For what phrase lists cannot say: formats ("a question mark in an agent turn"), numbers, optional words.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from pydantic import field_validator

from qa_engine.rules.conversation import Conversation, Outcome
from qa_engine.rules.kinds.base import ConversationKind
from qa_engine.rules.matching import GroupMatcher, Scope, coverage_problems, judge
from qa_engine.rules.registry import register_kind
from qa_engine.rules.specs import GroupSpec, check_patterns


class PatternParams(Scope):
    mode: Literal["must_match", "must_not_match"]
    patterns: dict[str, list[str]]
    case_sensitive: bool = False
    unit: Literal["turn", "sentence"] = "turn"

    _check_patterns = field_validator("patterns")(check_patterns)


@register_kind("pattern")
class PatternKind(ConversationKind):
    Params = PatternParams
    params: PatternParams

    def load(self) -> None:
        spec = GroupSpec(
            name="pattern", patterns=self.params.patterns, case_sensitive=self.params.case_sensitive
        )
        self.group = GroupMatcher(spec)

    def language_problems(self, languages: Sequence[str]) -> list[tuple[tuple[str | int, ...], str]]:
        return coverage_problems(("patterns",), self.group.spec, languages)

    def check(self, conversation: Conversation) -> Outcome:
        return judge(
            conversation,
            self.params,
            [self.group],
            must=self.params.mode == "must_match",
            unit=self.params.unit,
            what="pattern",
        )
