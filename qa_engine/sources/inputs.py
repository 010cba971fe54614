"""From what the user typed to the files to read, and the checks that fail a whole file early.

Globs expand sorted, every file is read once, and a pattern that matches nothing, a missing file or a file whose
bytes are not UTF-8 text at all stops the run with a one-line error naming it, before any record is read.
"""

from __future__ import annotations

import glob
from collections.abc import Sequence
from pathlib import Path

from qa_engine.errors import QAError

SNIFF_BYTES = 64 * 1024
MAX_NUL_SHARE = 0.25  # UTF-16 without a BOM puts a NUL byte beside every ASCII letter
MAX_INVALID_LINES = 0.5  # a few bad lines are quarantined; a file where most lines are not UTF-8 is refused
UTF_BOMS: dict[bytes, str] = {
    b"\xff\xfe\x00\x00": "UTF-32",
    b"\x00\x00\xfe\xff": "UTF-32",
    b"\xff\xfe": "UTF-16",
    b"\xfe\xff": "UTF-16",
}
UTF8_BOM = b"\xef\xbb\xbf"
GLOB_CHARS = frozenset("*?[")


def expand_inputs(inputs: Sequence[str | Path]) -> list[tuple[Path, str]]:
    """(path, label) for every file to read, in order: globs expanded sorted, each file once.

    The label is the path as given (or as the glob produced it): quarantine records and errors name files by it.
    """
    files: list[tuple[Path, str]] = []
    seen: set[Path] = set()
    for item in inputs:
        text = str(item)
        if GLOB_CHARS & set(text):
            matches = sorted(match for match in glob.glob(text, recursive=True) if Path(match).is_file())
            if not matches:
                raise QAError("Q003", pattern=text)
        else:
            path = Path(text)
            if not path.exists():
                raise QAError("Q001", path=text)
            if path.is_dir():
                raise QAError(
                    "Q002", path=text, detail="it is a folder; pass its files or a glob such as dir/*.jsonl"
                )
            matches = [text]
        for match in matches:
            resolved = Path(match).resolve()
            if resolved not in seen:
                seen.add(resolved)
                files.append((Path(match), match))
    return files


def check_text_file(path: Path, label: str) -> None:
    """Fail early (Q002) on a file that cannot be opened or whose start is not UTF-8 text."""
    try:
        with path.open("rb") as handle:
            sample = handle.read(SNIFF_BYTES)
    except OSError as error:
        raise QAError("Q002", path=label, detail=error.strerror or str(error)) from error
    for bom, encoding in UTF_BOMS.items():
        if sample.startswith(bom):
            raise QAError("Q002", path=label, detail=f"it is {encoding} text; save it as UTF-8")
    if not sample:
        return
    if sample.count(0) / len(sample) > MAX_NUL_SHARE:
        share = sample.count(0) / len(sample)
        raise QAError(
            "Q002",
            path=label,
            detail=f"{share:.0%} of its first bytes are NUL: binary data or UTF-16 without a BOM",
        )
    lines = sample.split(b"\n")
    if len(sample) == SNIFF_BYTES and len(lines) > 1:
        lines.pop()  # cut by the sample's end
    lines = [line for line in lines if line.strip()]
    invalid = sum(not is_utf8(line) for line in lines)
    if lines and invalid / len(lines) > MAX_INVALID_LINES:
        raise QAError(
            "Q002",
            path=label,
            detail=f"{invalid} of its first {len(lines)} lines are not UTF-8 text (another encoding?); save it as UTF-8",
        )


def is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True
