"""The contact-reason taxonomy and its example files load, cover the contract's reasons in six languages, stay
apart from the held-apart evaluation sets, and reject bad files with the file, line and field."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest

from qa_engine import paths
from qa_engine.errors import QAError
from qa_engine.reasons.evaluate import (
    ESCALATION_LABELS,
    ESCALATION_SET,
    INTENT_PROBE_SET,
    INTENT_STYLE_SET,
    INTENT_STYLE_UNSEEN_SET,
    REASON_SET,
    UNSEEN_SET,
    read_set,
    read_tickets,
    realistic_sets,
)
from qa_engine.reasons.taxonomy import REASONS, load_taxonomy
from qa_engine.schema import LANGUAGES

GOOD = """\
min_score: 0.4
reasons:
  logistics:
    description: Parcels on their way.
    keywords:
      en: [parcel]
    sub_reasons:
      lost:
        description: Never arrived.
  other:
    description: Anything else.
    sub_reasons:
      chitchat:
        description: Greetings.
"""
EXAMPLES = {
    "en.tsv": "sub_reason\ttext\nlogistics.lost\tWhere did my parcel go?\nother.chitchat\tHello\n",
    "de.tsv": "sub_reason\ttext\nother.chitchat\tHallo\n",
}


def write(tmp_path: Path, text: str, examples: dict[str, str] | None = None) -> Path:
    file = tmp_path / "taxonomy.yaml"
    file.write_text(text, encoding="utf-8")
    (tmp_path / "examples").mkdir(exist_ok=True)
    for name, content in (EXAMPLES if examples is None else examples).items():
        (tmp_path / "examples" / name).write_text(content, encoding="utf-8")
    return file


def test_default_taxonomy_covers_every_contract_reason_in_every_language() -> None:
    taxonomy = load_taxonomy()
    assert taxonomy.reasons == REASONS
    assert taxonomy.languages() == frozenset(LANGUAGES)
    for reason, spec in taxonomy.spec.reasons.items():
        assert set(spec.keywords) == set(LANGUAGES), reason
    counts = Counter((e.label, e.language) for e in taxonomy.examples())
    for label in taxonomy.labels:
        for language in LANGUAGES:  # real traffic needs many phrasings of each sub-reason in every language
            assert counts[(label, language)] >= 60, (label, language)
    # the sub-reasons the default tier policy names exist
    assert {"logistics.lost", "payment.double_charge"} <= set(taxonomy.labels)


def test_labels_and_examples_come_in_file_order(tmp_path: Path) -> None:
    taxonomy = load_taxonomy(write(tmp_path, GOOD))
    assert taxonomy.labels == ("logistics.lost", "other.chitchat")
    assert [(e.label, e.language) for e in taxonomy.examples()] == [
        ("other.chitchat", "de"),
        ("logistics.lost", "en"),
        ("other.chitchat", "en"),
    ]  # fmt: skip  (languages in file-name order, rows in file order)
    assert taxonomy.languages() == {"en", "de"}
    assert len(taxonomy.sha) == 12


def test_the_hash_covers_the_example_files(tmp_path: Path) -> None:
    """Editing an example makes a fitted classifier stale, as editing the YAML does."""
    file = write(tmp_path, GOOD)
    before = load_taxonomy(file).sha
    (tmp_path / "examples" / "de.tsv").write_text("sub_reason\ttext\nother.chitchat\tGuten Tag\n", "utf-8")
    assert load_taxonomy(file).sha != before


@pytest.mark.parametrize(
    ("name", "content", "line", "field", "says"),
    [
        (
            "en.tsv",
            "sub_reason\ttext\nother.chitchat\tHi\nlogistics.parcel\tWhere is it?\n",
            3,
            "sub_reason",
            "logistics.parcel",
        ),
        ("en.tsv", "sub_reason\ttext\nother.chitchat\tHi\nlogistics.lost Where is it?\n", 3, "-", "2 tab"),
        ("en.tsv", "sub_reason\ttext\nother.chitchat\t  \n", 2, "text", "empty"),
        (
            "en.tsv",
            "sub_reason\ttext\nother.chitchat\tHi there\nother.chitchat\thi  THERE\n",
            3,
            "text",
            "line 2",
        ),
        ("en.tsv", "label\ttext\nother.chitchat\tHi\n", 1, "-", "header"),
        ("EN.tsv", "sub_reason\ttext\nother.chitchat\tHi\n", 1, "-", "ISO 639-1"),
    ],
)
def test_bad_example_row_names_file_and_line(
    tmp_path: Path, name: str, content: str, line: int, field: str, says: str
) -> None:
    file = write(tmp_path, GOOD, {name: content})
    with pytest.raises(QAError) as caught:
        load_taxonomy(file)
    assert caught.value.code == "Q701"
    assert caught.value.fields["file"] == tmp_path / "examples" / name
    assert (caught.value.fields["line"], caught.value.fields["field"]) == (line, field)
    assert says in str(caught.value) and f"{name}:{line}" in str(caught.value)


def test_no_example_files_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(QAError) as caught:
        load_taxonomy(write(tmp_path, GOOD, {}))
    assert caught.value.code == "Q703" and "examples" in str(caught.value)


def _grams(text: str) -> set[str]:
    norm = _normal(text)
    return {norm[i : i + 5] for i in range(max(1, len(norm) - 4))}


def _normal(text: str) -> str:
    return " ".join(re.sub(r"[^\w\s]", " ", text.lower()).split())


def test_no_example_is_a_near_duplicate_of_a_held_apart_request() -> None:
    """The held-apart sets measure phrasing the classifier was not fitted on: no example may equal one of their
    requests (or a customer turn of 30 characters or more of the whole-conversation set) after normalising case and punctuation, or share more than 60% of its character 5-grams (Jaccard)."""
    sets = [
        (paths.models_dir() / name, "reason", REASONS)
        for name in (REASON_SET, UNSEEN_SET, INTENT_PROBE_SET, INTENT_STYLE_SET, INTENT_STYLE_UNSEEN_SET)
    ]
    sets += [(file, "reason", REASONS) for file in realistic_sets()]
    sets.append((paths.models_dir() / ESCALATION_SET, "label", ESCALATION_LABELS))
    held = [r.text for file, column, allowed in sets for r in read_set(file, column, allowed)]
    conversations = read_tickets()  # and the customer turns of the whole-conversation set that say something
    if conversations is not None:
        turns = conversations.turns.filter(speaker="customer")["text"].to_list()
        held += [t for t in turns if len(_normal(t)) >= 30]
    held_grams = [_grams(t) for t in held]
    held_by_norm = {_normal(t): t for t in held}
    by_gram: dict[str, list[int]] = {}  # an inverted index: only held requests sharing a 5-gram can be close
    for i, grams in enumerate(held_grams):
        for gram in grams:
            by_gram.setdefault(gram, []).append(i)
    close = []
    for example in load_taxonomy().examples():
        grams = _grams(example.text)
        if _normal(example.text) in held_by_norm:
            close.append((example.language, example.text, held_by_norm[_normal(example.text)]))
        shared = Counter(i for gram in grams for i in by_gram.get(gram, ()))
        for i, n in shared.items():
            if n / (len(grams) + len(held_grams[i]) - n) > 0.6:
                close.append((example.language, example.text, held[i]))
    assert not close, close[:10]


@pytest.mark.parametrize(
    ("old", "new", "line", "field"),
    [
        ("  logistics:\n", "  shipping:\n", 3, "reasons"),  # not a contract reason
        ("  other:\n", "  returns:\n", 3, "reasons"),  # no `other` to fall back on
        ("min_score: 0.4", "min_score: 1.5", 1, "min_score"),
        ("      en: [parcel]", "      EN: [parcel]", 6, "reasons.logistics.keywords"),
        (  # examples live in examples/<language>.tsv only: one inline in the YAML is refused, not ignored
            "        description: Never arrived.\n",
            '        description: Never arrived.\n        examples:\n          en: ["Where is it?"]\n',
            11,
            "reasons.logistics.sub_reasons.lost.examples",
        ),
        ("      lost:\n", "      Lost-Parcel:\n", 8, "reasons.logistics.sub_reasons"),
        (
            "    description: Parcels on their way.\n",
            "    description: Parcels.\n    colour: red\n",
            5,
            "reasons.logistics.colour",
        ),
    ],
)
def test_bad_taxonomy_names_file_line_and_field(
    tmp_path: Path, old: str, new: str, line: int, field: str
) -> None:
    assert old in GOOD
    file = write(tmp_path, GOOD.replace(old, new))
    with pytest.raises(QAError) as caught:
        load_taxonomy(file)
    assert caught.value.code == "Q701"
    assert caught.value.fields["file"] == file
    assert (caught.value.fields["line"], caught.value.fields["field"]) == (line, field)
    assert "\n" not in str(caught.value)


def test_unparseable_yaml_and_missing_file(tmp_path: Path) -> None:
    with pytest.raises(QAError) as caught:
        load_taxonomy(write(tmp_path, GOOD.replace("reasons:\n", "reasons: [\n")))
    assert caught.value.code == "Q701" and caught.value.fields["line"] >= 2
    with pytest.raises(QAError) as caught:
        load_taxonomy(tmp_path / "absent.yaml")
    assert caught.value.code == "Q703" and "absent.yaml" in str(caught.value)
