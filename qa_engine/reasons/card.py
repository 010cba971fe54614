"""The reasons model card: written from the measured figures, so the card never states a number the eval did not
produce (`qa reasons eval --card`)."""

from __future__ import annotations

import json
from pathlib import Path

from qa_engine.reasons.ngrams import MAX_FEATURES as NGRAM_FEATURES

# Figures `qa reasons eval` does not compute, measured when the classifier was last fitted and updated with it: the
# `other` threshold sweep (fp32 vectors of the held-apart sets, the stage run at each threshold) and the example
# tickets' agreement (asserted by tests/test_ground_truth.py).
SWEEP = """
The `other` threshold (`min_score` in `taxonomy.yaml`, 0.3): `other` is a sub-reason the classifier learns from
its own examples (greetings, thanks, details the agent asked for, spam, unrelated questions), and a ticket falls back
to it by threshold only when no reason reaches `min_score`. Swept on the held-apart sets
(`scripts/sweep_other_threshold.py`, fp32, reasons.v2:da5f4abd8058) at 0.2 / 0.3 / 0.35 / 0.4 / 0.45 / 0.5 / 0.6:
reason macro-F1 on `eval/reasons.tsv` 0.979 / 0.982 / 0.982 / 0.982 / 0.982 / 0.982 / 0.979, with 4 / 3 / 3 / 3 / 3 /
3 / 3 of its 48 `other` requests given a reason; on `eval/unseen.tsv` 0.972 at every threshold; on the realistic
sets (600 requests, six languages) 0.958 / 0.958 / 0.958 / 0.958 / 0.957 / 0.957 / 0.945, with 2 / 2 / 2 / 2 / 3 / 3 /
9 of their 560 topical requests sent to `other` and 4 of their 40 `other` requests given a reason at every
threshold. With the n-gram head the classifier is confident enough that the threshold hardly matters between 0.2
and 0.5; 0.3 is kept. (Before it, reasons.v1:88c798547521: realistic 0.893 / 0.894 / 0.891 / 0.884 / 0.872 / 0.864 /
0.837 at the same thresholds.) Swept again with `order.place` and `other.contact` (reasons.v2:b778f57bd93a, 720
realistic requests): `eval/reasons.tsv` 0.982 / 0.984 / 0.984 / 0.984 / 0.984 / 0.984 / 0.982, unseen 0.972 at every
threshold, realistic 0.944 / 0.946 / 0.948 / 0.949 / 0.949 / 0.949 / 0.943, with 4 / 4 / 4 / 4 / 5 / 5 / 13 of 620
topical requests sent to `other` and 12 / 10 / 9 / 8 / 8 / 8 / 8 of 100 `other` requests given a reason; 0.4 would
gain 0.003 (two requests), within what one example moves: 0.3 is kept.
"""
# how a conversation's turns are weighed (`opening_weight` in reasons/stage.py), measured on eval/tickets_multiturn.*
TICKET_WEIGHING = """
How the turns of a conversation are weighed: the ticket's reason is the reason with the most probability over its
  topical customer turns, the first counted twice (`opening_weight`). Swept on the whole-conversation set
  (`scripts/sweep_ticket_weighing.py`, reasons.v2:da5f4abd8058) at 1 / 1.5 / 2 / 3 / 4 / 6: macro-F1 0.827 / 0.871 /
  0.850 / 0.833 / 0.833 / 0.833, right 122 / 129 / 127 / 125 / 125 / 125 of 144 (before the n-gram head,
  reasons.v1:88c798547521: 110 / 116 / 118 / 113 / 111 / 111). 2 is kept: 1.5 is two conversations more, within
  noise on 144, and choosing it on the set the figure is measured on would flatter the figure. Most misses are turns
  read wrong on their own, not misweighed ones (praise-only and "it arrived, thanks" contacts read as logistics).
  Also measured once, before the n-gram head, not adopted: each turn's probability multiplied by its confidence
  (0.803, one ticket more: within noise), and each customer turn read sentence by sentence (every sentence encoded
  alone, the earlier sentences weighing more): 0.845 on these conversations but 0.861 instead of 0.894 on the
  realistic single requests, and an encoder pass over every sentence on top of the one over every turn.
"""
REALISTIC_EXAMPLES = """
The examples (60 or more per sub-reason in each of the six languages) are written like real shop traffic: chat,
  e-mail, social and app-form requests, short and long, formal and informal, lower case, typos and missing accents,
  order and tracking numbers inside, several questions at once, emotional, English words mixed in as customers do,
  regional variants (de-AT/CH, es-ES/LatAm, fr-BE/CH/CA, zh simplified and traditional, ja keigo and casual);
  `other` holds greetings, thanks, details the agent asked for, spam and questions about something else, never
  requests the classifier is unsure of. `logistics.delivery_options` ("what delivery options do you have", "do you
  ship to Canada?", `presales.delivery_options` until 7 December 2026: customers and intent-labelled data file
  delivery questions under delivery whether or not anything was ordered yet) gives those requests a home; they fell
  into `other` before it existed. So do `order.place`
  (how to place a new order, help buying, a checkout that will not finish) and `other.contact` (how to reach
  customer service or a person, opening hours, the newsletter, where to leave a review): before them (classifier
  reasons.v2:8f30bc7139a4) "help me make a purchase" read `other`, "how do I contact customer service"
  `complaint`, "subscribe to your newsletter" `account`, and 77 of the 120 held-apart requests of the two kinds
  written with them were read wrong; newsletter rows filed under `account.update_details` moved to `other.contact`.
"""
# the previous classifiers' figures on the realistic sets (`qa reasons eval --card`, fp32, before each refit)
REALISTIC_BEFORE = """
Before the other languages' examples grew (reasons.v1:d64646935b12, 2,997 examples, 223-231 per language
  but English) the classifier scored macro-F1 zh 0.802, de 0.789, ja 0.836, es 0.772, fr 0.779, en 0.901, all 0.823
  on them; before the English examples grew (reasons.v1:0c1380b01906, 260 English examples), 0.770 on the English set.
"""
# the English intent-style set and what it changed (measured 7 December 2026, fp32)
INTENT_STYLE = """
`eval/requests_en_intent_style.tsv` (376 English requests, 14 per intent of 27 common shop intents: cancel or change
  an order or its address, place one, cancellation fees, tracking, delivery options and times, invoices and bills,
  payment methods and problems, refunds and their status, the refund policy, complaints, reviews, creating, editing,
  switching and deleting accounts, passwords, sign-up problems, reaching the service or a person, the newsletter;
  figures `contact_reason_intent_style/en`) is written in the style of public intent corpora generated from
  templates: placeholders such as {{Order Number}}, keyword-only queries ("invoice {{Invoice Number}}"), "wanna",
  typos, "bill" for invoice. Three authors wrote it without seeing any example file. The classifier before it
  (reasons.v2:8c6475104d98) read 0.812: address changes went to tracking, "check my bills" to tracking or `other`,
  and sign-up requests to `order.place`, as no sub-reason held them. Then `account.signup` was added (64 examples
  per language with near misses: buying without an account is `order.place`, the newsletter `other.contact`; 8 more
  such near misses per language) and 185 English examples in that style for 16 sub-reasons, all written by other
  authors who did not see the set: 0.890 (335 of 376 right).
  The set chose what to write, so it is held apart, not unseen; the unseen figure is
  `eval/requests_en_intent_style_unseen.tsv` (261 requests, 10 per intent of the same brief by three more authors,
  written after those examples; 9 rows close to an example removed; figures `contact_reason_intent_style_unseen/en`):
  0.776 with reasons.v2:8c6475104d98, 0.884 after them (reasons.v2:c7591092fa54). Then 169 more English examples
  written to the same brief as the sets (8 per intent, by three more authors who saw neither set; 44 rows close to a
  held-apart request removed): intent-style 0.890 -> 0.934 (349 of 376), unseen 0.884 -> 0.943 (246 of 261), and a
  third set of that brief written at the same time and scored once before and once after (158 requests, not kept)
  0.875 -> 0.931. Over both steps the realistic sets moved 0.939 -> 0.937 (English 0.970 -> 0.932: "do i need to
  register to buy" now reads `account.signup`), the whole conversations 0.880 -> 0.863, `eval/intent_probe.tsv`
  0.977 -> 1.000 (reasons.v2:b4876499c10b). The fit now runs its regressions on one BLAS thread, so that the
  weights do not depend on the machine's core count; refitted so (reasons.v2:739795a1cddc, the same settings, the
  weights apart in their last bits): intent-style 0.934 -> 0.931 (348 of 376), realistic 0.937 -> 0.939 (677 of
  720; English 0.932 -> 0.938), every other figure as it was.
"""
# the "my order has not arrived" examples and what they changed (measured 8 December 2026, fp32)
NOT_ARRIVED = """
"My order has not arrived", said the way customers say what they bought ("The item I ordered has not arrived.",
  "注文した商品がまだ届きません。", "Meine Bestellung ist noch nicht angekommen."), read as a damaged or wrong item
  (1.00) or a missing order confirmation (0.98): 10 of 15 such requests written as a probe
  (`tests/reasons/test_stage.py`, NOT_ARRIVED) went to `returns` or `order`. 75 examples in that phrasing (10-13
  `logistics.delayed` and 2 `logistics.lost` per language, written after the probe and apart from it; none shares
  more than 40% of its character 5-grams with a held-apart request): 15 of 15 (reasons.v2:8e38577c89b2; the search
  chose C 32, keyword weight 3, n-gram weight 1.0 where it had chosen 64, 4 and 1.5). Cost, measured on the
  held-apart sets: intent-style 0.931 -> 0.907 (345 of 376: "I don't know how to reach an employee" went to `order`,
  "report a problem with the sign-up" to `complaint`), its unseen set 0.943 -> 0.941, realistic 0.939 -> 0.935
  (es 0.918 -> 0.901, ja 0.942 -> 0.934, en 0.938 -> 0.943), whole conversations 0.863 -> 0.871, fixed sets
  0.979 -> 0.982. With only the 60 `delayed` examples the search chose other settings again and scored 14 of 15,
  intent-style 0.922 but unseen 0.925; the old settings with all 75 (not what `qa reasons fit` chooses, so not
  reproducible by it) 0.912 / 0.933; adding 18 contrast examples ("delivered yesterday and it does not work":
  returns) did not bring T-6008 back and cost the whole conversations 0.871 -> 0.853. Kept because the unseen
  set, the honest measure, holds, and "has not arrived" is the commonest request there is; the example tickets
  agree on 69 of 73 as before (T-5006 right now, T-6008 wrong).
"""
EXAMPLE_AGREEMENT = (
    "69 of the 73 tickets that have a clear reason (reasons.v2:8e38577c89b2, with the examples of 'my order has "
    "not arrived': T-5006 right now, T-6008 wrong, a coffee machine delivered yesterday that does not work read as "
    "a late delivery; 69 with reasons.v2:739795a1cddc, with `account.signup` and the "
    "intent-style examples, fitted on one BLAS thread; the same with reasons.v2:b4876499c10b, fitted on two; "
    "T-6008 and T-8001 right now, T-4009 and T-5006 wrong; 69 with reasons.v2:8c6475104d98, refitted on the affect "
    "encoder after its support stage's second pass; 70 with reasons.v2:035ab9ea87af before it, with `order.place`, "
    "`other.contact` and delivery options under logistics; 70 with reasons.v2:b778f57bd93a before the delivery "
    "move, which missed T-5006 and read T-6008 right; 69 with reasons.v2:8f30bc7139a4 before them, refitted on "
    "the affect model's "
    "support-stage encoder; 70 with reasons.v2:da5f4abd8058 before it; 61 with reasons.v1:88c798547521, "
    "before the n-gram head, where a later turn or a single keyword often outweighed the opening request, e.g. "
    "T-4009's late flowers read as a refund question from a later turn's 返品; 69 with reasons.v1:d64646935b12, "
    "before the other languages' examples grew); the four misses are listed with the model's reading in "
    "tests/test_ground_truth.py: late birthday flowers read as a return from a later turn's 返品, a coffee "
    "machine delivered and broken read as a late delivery, a question about loyalty points outweighed "
    "by a last turn about the agent's tone (complaint), an order number pulling a product question to order"
)


