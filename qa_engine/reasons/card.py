"""The reasons model card: written from the measured figures, so the card never states a number the eval did not
produce (`qa reasons eval --card`)."""

from __future__ import annotations

import json
from pathlib import Path


def write_card(folder: Path) -> Path:
    """Write MODEL_CARD.md in `folder` from its metrics.json and classifier.json; returns the card's path."""
    figs = json.loads((folder / "metrics.json").read_text(encoding="utf-8"))
    meta = json.loads((folder / "classifier.json").read_text(encoding="utf-8"))
    rows = "\n".join(f"| {f['name']} | {f['metric']} | {f['n']} | **{f['value']:.3f}** |" for f in figs)
    overall = next(f for f in figs if f["name"] == "reasons/contact_reason/all")
    per_class = "\n".join(
        f"| {c['class']} | {c['precision']:.3f} | {c['recall']:.3f} | {c['f1']:.3f} | {c['support']} |"
        for c in overall["per_class"]
    )
    cv = meta["cv"]
    card = f"""# Contact-reason and escalation classifiers ({meta["version"]})

What: for every customer turn, the probability of each contact reason (`presales, order, payment, logistics,
returns, complaint, account, other`) and sub-reason, and the probability that the turn is heading for an escalation
(chargeback, public complaint, legal action, manager demand, churn threat). They read the mean-pooled vector of the
embedded affect encoder (`models/embedded/affect-e5s6-v1`, the same encoder pass that scores sentiment and emotion)
plus per-language keyword evidence; `qa_engine/reasons/stage.py` turns them into each ticket's `contact_reason`,
`contact_reason_score`, `escalation_risk` and `escalation_signals`.

## Data

All of it written by this project's engineers for this purpose (no third-party text), in en, zh, de, ja, es, fr:

- Fitting: the labelled example requests in `taxonomy.yaml` ({sum(meta["examples"].values())} examples: {", ".join(f"{k} {v}" for k, v in meta["examples"].items())})
  and the escalation signal examples in `rules/default/escalation.yaml` ({meta["escalation_examples"]["escalating"]} escalating,
  {meta["escalation_examples"]["ordinary"]} ordinary including the taxonomy's examples).
- Held-apart evaluation, never read when fitting: `eval/reasons.tsv` (384 requests, 8 per reason per language,
  48 per reason) and `eval/escalation.tsv` (144 requests, 12 escalating and 12 ordinary per language).

Licence: the same as the project (Apache-2.0).

## Recipe

`qa reasons fit` (deterministic, about a minute on two cores): encode every example once; multinomial logistic
regression over sub-reasons (a reason's probability is the sum of its sub-reasons'); the regularisation C and the
keyword weight chosen by stratified 5-fold cross-validation on the taxonomy's examples (seed 13), maximising the
mean per-language reason macro-F1 (chosen: C={meta["C"]}, keyword weight {meta["keyword_weight"]}; cross-validated
reason macro-F1 {cv["reason_macro_f1"]}, escalation AUC {cv["escalation_auc"]}); a binary logistic regression for escalation.
Refit after editing the taxonomy or the signal file, or after the encoder is retrained (`qa score` refits in memory
with a warning when the saved classifier does not match them).

## Figures on the held-apart sets

`qa reasons eval --encoder-only` (also printed by `qa models eval`). `contact_reason` is the served classifier
(encoder + keywords); `contact_reason_encoder_only` the same without keyword evidence; `escalation` is the served
risk (signal phrases and model), `escalation_model_only` the model's probability alone.

| figure | metric | n | value |
|---|---|---|---|
{rows}

Targets: contact-reason macro-F1 >= 0.85 in every language, escalation AUC >= 0.85.

Per reason, all languages:

| reason | precision | recall | F1 | support |
|---|---|---|---|---|
{per_class}

## Limits

- The evaluation sets were written by the same team that wrote the examples and keywords: the figures measure
  consistency with our own idea of each reason, not real customers' wording; expect lower figures on real traffic.
  The escalation set is small (24 per language) and its escalating requests are explicit, so a perfect AUC is an
  upper bound, not a promise.
- A language without examples is served through the multilingual encoder alone, with its score multiplied by
  `unseen_language_factor` (0.8).
"""
    path = folder / "MODEL_CARD.md"
    path.write_text(card, encoding="utf-8")
    return path
