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


def scrub(text: str, secrets: Iterable[str]) -> str:
    """`text` with every secret replaced by `***`."""
    for value in secrets:
        if value:
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

    def fail(self, detail: str) -> SourceFailed:
        return SourceFailed(self.source, scrub(detail, self.secrets))

    def get_json(self, path_or_url: str, params: dict[str, Any] | None = None) -> Any:
        """The decoded JSON body of a GET; SourceFailed when the source cannot go on."""
        url = self.url(path_or_url)
        shown = urlsplit(url).path  # messages name the path only: queries can hold e-mail addresses
        failures = rate_limits = 0
        while True:
            self.requests += 1
            try:
                response = self._client.get(url, params=params)
            except httpx.TimeoutException as exc:
                problem = f"timed out after {self.policy.timeout:g} s ({type(exc).__name__})"
            except httpx.TransportError as exc:
                problem = f"connection failed ({type(exc).__name__})"
            else:
                status = response.status_code
                if status in (401, 403):
                    raise self.fail(
                        f"HTTP {status} {response.reason_phrase} on GET {shown}: check its credentials"
                    )
                if status == 429:
                    rate_limits += 1
                    wait = retry_after_seconds(response.headers.get("Retry-After"))
                    if rate_limits > MAX_RATE_LIMIT_WAITS:
                        raise self.fail(f"HTTP 429 on GET {shown} {rate_limits} times in a row")
                    wait = self.policy.delay(rate_limits) if wait is None else wait
                    if wait > self.policy.max_retry_after:
                        raise self.fail(f"HTTP 429 on GET {shown}: Retry-After {wait:.0f} s is too long")
                    log.warning("%s: rate limited on GET %s, waiting %.1f s", self.source, shown, wait)
                    self.sleep(wait)
                    continue
                if status < 500:
                    if status >= 400:
                        raise self.fail(f"HTTP {status} {response.reason_phrase} on GET {shown}")
                    try:
                        return response.json()
                    except ValueError:
                        raise self.fail(f"GET {shown} answered with something that is not JSON") from None
                problem = f"HTTP {status} {response.reason_phrase}"
            failures += 1
            if failures > self.policy.retries:
                raise self.fail(f"GET {shown}: {problem}, {failures} tries")
            wait = self.policy.delay(failures)
            log.warning("%s: GET %s: %s; retry %d in %.1f s", self.source, shown, problem, failures, wait)
            self.sleep(wait)
