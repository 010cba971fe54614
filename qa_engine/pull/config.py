"""SOURCES.yaml (CONTRACT.md section 6): the sources `qa pull` reads, validated when loaded.

Each source is a pydantic model per kind, so a typo (an unknown key, a kind that does not exist, a name with
capitals) fails at load with one line naming the file and the source. Secrets are never in the file: it names the
environment variables that hold them (`token_env`, `api_key_env`, `url_env`) and `secret()` reads them when a pull
starts; a URL with a password in it is refused.
"""

from __future__ import annotations

import os
import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit

import yaml
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, field_validator

from qa_engine.errors import QAError

NAME_PATTERN = r"^[a-z0-9][a-z0-9-]{0,62}$"
DEFAULT_START_DAYS = 30


class _Source(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    start: date | datetime | None = None  # where the first pull begins (default: 30 days ago)
    timeout: float = Field(default=30.0, gt=0, le=600)  # seconds, every request
    retries: int = Field(default=4, ge=3, le=10)  # tries after the first on 429, 5xx, resets, timeouts

    @field_validator("name")
    @classmethod
    def _plain_name(cls, value: str) -> str:
        if not re.fullmatch(NAME_PATTERN, value):
            raise ValueError(
                f"{value!r}: use lower-case letters, digits and '-' (the name prefixes ticket ids)"
            )
        return value

    def start_time(self) -> datetime:
        """The first pull's lower bound, in UTC."""
        if self.start is None:
            return datetime.now(UTC).replace(microsecond=0) - timedelta(days=DEFAULT_START_DAYS)
        if isinstance(self.start, datetime):
            return self.start if self.start.tzinfo else self.start.replace(tzinfo=UTC)
        return datetime(self.start.year, self.start.month, self.start.day, tzinfo=UTC)

    def secrets(self) -> list[str]:
        """The secret values this source reads (so that any message can be scrubbed of them)."""
        return []

    def describe(self) -> str:
        """What the `runs` table records for this source: its name and kind, never a secret."""
        return f"pull:{self.name} ({self.kind})"  # type: ignore[attr-defined]


class _HttpSource(_Source):
    url: str

    @field_validator("url")
    @classmethod
    def _plain_https_url(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("give the helpdesk's base URL, e.g. https://acme.zendesk.com")
        if parts.username or parts.password:
            raise ValueError("the URL must not hold credentials: name an environment variable for them")
        return value.rstrip("/")


class ZendeskSource(_HttpSource):
    kind: Literal["zendesk"]
    email: str
    token_env: str

    def secrets(self) -> list[str]:
        return [secret(self, "token_env")]


class FreshdeskSource(_HttpSource):
    kind: Literal["freshdesk"]
    api_key_env: str

    def secrets(self) -> list[str]:
        return [secret(self, "api_key_env")]


class GorgiasSource(_HttpSource):
    kind: Literal["gorgias"]
    username: str
    api_key_env: str

    def secrets(self) -> list[str]:
        return [secret(self, "api_key_env")]


class SqlSource(_Source):
    kind: Literal["sql"]
    url_env: str
    query: Path  # relative to the config file's folder
    page_tickets: int = Field(default=500, ge=1, le=100_000)

    def secrets(self) -> list[str]:
        url = secret(self, "url_env")
        from sqlalchemy.engine import make_url

        try:
            password = make_url(url).password
        except Exception:  # an unparsable URL fails later, with the URL scrubbed from the message
            password = None
        return [url] + ([str(password)] if password else [])


class FolderSource(_Source):
    kind: Literal["folder"]
    path: Path  # relative to the config file's folder


SourceConfig = Annotated[
    ZendeskSource | FreshdeskSource | GorgiasSource | SqlSource | FolderSource, Field(discriminator="kind")
]


class SourcesFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sources: list[SourceConfig] = Field(min_length=1)


def secret(source: _Source, field: str) -> str:
    """The value of the environment variable that `field` names; Q973 (naming the variable) when unset."""
    variable = getattr(source, field)
    value = os.environ.get(variable, "")
    if not value.strip():
        raise QAError("Q973", source=source.name, variable=variable, field=field)
    return value.strip()


def load_sources(path: str | Path) -> list[SourceConfig]:
    """The sources of a SOURCES.yaml, paths made relative to its folder; Q971/Q972 on a bad file."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise QAError("Q971", path=path, detail=exc.strerror or str(exc)) from exc
    except yaml.YAMLError as exc:
        raise QAError("Q971", path=path, detail=str(exc).splitlines()[0]) from exc
    try:
        parsed = TypeAdapter(SourcesFile).validate_python(data)
    except ValidationError as exc:
        error = exc.errors()[0]
        where = _where(data, error["loc"])
        raise QAError(
            "Q972", path=path, where=where, detail=error["msg"].removeprefix("Value error, ")
        ) from None
    names = [s.name for s in parsed.sources]
    for name in names:
        if names.count(name) > 1:
            raise QAError("Q972", path=path, where=f"source {name}", detail="two sources have this name")
    base = path.parent
    resolved = []
    for source in parsed.sources:
        if isinstance(source, SqlSource | FolderSource):
            field = "query" if isinstance(source, SqlSource) else "path"
            value = getattr(source, field)
            source = source.model_copy(update={field: value if value.is_absolute() else base / value})
        resolved.append(source)
    return resolved


def _where(data: object, loc: tuple) -> str:
    """'source zendesk-eu, field email' from a pydantic error location."""
    if len(loc) >= 2 and loc[0] == "sources" and isinstance(loc[1], int):
        items = data.get("sources") if isinstance(data, dict) else None
        item = items[loc[1]] if isinstance(items, list) and loc[1] < len(items) else None
        label = item.get("name") if isinstance(item, dict) and item.get("name") else f"#{loc[1] + 1}"
        rest = [str(x) for x in loc[2:] if x not in ("zendesk", "freshdesk", "gorgias", "sql", "folder")]
        return f"source {label}" + (f", field {'.'.join(rest)}" if rest else "")
    return "field " + ".".join(str(x) for x in loc) if loc else "the top level"


def select(sources: list[SourceConfig], names: list[str] | None, path: str | Path) -> list[SourceConfig]:
    """The named sources in the file's order (all when none is named); Q974 for a name the file lacks."""
    if not names:
        return sources
    known = {s.name for s in sources}
    for name in names:
        if name not in known:
            raise QAError("Q974", name=name, path=path, known=", ".join(sorted(known)))
    return [s for s in sources if s.name in names]
