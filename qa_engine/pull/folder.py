"""A folder of exports (CONTRACT.md section 6): JSON Lines, JSON, CSV and Parquet files, read like `qa score`.

Which files are new is decided by a ledger of the files scored (path, size, content hash), never by modification
times: a file copied in with an old time stamp is still scored, the same content delivered twice (under any name)
is not, and a file whose content changed is read again (its unchanged tickets are then skipped by their hashes).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
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


@register_connector("folder")
def pull_folder(source: FolderSource, cursor: dict[str, Any] | None, known: Known) -> Iterator[Page]:
    """One page per file not in the ledger, in path order."""
    from qa_engine.sources import SOURCES

    folder = source.path
    if not folder.is_dir():
        raise SourceFailed(source.name, f"folder not found: {folder}")
    files = sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in SOURCES)
    entries: dict[str, tuple] = {}
    for path in files:
        try:
            entries.setdefault(f"sha256:{file_hash(path)}", (path, str(path.stat().st_size)))
        except OSError as exc:
            raise SourceFailed(source.name, f"cannot read {path}: {exc.strerror}") from None
    unchanged = known({item: size for item, (_, size) in entries.items()})
    skipped = len(files) - len(entries) + len(unchanged)  # delivered twice in this folder, or stored before
    for number, (item, (path, size)) in enumerate(i for i in entries.items() if i[0] not in unchanged):
        yield Page(
            cursor={"last_file": str(path)}, files=[path], versions={item: size}, details={item: str(path)},
            listed=1 + (skipped if number == 0 else 0), skipped=skipped if number == 0 else 0,
        )  # fmt: skip
    if len(unchanged) == len(entries):
        yield Page(cursor=None, listed=len(files), skipped=len(files))
