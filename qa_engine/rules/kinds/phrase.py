"""`phrase`: the agent must (or must not) say something, in a window of the conversation.

One or several groups must all match inside one unit (turn or sentence): a greeting AND the agent's own name in
the first agent turn; "what happens next" AND "by when" in one agent turn. Must-not-say rules fail on the first
unit where all groups match.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from pydantic import Field, field_validator, model_validator

from qa_engine.rules.conversation import Conversation, Outcome
from qa_engine.rules.kinds.base import ConversationKind
from qa_engine.rules.matching import GroupMatcher, Scope, coverage_problems, judge
from qa_engine.rules.registry import register_kind
from qa_engine.rules.specs import GroupSpec, PhraseLists, check_lists


class PhraseParams(Scope):
    mode: Literal["must_say", "must_not_say"]
    # shorthand for a single group; use `groups` for several that must all match
    phrases: dict[str, list[str]] = Field(default_factory=dict)
    groups: list[GroupSpec] = Field(default_factory=list)
    exclude: PhraseLists | None = None
    unit: Literal["turn", "sentence"] = "turn"
    match_on: Literal["lower", "lemma"] = "lower"

    _check_phrases = field_validator("phrases")(check_lists)

    @model_validator(mode="after")
    def _one_way_to_say_it(self) -> PhraseParams:
        if bool(self.phrases) == bool(self.groups):
            raise ValueError("give either `phrases` (one group) or `groups`, not both or neither")
        return self

    def all_groups(self) -> list[GroupSpec]:
        return self.groups or [GroupSpec(name="phrase", phrases=self.phrases)]


@register_kind("phrase")
class PhraseKind(ConversationKind):
    Params = PhraseParams
    params: PhraseParams

    def load(self) -> None:
        lemma = self.params.match_on == "lemma"
        self.groups = [
            GroupMatcher(spec, lemma=lemma, name=f"group {i + 1}")
            for i, spec in enumerate(self.params.all_groups())
        ]
        self.exclude = GroupMatcher(self.params.exclude, lemma=lemma) if self.params.exclude else None

    def language_problems(self, languages: Sequence[str]) -> list[tuple[tuple[str | int, ...], str]]:
        if not self.params.groups:
            return coverage_problems(("phrases",), self.params.all_groups()[0], languages)
        return [
            problem
            for i, spec in enumerate(self.params.groups)
            for problem in coverage_problems(("groups", i), spec, languages)
        ]

    def check(self, conversation: Conversation) -> Outcome:
        names = " + ".join(g.name for g in self.groups)
        return judge(
            conversation,
            self.params,
            self.groups,
            must=self.params.mode == "must_say",
            unit=self.params.unit,
            exclude=self.exclude,
            what=names,
        )