# why the n-gram head, measured when it was added (`qa reasons eval --card`, fp32, before and after)
NGRAM_HEAD = """
Why the n-gram head: the six-layer encoder blurs the words that name a shop's things ("Rücksendeetikett", "配送方法",
"code promo"), which are most of what tells a return from a complaint or a delivery option from a tracking request.
Before it (reasons.v1:88c798547521, encoder and keywords, cross-validated 0.8638) the realistic sets read zh 0.933,
de 0.800, ja 0.895, es 0.885, fr 0.904, en 0.925, all 0.894; the fixed sets 0.966, unseen phrasing 0.948, whole
conversations 0.797 (118 of 144), the example tickets 61 of 73.
"""


def _confusion(report: dict, source: str) -> str:
    """A markdown confusion table from a report whose per-class rows carry `predicted` counts."""
    classes = [row["class"] for row in report["per_class"]]
    head = f"| {source} | " + " | ".join(classes) + " |\n|---|" + "---|" * len(classes)
    rows = [
        f"| {row['class']} | "
        + " | ".join(str(row.get("predicted", {}).get(c, 0) or ".") for c in classes)
        + " |"
        for row in report["per_class"]
    ]
    return "\n".join([head, *rows])


def _coverage(taxonomy_file: Path) -> str:
    """How far the examples are from 60 per sub-reason and language, the aim (a line of the card's limits)."""
    from collections import Counter

    from qa_engine.reasons.taxonomy import load_taxonomy

    taxonomy = load_taxonomy(taxonomy_file)
    counts = Counter((e.label, e.language) for e in taxonomy.examples())
    cells = [
        counts[(label, language)] for label in taxonomy.labels for language in sorted(taxonomy.languages())
    ]
    languages = sorted(taxonomy.languages())
    per_language = ", ".join(
        f"{lang} {min(counts[(label, lang)] for label in taxonomy.labels)}-"
        f"{max(counts[(label, lang)] for label in taxonomy.labels)}"
        for lang in languages
    )
    return (
        f"Examples per sub-reason and language: {min(cells)} to {max(cells)} (median {sorted(cells)[len(cells) // 2]}; "
        f"per language {per_language}); 60 or more is the aim, and {sum(c >= 60 for c in cells)} of the {len(cells)} "
        f"sub-reason and language pairs have them."
    )


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
    unseen = next((f for f in figs if f["name"] == "reasons/contact_reason_unseen/all"), None)
    confusion = _confusion(overall, "eval/reasons.tsv")
    if unseen is not None:
        confusion += "\n\n" + _confusion(unseen, "eval/unseen.tsv")
    realistic = next((f for f in figs if f["name"] == "reasons/contact_reason_realistic/all"), None)
    if realistic is not None:
        confusion += "\n\n" + _confusion(realistic, "eval/requests_*_realistic.tsv")
    intent_style = next((f for f in figs if f["name"] == "reasons/contact_reason_intent_style/all"), None)
    if intent_style is not None:
        confusion += "\n\n" + _confusion(intent_style, "eval/requests_en_intent_style.tsv")
    tickets = next((f for f in figs if f["name"] == "reasons/contact_reason_tickets/all"), None)
    if tickets is not None:
        confusion += "\n\n" + _confusion(tickets, "eval/tickets_multiturn.*")
    coverage = _coverage(folder / "taxonomy.yaml")
    cv = meta["cv"]
    card = f"""# Contact-reason and escalation classifiers ({meta["version"]})

What: for every customer turn, the probability of each contact reason (`presales, order, payment, logistics,
returns, complaint, account, other`) and sub-reason, and the probability that the turn is heading for an escalation
(chargeback, public complaint, legal action, manager demand, churn threat). They read the mean-pooled vector of the
embedded affect encoder (`models/embedded/affect-e5s6-v1`, the same encoder pass that scores sentiment and emotion),
the turn's character n-grams and per-language keyword evidence; `qa_engine/reasons/stage.py` turns them into each ticket's `contact_reason`,
`contact_reason_score`, `escalation_risk` and `escalation_signals`.

## Data

All of it written by this project's engineers for this purpose (no third-party text), in en, zh, de, ja, es, fr:

- Fitting: the labelled example requests in `examples/<language>.tsv` ({sum(meta["examples"].values())} examples: {", ".join(f"{k} {v}" for k, v in meta["examples"].items())})
  and the escalation signal examples in `rules/default/escalation.yaml` ({meta["escalation_examples"]["escalating"]} escalating,
  {meta["escalation_examples"]["ordinary"]} ordinary including the taxonomy's examples).
  {REALISTIC_EXAMPLES.strip()}
  Order numbers and long first turns appear in every reason, not mostly in tracking requests: an earlier fit
  (reasons.v1:a52616998a84) had learnt "long turn with an order number" as `logistics.tracking` and sent address
  changes, coupon questions and missing refunds there. Keywords are matched as substrings, so each is checked not to
  sit inside a word of another reason (zh 单号 is in 订单号, de sendung in Rücksendung, es repar in repartidor,
  fr reçu in j'ai reçu).
- Held-apart evaluation, never read when fitting: `eval/reasons.tsv` (384 requests, 8 per reason per language,
  48 per reason), `eval/escalation.tsv` (144 requests, 12 escalating and 12 ordinary per language) and
  `eval/unseen.tsv` (62 requests in phrasing not used in the examples, 42 English and 4 in each other language,
  written separately from the examples; figures `contact_reason_unseen`, English and overall only). The previous
  classifier (reasons.v1:c9e4747194b1, before the traffic-like examples) scored 0.767 (en) and 0.758 (all) on it,
  sending 9 of its 58 topical requests to `other`; the first fit on the larger example set (reasons.v1:a52616998a84) 0.895 / 0.875.
  Its three delivery-option requests are no longer fully unseen: the presales keywords added since ("options de
  livraison", "métodos de envío", "配送オプション") are the natural cues of that sub-reason, and they match them.
  `eval/requests_<language>_realistic.tsv` (170 English requests, 5 per sub-reason, and 110 in each other language,
  3 per sub-reason, and 10 for each of `order.place` and `other.contact` in every language; figures
  `contact_reason_realistic/<language>`), written before and apart from that language's new examples in the same
  traffic-like style. {REALISTIC_BEFORE.strip()}
  {INTENT_STYLE.strip()}
  {NOT_ARRIVED.strip()}
  `eval/tickets_multiturn.jsonl` with its labels in `eval/tickets_multiturn.tsv` (147 whole conversations, 24 or 25
  per language, 3-9 turns, every reason at least twice per language: three pre-purchase conversations were added
  when delivery options moved to logistics; figures `contact_reason_tickets/<language>`):
  written apart from the examples and never scored while written, each ticket hard in a way real conversations are
  (a later turn in another reason's words, a greeting before the request, a quoted e-mail, a small second request at
  the end, a praise-only contact); the label is what a QA lead files the ticket under, with why in the `why` column.
  No example equals a held-apart request after normalising case and punctuation or shares more than 60% of its
  character 5-grams (`tests/reasons/test_taxonomy.py`).

Licence: the same as the project (Apache-2.0).

## Recipe

`qa reasons fit` (deterministic, about 3 minutes on a quiet 2-core machine for its 12,000 examples, more on a loaded one; it encodes in fp32 whatever the registry serves,
and `tests/reasons/test_fit.py` checks that a refit with the committed settings, `qa reasons fit --keep-settings`, reproduces
the committed weights and version; `bench/reasons_fit.py` that the whole search still chooses them): encode every example
once; two multinomial logistic
regressions over sub-reasons, one on the pooled vector and one on character n-grams (1-4 characters within word
boundaries, tf-idf, the {NGRAM_FEATURES:,} most frequent n-grams of the examples), combined as
`log p_encoder + n-gram weight x log p_ngrams` (a reason's probability is the sum of its sub-reasons'); the n-gram
head reads only the six example languages (elsewhere the encoder alone places a turn). Both heads' C, the n-gram
weight and the keyword weight chosen together by stratified 3-fold cross-validation on the taxonomy's examples (seed
13), maximising the mean per-language reason macro-F1 (chosen: C={meta["C"]}, n-gram C={meta.get("ngram_C")},
n-gram weight {meta.get("ngram_weight")}, keyword weight {meta["keyword_weight"]}; cross-validated reason macro-F1
{cv["reason_macro_f1"]}, escalation AUC {cv["escalation_auc"]}); a binary logistic regression on the pooled vector
for escalation.
{NGRAM_HEAD.strip()}
{SWEEP.strip()}
{TICKET_WEIGHING.strip()}
Refit after editing the taxonomy or the signal file, or after the encoder is retrained (`qa score` refits in memory
with a warning when the saved classifier does not match them).

## Figures on the held-apart sets

`qa reasons eval --encoder-only` (also printed by `qa models eval`), in fp32 (bf16, served where the CPU has it,
moves a figure by about 0.01). `contact_reason` is the served classifier
(encoder, n-grams and keywords); `contact_reason_encoder_only` the encoder head alone (no n-grams, no keywords); `escalation` is the served
risk (signal phrases and model), `escalation_model_only` the model's probability alone.

| figure | metric | n | value |
|---|---|---|---|
{rows}

Targets: contact-reason macro-F1 >= 0.90 in every language, escalation AUC >= 0.90.

Per reason, all languages:

| reason | precision | recall | F1 | support |
|---|---|---|---|---|
{per_class}

Confusion per reason (rows: the labelled reason; columns: what the classifier said):

{confusion}

On the 74 example tickets (`examples/`, whole conversations, served precision), the contact reason agrees with
the one a person names in `examples/ground_truth.yaml` on {EXAMPLE_AGREEMENT} (`tests/test_ground_truth.py`).

## Limits

- The evaluation sets were written by the same team that wrote the examples and keywords: the figures measure
  consistency with our own idea of each reason, not real customers' wording; expect lower figures on real traffic
  (0.62 macro-F1 was measured on 2,000 real English requests with the previous classifier; not re-measured
  here, that data is not in this repository). `eval/unseen.tsv` and the realistic sets narrow the
  gap but are small (62 requests; 170 English and 110 per other language) and were still written by this team.
  The escalation set is small (24 per language) and its escalating requests are explicit, so a perfect AUC is an
  upper bound, not a promise.
- {coverage}
- A language without examples is served through the multilingual encoder alone, with its score multiplied by
  `unseen_language_factor` (0.8).
"""
    path = folder / "MODEL_CARD.md"
    path.write_text(card, encoding="utf-8")
    return path
