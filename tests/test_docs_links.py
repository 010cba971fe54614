"""The README is the entrance: it stays short, starts with the two commands a newcomer runs, and every relative link
in it and in docs/ leads somewhere in the repository (a moved or renamed page must not leave a dead link)."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
DOC_PAGES = sorted((ROOT / "docs").glob("*.md"))
MAX_README_LINES = 300

# [text](target) and ![alt](target); the target ends at the first space or closing parenthesis
_LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
_FENCE = re.compile(r"^(```|~~~)")
_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")


def _prose_lines(text: str) -> list[str]:
    """The lines outside fenced code blocks (a link-like string inside code is not a link)."""
    lines, in_fence = [], False
    for line in text.splitlines():
        if _FENCE.match(line.strip()):
            in_fence = not in_fence
            continue
        if not in_fence:
            lines.append(line)
    return lines


def _slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, markup and punctuation dropped, spaces to hyphens."""
    text = re.sub(r"`|\*|_(?=\W)|(?<=\W)_", "", heading).strip().lower()
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)
    kept = "".join(ch for ch in text if ch in " -_" or unicodedata.category(ch)[0] in "LN")
    return kept.replace(" ", "-")


def _anchors(page: Path) -> set[str]:
    """Every anchor a page offers: one per heading, with GitHub's -1, -2 suffixes for repeated headings."""
    seen: dict[str, int] = {}
    anchors: set[str] = set()
    for line in _prose_lines(page.read_text(encoding="utf-8")):
        match = _HEADING.match(line)
        if not match:
            continue
        slug = _slug(match.group(2))
        count = seen.get(slug, 0)
        anchors.add(slug if count == 0 else f"{slug}-{count}")
        seen[slug] = count + 1
    return anchors


def broken_links(page: Path, root: Path = ROOT) -> list[str]:
    """The relative links of a Markdown page that lead nowhere: a missing file, or a missing heading anchor."""
    broken = []
    for line in _prose_lines(page.read_text(encoding="utf-8")):
        for target in _LINK.findall(line):
            if re.match(r"^[a-z][a-z0-9+.-]*:", target, re.IGNORECASE):
                continue  # http:, https:, mailto: ... are not the repository's
            path_part, _, anchor = target.partition("#")
            dest = (page.parent / path_part).resolve() if path_part else page
            if not dest.exists():
                broken.append(f"{page.relative_to(root)}: {target} (no such file)")
                continue
            try:
                dest.relative_to(root)
            except ValueError:
                broken.append(f"{page.relative_to(root)}: {target} (outside the repository)")
                continue
            if anchor and dest.suffix == ".md" and anchor not in _anchors(dest):
                broken.append(f"{page.relative_to(root)}: {target} (no heading #{anchor})")
    return broken


@pytest.mark.parametrize("page", [README, *DOC_PAGES], ids=lambda p: str(p.relative_to(ROOT)))
def test_every_relative_link_resolves(page: Path) -> None:
    assert broken_links(page) == []


def test_the_checker_finds_a_broken_link(tmp_path: Path) -> None:
    """The check above can fail: a dead file link and a dead anchor are both reported."""
    (tmp_path / "other.md").write_text("# Other page\n\n## A section\n", encoding="utf-8")
    page = tmp_path / "page.md"
    page.write_text(
        "[fine](other.md#a-section) [gone](missing.md) [no anchor](other.md#nowhere)\n"
        "```\n[in code](not-checked.md)\n```\n[web](https://example.com/x.md)\n",
        encoding="utf-8",
    )
    assert broken_links(page, root=tmp_path) == [
        "page.md: missing.md (no such file)",
        "page.md: other.md#nowhere (no heading #nowhere)",
    ]


def test_readme_is_a_short_entrance() -> None:
    lines = README.read_text(encoding="utf-8").splitlines()
    assert len(lines) <= MAX_README_LINES, f"README.md has {len(lines)} lines; move detail into docs/"


def test_readme_starts_with_the_two_commands() -> None:
    """Before any other code block: the command that sets up and runs the demo, then the one that runs the tests,
    and both name scripts that exist (CI runs the test command the README gives)."""
    blocks = re.findall(r"```[a-z]*\n(.*?)```", README.read_text(encoding="utf-8"), flags=re.DOTALL)
    assert blocks[0].strip() == "./scripts/setup.sh && .venv/bin/qa demo"
    assert blocks[1].strip() == "./scripts/setup.sh --dev && ./scripts/test.sh"
    for script in ("scripts/setup.sh", "scripts/test.sh"):
        assert (ROOT / script).is_file()
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "./scripts/setup.sh --dev" in ci and "./scripts/test.sh" in ci


def test_no_page_points_outside_the_repository_or_at_issue_numbers() -> None:
    offenders = []
    for page in [README, *DOC_PAGES]:
        if page.name == "CONTRACT.md":
            continue  # a verbatim copy of the contract
        for number, line in enumerate(page.read_text(encoding="utf-8").splitlines(), start=1):
            if "../shared" in line or re.search(r"\bissues?[ -]#?\d", line, re.IGNORECASE):
                offenders.append(f"{page.relative_to(ROOT)}:{number}: {line.strip()}")
    assert offenders == []


def test_the_quarantine_table_lists_every_reason_as_the_code_words_it() -> None:
    """docs/scoring.md's table of quarantine reasons is the one a user reads: it holds every code of
    `qa_engine.validation.reasons.REASONS` with the same meaning, and no code the engine never writes."""
    from qa_engine.validation.reasons import REASONS

    rows = re.findall(
        r"^\| `([a-z_]+)` \| (.+?) \|$", (ROOT / "docs" / "scoring.md").read_text(encoding="utf-8"), re.M
    )
    assert dict(rows) == REASONS
