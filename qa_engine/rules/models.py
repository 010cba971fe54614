"""The fields every rule has, and its examples, as pydantic models (kind-specific fields live with each kind).

Examples are mini-conversations: a language, a channel and turns written `{speaker: text}` with an optional `ts`
(an ISO timestamp, or seconds from a fixed start so SLA examples stay short) and optional pinned affect
(`sentiment`, `sentiment_score`, `emotion`, `emotion_score`) so that examples never depend on a model.
"""

from __future__ import annotations

import re
import string
from datetime import datetime
from typing import Any, Literal

from pydantic import ConfigDict, Field, field_validator, model_validator

from qa_engine.rules.specs import Emotion, Speaker, Strict
from qa_engine.schema import CATEGORIES, CHANNELS, CONTACT_REASONS, ID_PATTERN, SPEAKERS

ALL = "*"


class ExampleTurn(Strict):
    speaker: Speaker
    text: str
    ts: datetime | float | None = None  # a number: seconds after the example's start
    sentiment: Literal["negative", "neutral", "positive"] | None = None
    sentiment_score: float | None = Field(None, ge=-1, le=1)
    emotion: Emotion | None = None
    emotion_score: float | None = Field(None, ge=0, le=1)

    @model_validator(mode="before")
    @classmethod
    def _speaker_key(cls, data: Any) -> Any:
        """`{agent: "Hello"}` is shorthand for `{speaker: agent, text: "Hello"}`."""
        if isinstance(data, dict) and "speaker" not in data:
            keys = [k for k in data if k in SPEAKERS]
            if len(keys) != 1:
                raise ValueError(
                    f"a turn needs exactly one speaker key out of {list(SPEAKERS)}, got {list(data)}"
                )
            data = {
                **{k: v for k, v in data.items() if k != keys[0]},
                "speaker": keys[0],
                "text": data[keys[0]],
            }
        return data


class Example(Strict):
    language: str = Field(min_length=2)
    channel: str = "chat"
    market: str | None = None  # metadata.market of the ticket, for rules scoped by `markets`
    # for rules scoped by `contact_reasons`: a reason or `reason.sub_reason`
    contact_reason: str | None = None
    note: str | None = None
    turns: list[ExampleTurn] = Field(min_length=1)

    @field_validator("channel")
    @classmethod
    def _channel(cls, value: str) -> str:
        return _one_of(value, CHANNELS)

    @field_validator("market")
    @classmethod
    def _market(cls, value: str | None) -> str | None:
        return value if value is None else _market_code(value)

    @field_validator("contact_reason")
    @classmethod
    def _reason(cls, value: str | None) -> str | None:
        return value if value is None else _contact_reason(value)


class Examples(Strict):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    pass_: list[Example] = Field(alias="pass", min_length=1)
    fail: list[Example] = Field(min_length=1)
    na: list[Example] = Field(default_factory=list)

    def by_outcome(self) -> dict[str, list[Example]]:
        return {"pass": self.pass_, "fail": self.fail, "na": self.na}


SUGGESTION_FACTS = ("order", "tracking", "quote")  # what a suggestion template may name (`rules.suggestions`)
SuggestionAfter = Literal["previous", "evidence", "first_customer", "last_customer", "last"]


