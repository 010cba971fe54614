"""Report file names: the contract's `<agent>.html` and `team-<team or all>.html` for ordinary ids, and never two
ids on one file (`qa_engine.reports.render`)."""

from __future__ import annotations

import pytest

from qa_engine.reports.render import agent_file_stem, report_file_stem, team_file_stem


@pytest.mark.parametrize("name", ["a-17", "agent_4", "EU-1", "m.mueller", "A17"])
def test_ordinary_ids_keep_their_own_names(name: str) -> None:
    assert report_file_stem(name) == agent_file_stem(name) == name
    assert team_file_stem(name) == f"team-{name}"
    assert team_file_stem(None) == "team-all"


def test_ids_that_once_shared_a_file_get_different_names() -> None:
    assert agent_file_stem("a_1") == "a_1"
    assert agent_file_stem("a/1") not in {"a_1", agent_file_stem("a 1"), agent_file_stem("a\\1")}
    assert agent_file_stem("a/1").startswith("a_1-")
    assert team_file_stem("all") != team_file_stem(None)  # a team really called "all" is not the index
    assert agent_file_stem("team-all") != team_file_stem(None)  # nor is an agent called "team-all"
    escaped = agent_file_stem("a/1")
    assert agent_file_stem(escaped) != escaped  # an id that looks escaped is escaped itself


@pytest.mark.parametrize(
    "name", ["../../etc/passwd", "..", ".", "", "a/../b", "\\\\server\\x", "x" * 300, "é/ü"]
)
def test_names_never_hold_a_path_separator_or_dot_dot(name: str) -> None:
    for stem in (agent_file_stem(name), team_file_stem(name)):
        assert "/" not in stem and "\\" not in stem and ".." not in stem
        assert stem and not stem.startswith(".") and len(stem) <= 110


def test_names_are_one_to_one_over_many_lookalikes() -> None:
    names = ["a_1", "a/1", "a 1", "a\\1", "a:1", "a__1", "_a_1", "a_1_", "all", "team-all", "a/1/", "A_1"]
    stems = [agent_file_stem(n) for n in names]
    assert len(set(stems)) == len(names)
    teams = [team_file_stem(n) for n in names] + [team_file_stem(None)]
    assert len(set(teams)) == len(teams)
