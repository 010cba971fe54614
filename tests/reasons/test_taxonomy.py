"""The contact-reason taxonomy loads, covers the contract's reasons in six languages, and rejects bad files with
the file, line and field."""

from __future__ import annotations

from pathlib import Path

import pytest

from qa_engine.errors import QAError
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
        examples:
          en: ["Where did my parcel go?"]
  other:
    description: Anything else.
    sub_reasons:
      chitchat:
        description: Greetings.
        examples:
          en: ["Hello"]
          de: ["Hallo"]
"""


def write(tmp_path: Path, text: str) -> Path:
    file = tmp_path / "taxonomy.yaml"
    file.write_text(text, encoding="utf-8")
    return file


def test_default_taxonomy_covers_every_contract_reason_in_every_language() -> None:
    taxonomy = load_taxonomy()
    assert taxonomy.reasons == REASONS
    assert taxonomy.languages() == frozenset(LANGUAGES)
    for reason, spec in taxonomy.spec.reasons.items():
        assert set(spec.keywords) == set(LANGUAGES), reason
        for sub, sub_spec in spec.sub_reasons.items():
            assert set(sub_spec.examples) == set(LANGUAGES), f"{reason}.{sub}"
            assert all(len(texts) >= 3 for texts in sub_spec.examples.values()), f"{reason}.{sub}"
    # the sub-reasons the default tier policy names exist
    assert {"logistics.lost", "payment.double_charge"} <= set(taxonomy.labels)


def test_labels_and_examples_come_in_file_order(tmp_path: Path) -> None:
    taxonomy = load_taxonomy(write(tmp_path, GOOD))
    assert taxonomy.labels == ("logistics.lost", "other.chitchat")
    assert [(e.label, e.language) for e in taxonomy.examples()] == [
        ("logistics.lost", "en"), ("other.chitchat", "en"), ("other.chitchat", "de"),
    ]  # fmt: skip
    assert taxonomy.languages() == {"en", "de"}
    assert len(taxonomy.sha) == 12


@pytest.mark.parametrize(
    ("old", "new", "line", "field"),
    [
        ("  logistics:\n", "  shipping:\n", 3, "reasons"),  # not a contract reason
        ("  other:\n", "  returns:\n", 3, "reasons"),  # no `other` to fall back on
        ("min_score: 0.4", "min_score: 1.5", 1, "min_score"),
        (
            '          en: ["Where did my parcel go?"]',
            "          en: [42]",
            11,
            "reasons.logistics.sub_reasons.lost.examples.en[0]",
        ),
        (
            '          de: ["Hallo"]',
            '          DE: ["Hallo"]',
            18,
            "reasons.other.sub_reasons.chitchat.examples",
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
