"""What a reviewer, an agent or a login may send: the shapes, types and limits, checked before anything is stored.

Strict by default (JSON must send `version` as a number, not "3"; unknown fields are refused, so a misspelt field is
an error rather than silently ignored); form posts validate the same models leniently, as forms send only strings.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from qa_engine.nlp.redact import mask_payment

MAX_COMMENT = 4000  # characters; a review comment is a paragraph, not a document
MAX_RULE_ID = 200
_BAD_CHARS = re.compile(
    r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]|[\ud800-\udfff]"
)  # controls (not \t\n\r), surrogates

Tier = Literal["red", "yellow", "green"]
Outcome = Literal["pass", "fail", "na"]
RuleId = Annotated[str, StringConstraints(min_length=1, max_length=MAX_RULE_ID)]
Comment = Annotated[str, StringConstraints(max_length=MAX_COMMENT)]


def _clean_text(value: str) -> str:
    """The comment as it is kept: payment data is never stored, whoever writes it (a reviewer quoting the card
    the customer sent is masked like the customer's turn)."""
    if _BAD_CHARS.search(value):
        raise ValueError("contains control characters or invalid Unicode")
    return mask_payment(value) or value


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class ReviewIn(_Strict):
    """A QA lead's verdict: the tier, any rule outcomes that differ from the machine's, why, and the version of
    the ticket's reviews the lead saw (0 when there was none)."""

    tier: Tier
    rule_overrides: dict[RuleId, Outcome] = Field(default_factory=dict)
    comment: Comment = ""
    version: Annotated[int, Field(ge=0, le=2**31)]

    @field_validator("comment")
    @classmethod
    def check_comment(cls, value: str) -> str:
        return _clean_text(value)


class DisputeIn(_Strict):
    """An agent's objection to the latest review of their ticket."""

    comment: Annotated[str, StringConstraints(min_length=1, max_length=MAX_COMMENT)]

    @field_validator("comment")
    @classmethod
    def check_comment(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("say why you dispute the review")
        return _clean_text(value)


class ResolutionIn(_Strict):
    """A QA lead's answer to a dispute: accepted (the agent was right; the lead reviews again) or rejected."""

    decision: Literal["accepted", "rejected"]
    comment: Comment = ""

    @field_validator("comment")
    @classmethod
    def check_comment(cls, value: str) -> str:
        return _clean_text(value)


class LoginIn(_Strict):
    username: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    password: Annotated[str, StringConstraints(min_length=1, max_length=1024)]


class RoleIn(_Strict):
    """A QA lead's change of a user's role and scope; a team or agent id left out keeps its current value."""

    role: Literal["qa_lead", "coach", "agent"]
    team: Annotated[str, StringConstraints(max_length=256)] | None = None
    agent_id: Annotated[str, StringConstraints(max_length=256)] | None = None

    @field_validator("team", "agent_id")
    @classmethod
    def check_key(cls, value: str | None) -> str | None:
        return _clean_text(value.strip()) or None if value is not None else None


class PasswordIn(_Strict):
    """A new password that a QA lead sets for a user (the rules of `qa users add` apply: 8-1024 characters)."""

    password: Annotated[str, StringConstraints(min_length=1, max_length=1024)]


MAX_FOCUS_RULES = 20
EARLIEST_SESSION = date(2000, 1, 1)


class CoachingIn(_Strict):
    """A coaching session as a coach records it: the agent, the day it took place (YYYY-MM-DD, not in the future:
    this records what happened), the rules it worked on, a note."""

    agent_id: Annotated[str, StringConstraints(min_length=1, max_length=256)]
    date: Annotated[str, StringConstraints(min_length=10, max_length=10)]
    focus_rules: Annotated[list[RuleId], Field(min_length=1, max_length=MAX_FOCUS_RULES)]
    note: Comment = ""
    practice: bool = False  # assign practice: the agent's report lists their failing excerpts for role-play

    @field_validator("agent_id")
    @classmethod
    def check_agent(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("give the agent's id")
        return _clean_text(value)

    @field_validator("date")
    @classmethod
    def check_date(cls, value: str) -> str:
        try:
            day = datetime.strptime(value, "%Y-%m-%d").date()
        except ValueError:
            raise ValueError(f"{value!r} is not a date YYYY-MM-DD") from None
        # a day of grace: the coach's local date may be ahead of UTC
        if not EARLIEST_SESSION <= day <= datetime.now(UTC).date() + timedelta(days=1):
            raise ValueError(f"{value} is not a day a session can have taken place (not in the future)")
        return value

    @field_validator("focus_rules")
    @classmethod
    def check_rules(cls, value: list[str]) -> list[str]:
        for rule_id in value:
            _clean_text(rule_id)
        return list(dict.fromkeys(r.strip() for r in value if r.strip())) or _no_rules()

    @field_validator("note")
    @classmethod
    def check_note(cls, value: str) -> str:
        return _clean_text(value)

    @property
    def day(self) -> date:
        return datetime.strptime(self.date, "%Y-%m-%d").date()


def _no_rules() -> list[str]:
    raise ValueError("choose at least one rule the session focused on")
