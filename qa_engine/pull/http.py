"""HTTP for the helpdesk connectors: httpx with a timeout on every request and a small retry policy.

Why not httpx's own `retries=`: it retries failed connects only. The contract asks more (CONTRACT.md section 6):
HTTP 429 waits `Retry-After` and tries again; 5xx, a reset connection and a timeout retry with exponential back-off
(at least 3 times), then the source fails; 401 and 403 fail the source at once. A loop of twenty lines says that
exactly; see docs/pull.md for the libraries weighed.

Credentials travel only to the configured host: a pagination link the server hands back (`after_url`,
`next_page`) is followed by its path and query on the configured base URL, never by its host. Messages name the
source, the method, the path and the status, never a header or a secret (`scrub` removes any that slips in).
"""

from __future__ import annotations

import email.utils
import json
import logging
import random
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx

log = logging.getLogger("qa_engine.pull")

MAX_RATE_LIMIT_WAITS = 20  # 429s in a row on one request before the source gives up
USER_AGENT = "qa-engine-pull/1"


class SourceFailed(Exception):
    """A source cannot go on (bad credentials, retries used up, a response that is not what the API documents).
    The message is one line naming the source and the cause, with every secret scrubbed from it."""

    def __init__(self, source: str, detail: str) -> None:
        self.source = source
        self.detail = detail
        super().__init__(f"source {source}: {detail}")


class ItemUnavailable(SourceFailed):
    """One listed item's own resource answered 404 or 410 (a ticket deleted or merged since it was listed): the
    connector quarantines that ticket and goes on. Raised only where the caller asks (`get_json(..., item=True)`);
    a list that answers so still fails the source, and a 403 always does (the contract: a refusal is the
    credentials' or the permissions' problem, for a person to fix)."""


@dataclass(frozen=True)
class RetryPolicy:
    """How hard one request tries: `retries` after the first attempt on 5xx/resets/timeouts, back-off doubling
    from `backoff` seconds up to `max_backoff`; a 429's `Retry-After` is honoured up to `max_retry_after`."""

    timeout: float = 30.0
    retries: int = 4
    backoff: float = 0.5
    max_backoff: float = 30.0
    max_retry_after: float = 600.0

    def delay(self, attempt: int) -> float:
        """Seconds to wait before retry number `attempt` (1-based), with a little jitter."""
        base = min(self.backoff * 2 ** (attempt - 1), self.max_backoff)
        return base * (1 + random.uniform(0, 0.1))


# shorter "secrets" are not scrubbed: Freshdesk's fixed password "X" would mangle every message
MIN_SECRET = 4


def scrub(text: str, secrets: Iterable[str]) -> str:
    """`text` with every secret replaced by `***`."""
    for value in secrets:
        if value and len(value) >= MIN_SECRET:
            text = text.replace(value, "***")
    return text


