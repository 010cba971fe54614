"""`qa tiers calibrate`: choose the tier policy's dissatisfaction thresholds from a store's own labels.

A team's labels say how its customers came out: the latest QA lead review's tier where a ticket has one, else the
ticket's `csat` (1 red: very dissatisfied; 2-3 yellow; 4-5 green). The stored tickets are tiered again from what the
store already holds (ticket columns, turns with affect, rule results; no model runs) under every pair of thresholds
on a grid: `min_risk` of the red and of the yellow `dissatisfaction_risk_at_least` condition. The pair with the
highest Cohen's kappa against the labels wins (ties: the pair nearest the current one), and is written into the
pack's `tiers.yaml` in place, keeping its comments.

Only those two numbers move: the other conditions (critical rules, escalation, SLA...) stay as the pack says, so a
calibration cannot switch off a critical rule to agree with a lenient reviewer. A condition that asks the outcome model
to agree (`confirmed_by_risk: true`, e.g. "the customer ends angry") follows the yellow line as it moves.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import polars as pl

from qa_engine.errors import QAError
from qa_engine.pack.yamlfile import read_yaml
from qa_engine.scoring.policy import DEFAULT_LIKELY, RISK_CONDITION, TierPolicy, load_policy, policy_file

TIERS = ("red", "yellow", "green")
CONDITION = RISK_CONDITION
CSAT_TIER = {1: "red", 2: "yellow", 3: "yellow", 4: "green", 5: "green"}
GRID = tuple(round(x, 2) for x in np.arange(0.2, 0.96, 0.05))
OFF = 1.01  # a threshold no risk reaches: the condition never fires
MIN_LABELLED = 20


@dataclass
class Agreement:
    kappa: float
    confusion: list[list[int]]  # rows: the labels' tier (red, yellow, green); columns: the machine's
    agree: int
    n: int


@dataclass
class Calibration:
    before: Agreement
    after: Agreement
    thresholds_before: dict[str, float | None]  # "red" / "yellow" -> min_risk (None: no such condition)
    thresholds_after: dict[str, float | None]
    labelled: dict[str, int] = field(default_factory=dict)  # how many labels came from reviews and from csat
    policy_file: Path | None = None

    def as_dict(self) -> dict:
        def one(a: Agreement) -> dict:
            return {"kappa": round(a.kappa, 4), "agree": a.agree, "n": a.n, "confusion": a.confusion}

        return {
            "labelled": self.labelled, "tiers": list(TIERS), "before": one(self.before), "after": one(self.after),
            "thresholds_before": self.thresholds_before, "thresholds_after": self.thresholds_after,
            "policy_file": str(self.policy_file) if self.policy_file else None,
        }  # fmt: skip


def human_tiers(store) -> tuple[dict[str, str], dict[str, int]]:
    """ticket_id -> the labels' tier (latest review, else csat), and how many came from each source."""
    frame = store.query(
        "SELECT t.ticket_id, t.csat, r.tier AS reviewed FROM tickets t LEFT JOIN ("
        " SELECT ticket_id, tier FROM reviews"
        " QUALIFY row_number() OVER (PARTITION BY ticket_id ORDER BY version DESC) = 1"
        ") r USING (ticket_id)"
    )
    out: dict[str, str] = {}
    counts = {"reviews": 0, "csat": 0}
    for tid, csat, reviewed in frame.iter_rows():
        if reviewed in TIERS:
            out[tid] = reviewed
            counts["reviews"] += 1
        elif csat in CSAT_TIER:
            out[tid] = CSAT_TIER[csat]
            counts["csat"] += 1
    return out, counts


def thresholds(policy: TierPolicy) -> dict[str, float | None]:
    """The pack's `min_risk` of the dissatisfaction condition in red and in yellow (None where it has none)."""
    out: dict[str, float | None] = {}
    for tier in ("red", "yellow"):
        found = [
            float(c.params.get("min_risk", DEFAULT_LIKELY))
            for c in getattr(policy, tier)
            if c.when == CONDITION
        ]
        out[tier] = min(found) if found else None
    return out


def agreement(labels: list[str], machine: list[str]) -> Agreement:
    from sklearn.metrics import cohen_kappa_score, confusion_matrix

    kappa = cohen_kappa_score(labels, machine, labels=list(TIERS))
    confusion = confusion_matrix(labels, machine, labels=list(TIERS)).tolist()
    agree = sum(a == b for a, b in zip(labels, machine, strict=True))
    return Agreement(0.0 if np.isnan(kappa) else float(kappa), confusion, agree, len(labels))