class SuggestionSpec(Strict):
    """What the agent could have written when the rule fails: templates per language (en is the fallback for a
    ticket in any other language) and which turn the suggestion belongs after.

    Each language lists templates from the most specific to the most general; the first whose facts the ticket has
    is used (`{order}` the order number, `{tracking}` the parcel's tracking number, `{quote}` the customer's own
    words), so the last template of each language names no fact and always renders.
    """

    after: SuggestionAfter = "previous"
    text: dict[str, list[str]] = Field(min_length=1)

    @field_validator("text")
    @classmethod
    def _templates(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        if "en" not in value:
            raise ValueError("needs `en` templates: they serve every language without its own")
        for language, templates in value.items():
            if not templates or any(not isinstance(t, str) or not t.strip() for t in templates):
                raise ValueError(f"language '{language}' needs a list of non-empty templates")
            for template in templates:
                unknown = set(template_facts(template)) - set(SUGGESTION_FACTS)
                if unknown:
                    raise ValueError(
                        f"template {template!r} names {sorted(unknown)}; known facts: {list(SUGGESTION_FACTS)}"
                    )
            if template_facts(templates[-1]):
                raise ValueError(
                    f"the last '{language}' template must name no fact, so that one always renders"
                )
        return value


def template_facts(template: str) -> list[str]:
    """The `{fact}` names a suggestion template uses."""
    try:
        return [name for _, name, _, _ in string.Formatter().parse(template) if name is not None]
    except ValueError as exc:
        raise ValueError(f"template {template!r}: {exc}") from None


class RuleSpec(Strict):
    """The common fields of a rule; everything else in the rule's YAML mapping belongs to its kind."""

    id: str = Field(pattern=f"^{ID_PATTERN}$")
    title: str = Field(min_length=1)
    kind: str
    category: str
    weight: float = Field(ge=0)
    critical: bool
    languages: Literal["*"] | list[str] = Field(min_length=1)
    channels: Literal["*"] | list[str] = Field(min_length=1)
    # scopes (CONTRACT.md section 3): the markets (metadata.market, ISO 3166 codes) and contact reasons a rule
    # judges; a ticket outside them is na. "*" (the default): all.
    markets: Literal["*"] | list[str] = Field(ALL, min_length=1)
    contact_reasons: Literal["*"] | list[str] = Field(ALL, min_length=1)
    not_applicable: str = Field(min_length=1)  # when the rule is na, in words (the kind's code decides it)
    coaching: str = Field(min_length=1)  # the tip a coach gives when the rule fails
    description: str | None = None
    suggestion: SuggestionSpec | None = None  # what to write instead when it fails (`rules.suggestions`)
    examples: Examples

    def listing(self) -> dict[str, Any]:
        """The row `qa rules list` shows."""
        return {
            "id": self.id, "title": self.title, "kind": self.kind, "category": self.category, "weight": self.weight,
            "critical": self.critical, "languages": self.languages, "channels": self.channels,
            "markets": self.markets, "contact_reasons": self.contact_reasons,
        }  # fmt: skip

    @field_validator("category")
    @classmethod
    def _category(cls, value: str) -> str:
        return _one_of(value, CATEGORIES)

    @field_validator("channels")
    @classmethod
    def _channels(cls, value: str | list[str]) -> str | list[str]:
        if value != ALL:
            for channel in value:
                _one_of(channel, CHANNELS)
        return value

    @field_validator("markets")
    @classmethod
    def _markets(cls, value: str | list[str]) -> str | list[str]:
        return value if value == ALL else [_market_code(code) for code in value]

    @field_validator("contact_reasons")
    @classmethod
    def _contact_reasons(cls, value: str | list[str]) -> str | list[str]:
        if value != ALL:
            for reason in value:
                _contact_reason(reason)
        return value

    @field_validator("languages")
    @classmethod
    def _languages(cls, value: str | list[str]) -> str | list[str]:
        if value != ALL:
            for code in value:
                if not code.isalpha() or not 2 <= len(code) <= 3 or code != code.lower():
                    raise ValueError(f"'{code}' is not a lower-case ISO 639-1 code")
        return value


def _contact_reason(value: str) -> str:
    """A contact reason (`logistics`) or one of its sub-reasons (`logistics.tracking`): a scope may be narrower
    than a reason, e.g. a tracking rule that must not judge questions about delivery options."""
    reason, dot, sub = value.partition(".")
    _one_of(reason, CONTACT_REASONS)
    if dot and not re.fullmatch(ID_PATTERN, sub):
        raise ValueError(f"'{value}' is not a sub-reason id (reason.sub_reason, lower case)")
    return value


def _market_code(value: str) -> str:
    if len(value) != 2 or not value.isascii() or not value.isalpha() or value != value.upper():
        raise ValueError(f"'{value}' is not an upper-case ISO 3166 country code (DE, JP, US...)")
    return value


def _one_of(value: str, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise ValueError(f"'{value}' is not one of {list(allowed)}")
    return value


COMMON_KEYS = frozenset(  # the keys that are not the kind's
    f.alias or name for name, f in RuleSpec.model_fields.items()
)