def retry_after_seconds(value: str | None) -> float | None:
    """`Retry-After` as seconds: a number, or an HTTP date; None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


class HttpClient:
    """GET JSON from one helpdesk with the retry policy; one per source and pull (`with HttpClient(...)`)."""

    def __init__(
        self,
        source: str,
        base_url: str,
        auth: tuple[str, str],
        policy: RetryPolicy,
        secrets: Iterable[str] = (),
        sleep: Callable[[float], None] = time.sleep,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.source = source
        self.base = urlsplit(base_url.rstrip("/"))
        self.policy = policy
        self.secrets = [s for s in secrets if s] + [auth[1]]
        self.sleep = sleep
        self.requests = 0  # requests sent, retries included (progress and tests)
        self._client = httpx.Client(
            auth=httpx.BasicAuth(*auth),
            timeout=httpx.Timeout(policy.timeout),
            headers={"Accept": "application/json", "User-Agent": USER_AGENT},
            follow_redirects=False,  # a redirect could carry the credentials elsewhere
            transport=transport,
        )

    def __enter__(self) -> HttpClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self._client.close()

    def url(self, path_or_url: str) -> str:
        """An absolute URL on the configured base: a path is appended to the base's path; a full URL (a
        pagination link) keeps only its path and query."""
        parts = urlsplit(path_or_url)
        if parts.scheme:
            return urlunsplit((self.base.scheme, self.base.netloc, parts.path, parts.query, ""))
        path, _, query = path_or_url.partition("?")
        return urlunsplit((self.base.scheme, self.base.netloc, self.base.path + path, query, ""))

    def fail(self, detail: str, kind: type[SourceFailed] = SourceFailed) -> SourceFailed:
        return kind(self.source, scrub(detail, self.secrets))

    def get_json(self, path_or_url: str, params: dict[str, Any] | None = None, *, item: bool = False) -> Any:
        """The decoded JSON body of a GET; SourceFailed when the source cannot go on (`ItemUnavailable` for a 404
        or 410 when `item`: the resource of one listed ticket is gone, not the source)."""
        url = self.url(path_or_url)
        shown = urlsplit(url).path  # messages name the path only: queries can hold e-mail addresses
        failures = rate_limits = 0
        while True:
            self.requests += 1
            wait = None
            try:
                status, reason, headers, body = self._get(url, params)
            except httpx.TimeoutException as exc:
                problem = f"timed out after {self.policy.timeout:g} s ({type(exc).__name__})"
            except httpx.TransportError as exc:
                problem = f"connection failed ({type(exc).__name__})"
            else:
                if item and status in (404, 410):
                    raise self.fail(f"HTTP {status} {reason} on GET {shown}", ItemUnavailable)
                if status in (401, 403):
                    raise self.fail(f"HTTP {status} {reason} on GET {shown}: check its credentials")
                if status == 429:
                    rate_limits += 1
                    wait = retry_after_seconds(headers.get("Retry-After"))
                    if rate_limits > MAX_RATE_LIMIT_WAITS:
                        raise self.fail(f"HTTP 429 on GET {shown} {rate_limits} times in a row")
                    wait = self.policy.delay(rate_limits) if wait is None else wait
                    if wait > self.policy.max_retry_after:
                        raise self.fail(f"HTTP 429 on GET {shown}: Retry-After {wait:.0f} s is too long")
                    log.warning("%s: rate limited on GET %s, waiting %.1f s", self.source, shown, wait)
                    self.sleep(wait)
                    continue
                if 300 <= status < 400:  # not followed: a redirect could carry the credentials elsewhere
                    where = urlsplit(headers.get("Location") or "")
                    target = f" to {where.scheme}://{where.netloc}{where.path}" if where.netloc else ""
                    raise self.fail(
                        f"HTTP {status} {reason} on GET {shown}: redirected{target}; check its url"
                    )
                if 400 <= status < 500:
                    raise self.fail(f"HTTP {status} {reason} on GET {shown}")
                if status < 300:
                    try:
                        return json.loads(body)
                    except ValueError:  # a cut or empty body, or a proxy's HTML page: often passing
                        kind = headers.get("Content-Type", "no content type").split(";")[0]
                        problem = f"HTTP {status} with a body that is not JSON ({kind}, {len(body)} bytes)"
                else:
                    problem = f"HTTP {status} {reason}"
                    if status == 503:  # maintenance: the server may say when to come back
                        wait = retry_after_seconds(headers.get("Retry-After"))
            failures += 1
            if failures > self.policy.retries:
                raise self.fail(f"GET {shown}: {problem}, {failures} tries")
            wait = self.policy.delay(failures) if wait is None else min(wait, self.policy.max_retry_after)
            log.warning("%s: GET %s: %s; retry %d in %.1f s", self.source, shown, problem, failures, wait)
            self.sleep(wait)

    def _get(self, url: str, params: dict[str, Any] | None) -> tuple[int, str, httpx.Headers, bytes]:
        """One GET read to its last byte within `timeout` seconds in all: httpx's timeout bounds each read, so a
        server that trickles its body a few bytes at a time could otherwise hold the pull for ever."""
        deadline = time.monotonic() + self.policy.timeout
        with self._client.stream("GET", url, params=params) as response:
            chunks = []
            for chunk in response.iter_bytes():
                chunks.append(chunk)
                if time.monotonic() > deadline:
                    raise httpx.ReadTimeout("the whole response took longer than the timeout")
            return response.status_code, response.reason_phrase, response.headers, b"".join(chunks)
