"""A folder of exports (CONTRACT.md section 6): JSON Lines, JSON, CSV and Parquet files, read like `qa score`.

Which files are new is decided by a ledger of the files scored (path, size, content hash), never by modification
times: a file copied in with an old time stamp is still scored, the same content delivered twice (under any name)
is not, and a file whose content changed is read again (its unchanged tickets are then skipped by their hashes).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from qa_engine.pull.base import Known, Page, register_connector
from qa_engine.pull.config import FolderSource
from qa_engine.pull.http import SourceFailed

CHUNK = 1 << 20


def file_hash(path) -> str:
    """sha256 hex of a file's bytes, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(CHUNK):
            digest.update(block)
    return digest.hexdigest()


def unseen_files(folder: Path, known: Known) -> tuple[list[tuple[Path, str, str]], int]:
    """(path, ledger item, size) of each transcript file under `folder` whose content the ledger lacks, in path
    order, each content once; and how many files were left out (stored before, or a copy of another)."""
    from qa_engine.sources import SOURCES

    files = sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in SOURCES)
    entries: dict[str, tuple[Path, str]] = {}
    for path in files:
        entries.setdefault(f"sha256:{file_hash(path)}", (path, str(path.stat().st_size)))
    unchanged = known({item: size for item, (_, size) in entries.items()})
    new = [(path, item, size) for item, (path, size) in entries.items() if item not in unchanged]
    return new, len(files) - len(new)


@register_connector("folder")
def pull_folder(source: FolderSource, cursor: dict[str, Any] | None, known: Known) -> Iterator[Page]:
    """One page per file not in the ledger, in path order."""
    folder = source.path
    if not folder.is_dir():
        raise SourceFailed(source.name, f"folder not found: {folder}")
    try:
        new, skipped = unseen_files(folder, known)
    except OSError as exc:
        raise SourceFailed(source.name, f"cannot read {exc.filename}: {exc.strerror}") from None
    for number, (path, item, size) in enumerate(new):
        yield Page(
            cursor={"last_file": str(path)}, files=[path], versions={item: size}, details={item: str(path)},
            listed=1 + (skipped if number == 0 else 0), skipped=skipped if number == 0 else 0,
        )  # fmt: skip
    if not new:
        yield Page(cursor=None, listed=skipped, skipped=skipped)
