"""Rule kinds registered by name (spaCy's factories): a rule pack says `kind: phrase`, the registry finds the class.

A new kind is one module in `qa_engine/rules/kinds/` with `@register_kind("name")` on its class; nothing else moves.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from qa_engine.rules.kinds.base import RuleKind

K = TypeVar("K", bound="type[RuleKind]")

_KINDS: dict[str, type[RuleKind]] = {}


def register_kind(name: str) -> Callable[[K], K]:
    """Class decorator: make a RuleKind available to rule packs as `kind: <name>`."""

    def decorate(cls: K) -> K:
        if name in _KINDS and _KINDS[name] is not cls:
            raise ValueError(f"rule kind '{name}' is already registered by {_KINDS[name].__qualname__}")
        cls.name = name
        _KINDS[name] = cls
        return cls

    return decorate


def registered_kinds() -> dict[str, type[RuleKind]]:
    """Every registered kind by name (importing the built-in kinds first, so they are always there)."""
    import qa_engine.rules.kinds  # noqa: F401  # registers the built-in kinds

    return dict(sorted(_KINDS.items()))
