"""SOURCES.yaml: every kind loads; mistakes are one line naming the file, the source and the field."""

from __future__ import annotations

from pathlib import Path

import pytest

from qa_engine.errors import QAError
from qa_engine.pull.config import FolderSource, SqlSource, load_sources, select

GOOD = """
sources:
  - name: zendesk-eu
    kind: zendesk
    url: https://acme.zendesk.com
    email: qa-bot@acme.com
    token_env: ZENDESK_API_TOKEN
    start: 2026-11-01
  - name: fd
    kind: freshdesk
    url: https://acme.freshdesk.com
    api_key_env: FRESHDESK_API_KEY
  - name: gorgias
    kind: gorgias
    url: https://acme.gorgias.com
    username: qa-bot@acme.com
    api_key_env: GORGIAS_API_KEY
  - name: dwh
    kind: sql
    url_env: HELPDESK_DB_URL
    query: turns.sql
  - name: exports
    kind: folder
    path: exports
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "SOURCES.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_contract_example_loads_with_paths_beside_the_file(tmp_path: Path) -> None:
    sources = load_sources(write(tmp_path, GOOD))
    assert [s.kind for s in sources] == ["zendesk", "freshdesk", "gorgias", "sql", "folder"]
    assert sources[0].start_time().isoformat() == "2026-11-01T00:00:00+00:00"
    sql, folder = sources[3], sources[4]
    assert isinstance(sql, SqlSource) and sql.query == tmp_path / "turns.sql"
    assert isinstance(folder, FolderSource) and folder.path == tmp_path / "exports"
    assert [s.name for s in select(sources, ["fd", "dwh"], "x")] == ["fd", "dwh"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (GOOD.replace("name: fd", "name: FD"), "source FD, field name"),
        (GOOD.replace("kind: gorgias", "kind: gorgeous"), "source gorgias"),
        (GOOD.replace("    token_env: ZENDESK_API_TOKEN\n", ""), "source zendesk-eu, field token_env"),
        (
            GOOD.replace("    token_env: ZENDESK_API_TOKEN\n", "    token: abc\n"),
            "source zendesk-eu, field token",
        ),
        (
            GOOD.replace("https://acme.freshdesk.com", "https://key:x@acme.freshdesk.com"),
            "must not hold credentials",
        ),
        (GOOD.replace("name: dwh", "name: fd"), "two sources have this name"),
        ("sources: []\n", "field sources"),
    ],
)
def test_mistakes_are_one_line_naming_the_source(tmp_path: Path, text: str, expected: str) -> None:
    with pytest.raises(QAError) as error:
        load_sources(write(tmp_path, text))
    message = str(error.value)
    assert error.value.code == "Q972" and expected in message and "\n" not in message
    assert str(tmp_path / "SOURCES.yaml") in message


def test_an_unset_secret_names_its_variable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FRESHDESK_API_KEY", raising=False)
    source = load_sources(write(tmp_path, GOOD))[1]
    with pytest.raises(QAError) as error:
        source.secrets()
    assert error.value.code == "Q973" and "FRESHDESK_API_KEY" in str(error.value)


def test_unknown_source_name_and_missing_file(tmp_path: Path) -> None:
    sources = load_sources(write(tmp_path, GOOD))
    with pytest.raises(QAError, match=r"Unknown source 'nope'.*Known: dwh, exports, fd, gorgias, zendesk-eu"):
        select(sources, ["nope"], "SOURCES.yaml")
    with pytest.raises(QAError, match="Q971"):
        load_sources(tmp_path / "missing.yaml")
