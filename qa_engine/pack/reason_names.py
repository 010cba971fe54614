"""A pack's contact-reason names checked against the taxonomy the reasons classifier was fitted on.

A rule's `contact_reasons` scope and the `reason_unresolved` tier condition may name whole reasons (`logistics`)
or sub-reasons (`logistics.tracking`). The pack loads without the taxonomy (it is a model file), so a misspelt
sub-reason (`logistics.trackng`) passes the pack's own checks and then matches no ticket: the rule is `na`
everywhere, the condition never fires, and nobody is told. This check runs where pack and taxonomy meet (the
scoring engine, `qa rules test`) and names the file, the line and the nearest known name.
"""

from __future__ import annotations

import difflib
from typing import TYPE_CHECKING, cast

from qa_engine.errors import QAError
from qa_engine.pack.yamlfile import read_yaml
from qa_engine.rules.models import ALL

if TYPE_CHECKING:
    from qa_engine.pack.load import Pack
    from qa_engine.reasons.taxonomy import Taxonomy
    from qa_engine.scoring.params import ReasonUnresolvedParams

NAMING_CONDITION = "reason_unresolved"  # the tier condition whose `sub_reasons` name reasons


def check_reason_names(pack: Pack, taxonomy: Taxonomy) -> None:
    """Raise Q109 (a rule's scope) or Q107 (the tier policy) for the first reason name the taxonomy lacks."""
    known = (*taxonomy.reasons, *taxonomy.labels)
    for entry in pack.rules:
        names = entry.spec.contact_reasons
        for i, name in enumerate([] if names == ALL else names):
            if name not in known:
                raise QAError(
                    "Q109", rule_id=entry.id, file=entry.file, line=entry.line_of("contact_reasons", i),
                    field="contact_reasons", detail=_unknown(name, known, taxonomy),
                )  # fmt: skip
    for tier in ("red", "yellow"):
        for i, condition in enumerate(getattr(pack.policy, tier)):
            if condition.when != NAMING_CONDITION:
                continue
            for j, name in enumerate(cast("ReasonUnresolvedParams", condition.settings).sub_reasons):
                if name not in known:
                    # the policy keeps no lines once loaded: read them again, only for the error
                    document = read_yaml(pack.policy_file, "Q107", field="-")
                    raise QAError(
                        "Q107", file=pack.policy_file, line=document.line("tier_policy", tier, i, "sub_reasons", j),
                        field=f"tier_policy.{tier}[{i}].sub_reasons", detail=_unknown(name, known, taxonomy),
                    )  # fmt: skip


def _unknown(name: str, known: tuple[str, ...], taxonomy: Taxonomy) -> str:
    near = difflib.get_close_matches(name, known, n=1, cutoff=0.75)
    hint = f"; did you mean '{near[0]}'?" if near else ""
    return f"'{name}' is neither a contact reason nor a sub-reason in the taxonomy {taxonomy.file}{hint}"