def calibrate(db: str | Path, pack: str | Path | None = None, write: bool = True) -> Calibration:
    """Choose and (unless `write` is false) write the thresholds; Q754 when the store has too few labels or the
    policy has no dissatisfaction condition to calibrate."""
    from qa_engine.store import Store

    store = Store(db)
    if not store.path.exists():
        raise QAError("Q754", db=db, detail="the store does not exist")
    policy = load_policy(pack)
    current = thresholds(policy)
    if current["red"] is None and current["yellow"] is None:
        raise QAError(
            "Q754",
            db=db,
            detail=f"the tier policy {policy_file(pack)} has no `{CONDITION}` condition to calibrate",
        )
    labels, counts = human_tiers(store)
    if len(labels) < MIN_LABELLED or len(set(labels.values())) < 2:
        raise QAError(
            "Q754", db=db,
            detail=f"{len(labels)} tickets carry csat or a reviewed tier ({len(set(labels.values()))} tiers); "
            f"need {MIN_LABELLED} in at least two tiers",
        )  # fmt: skip
    ids = sorted(labels)
    base, gated, risk = _base_tiers(store, ids, policy)
    truth = [labels[t] for t in ids]

    def tiers_at(red: float | None, yellow: float | None) -> list[str]:
        # a `confirmed_by_risk: true` condition fires where the risk reaches the yellow line (or is null)
        line = yellow if yellow is not None else policy.likely_dissatisfied_at()
        out = []
        for b, g, r in zip(base, gated, risk, strict=True):
            confirmed = g is not None and (r is None or r >= line)
            if b == "red" or (red is not None and r is not None and r >= red) or (confirmed and g == "red"):
                out.append("red")
            elif (
                b == "yellow"
                or (yellow is not None and r is not None and r >= yellow)
                or (confirmed and g == "yellow")
            ):
                out.append("yellow")
            else:
                out.append("green")
        return out

    before = agreement(truth, tiers_at(current["red"], current["yellow"]))
    best, best_key = current, (before.kappa, 0.0)
    reds = [*GRID, OFF] if current["red"] is not None else [None]
    yellows = [*GRID, OFF] if current["yellow"] is not None else [None]
    for red in reds:
        for yellow in yellows:
            if red is not None and yellow is not None and yellow > red:
                continue
            kappa = agreement(truth, tiers_at(red, yellow)).kappa
            distance = sum(
                abs((a or 0) - (b or 0)) for a, b in ((red, current["red"]), (yellow, current["yellow"]))
            )
            key = (round(kappa, 6), -distance)
            if key > best_key:
                best, best_key = {"red": red, "yellow": yellow}, key
    after = agreement(truth, tiers_at(best["red"], best["yellow"]))
    file = policy_file(pack)
    if write and best != current:
        write_thresholds(file, best)
    return Calibration(before, after, current, best, counts, file)


def _base_tiers(
    store, ids: list[str], policy: TierPolicy
) -> tuple[list[str], list[str | None], list[float | None]]:
    """In `ids` order: the stored tickets' tiers without the dissatisfaction conditions and without the conditions
    confirmed by the yellow line (`confirmed_by_risk: true`, which move with it); the highest tier at which one of
    those confirmed conditions fires on its own (None: none does); and the risks."""
    from qa_engine.scoring.tiers import assign_tiers

    stored = store.read_results(ids)
    tickets = stored["tickets"]
    if "dissatisfaction_risk" not in tickets.columns:
        tickets = tickets.with_columns(dissatisfaction_risk=pl.lit(None, pl.Float64))

    def follows_line(c) -> bool:
        return c.when == CONDITION or c.confirmed_by_risk is True

    without = policy.model_copy(
        update={tier: [c for c in getattr(policy, tier) if not follows_line(c)] for tier in ("red", "yellow")}
    )
    only = policy.model_copy(
        update={
            tier: [c.model_copy(update={"confirmed_by_risk": None}) for c in getattr(policy, tier)
                   if c.when != CONDITION and c.confirmed_by_risk is True]
            for tier in ("red", "yellow")
        }
    )  # fmt: skip

    def tiered(p: TierPolicy) -> dict[str, str]:
        frame = assign_tiers(tickets, stored["turns"], stored["rule_results"], p)
        return dict(zip(frame["ticket_id"], frame["tier"], strict=True))

    base, confirmed = tiered(without), tiered(only)
    risk = dict(zip(tickets["ticket_id"], tickets["dissatisfaction_risk"], strict=True))
    return (
        [base[t] for t in ids],
        [None if confirmed[t] == "green" else confirmed[t] for t in ids],
        [risk[t] for t in ids],
    )


_WHEN = re.compile(r"^(\s*)-\s*when:\s*(\S+)\s*$")
_SECTION = re.compile(r"^\s*(red|yellow|green):\s*$")
_MIN_RISK = re.compile(r"^(\s*min_risk:\s*)([0-9.]+)(.*)$")


def write_thresholds(file: Path, chosen: dict[str, float | None]) -> None:
    """Rewrite `min_risk` of every dissatisfaction condition under red and yellow, keeping the file's comments
    and layout (a line-level edit: the YAML is read back and checked before it replaces the file)."""
    lines = file.read_text(encoding="utf-8").splitlines(keepends=True)
    section, inside = None, False
    for i, line in enumerate(lines):
        if m := _SECTION.match(line):
            section, inside = m.group(1), False
            continue
        if m := _WHEN.match(line):
            inside = m.group(2) == CONDITION
            continue
        if inside and section in chosen and chosen[section] is not None and (m := _MIN_RISK.match(line)):
            lines[i] = f"{m.group(1)}{chosen[section]:.2f}{m.group(3)}\n"
    tmp = file.with_suffix(file.suffix + ".tmp")
    tmp.write_text("".join(lines), encoding="utf-8")
    try:
        written = thresholds(
            TierPolicy(**(read_yaml(tmp, "Q107", field="-").data or {}).get("tier_policy", {}))
        )
        if any(chosen[k] is not None and written[k] != chosen[k] for k in ("red", "yellow")):
            line = next((i + 1 for i, text in enumerate(lines) if _MIN_RISK.match(text)), 1)
            raise QAError(
                "Q107",
                file=file,
                line=line,
                field="min_risk",
                detail="could not rewrite the thresholds in place",
            )
    except QAError:
        tmp.unlink(missing_ok=True)
        raise
    tmp.replace(file)
