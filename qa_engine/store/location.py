"""Where a store lives, as `--db` and `QA_DB` give it (CONTRACT.md section 7): a file path (an embedded DuckDB store)
or a PostgreSQL URL, `postgresql://USER:PASSWORD@HOST:PORT/DBNAME`.

A URL carries a password, so it is never shown as given: `redact` replaces the password before a URL reaches a
message, a log line or the `runs` table. Commands take `--db` through `qa_engine.cli.options.DbOption`, which
reads `QA_DB` when the option is absent and turns a URL into a `StoreUrl` (`store_location`) before anything could
treat it as a file name (a new file called `postgresql:/user:pw@...`). Every command takes both kinds of store.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

DB_ENV = "QA_DB"
_SCHEMES = ("postgresql", "postgres")
# the password part of a URL, also after a Path has collapsed its '//' to '/'
_PASSWORD = re.compile(r"((?:postgresql|postgres)(?:\+\w+)?:/+[^:/@\s]*:)[^@\s]*@", re.IGNORECASE)


def is_url(value: str | Path) -> bool:
    """Whether `--db` names a PostgreSQL database rather than a DuckDB file."""
    text = str.__str__(value) if isinstance(value, str) else str(value)
    scheme = text.split(":", 1)[0].lower() if ":" in text else ""
    return scheme.split("+", 1)[0] in _SCHEMES


def as_url(value: str | Path) -> str:
    """A PostgreSQL URL as given, also after it passed through a `Path` (which collapses its '//' to '/')."""
    text = raw(value)
    scheme, _, rest = text.partition(":")
    return f"{scheme}://{rest.lstrip('/')}"


def redact(text: str | Path) -> str:
    """`text` with the password of every PostgreSQL URL in it replaced by `***`."""
    return _PASSWORD.sub(r"\1***@", str(text))


def describe(value: str | Path) -> str:
    """How a store is named in messages: a path as given; a URL as host, port and database, without credentials."""
    if not is_url(value):
        return str(value)
    parts = urlsplit(str(value))
    try:
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        port = ""
    user = f"{parts.username}@" if parts.username else ""
    return f"postgresql://{user}{parts.hostname or ''}{port}{parts.path}"


class StoreUrl(str):
    """A PostgreSQL URL as a command received it: printed, formatted or put in a message it shows no password
    (`describe`), so `f"... over {db}"` and `QAError(..., path=db)` cannot leak it; `.url` is the whole URL, for the
    driver only."""

    @property
    def url(self) -> str:
        return str.__str__(self)

    def __str__(self) -> str:
        return describe(self.url)

    __repr__ = __str__

    def __format__(self, spec: str) -> str:
        return format(describe(self.url), spec)

    def exists(self) -> bool:
        """Whether the database holds a store (its tables were created)."""
        from qa_engine.store import Store

        return Store(self).path.exists()

    def resolve(self) -> StoreUrl:
        return self


def raw(value: str | Path) -> str:
    """The whole location, password included: for handing on to the driver or a child process, never to show."""
    return value.url if isinstance(value, StoreUrl) else str(value)


def store_location(value: Path | None) -> Path | StoreUrl | None:
    """The `--db` of a command that works on both backends: a DuckDB file's path, or the URL as a `StoreUrl`."""
    if value is not None and is_url(value):
        return StoreUrl(as_url(value))
    return value
