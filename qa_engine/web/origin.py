"""Cross-site refusals: a request that changes something (POST, PUT, PATCH, DELETE) and that the browser says comes
from another site is refused with 403 (Q627) before any route runs.

SameSite=Lax cookies and the CSRF token already stop a forged write; this check stands beside them, and it is the
only guard of the login, which has no session yet: a cross-site login would sign the victim's browser into the
attacker's account, and the victim's work would then land there. Browsers say where a request comes from:
`Sec-Fetch-Site` (`cross-site`, `same-site`, `same-origin`, `none`) and `Origin` (`scheme://host:port`, or `null`
from a sandboxed frame). A request is refused when `Sec-Fetch-Site` is `cross-site`, or when it has an `Origin` that
is not the app's own: the scheme the request came over and the host and port it was sent to (a sibling subdomain
is another origin). A request with neither header (curl, a script) is no browser's and goes on to the session and
CSRF-token checks. Behind a reverse proxy, the app's own origin is what the proxy passes on: the browser's `Host`
header, and the scheme from `X-Forwarded-Proto` when the proxy is trusted (`qa serve --trusted-proxy`).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from fastapi import Request

MUTATING = frozenset({"POST", "PUT", "PATCH", "DELETE"})
DEFAULT_PORTS = {"http": 80, "https": 443}


def _origin(scheme: str, host: str | None, port: int | None) -> tuple[str, str, int | None]:
    scheme = scheme.lower()
    return scheme, (host or "").lower(), port or DEFAULT_PORTS.get(scheme)


def _sent_origin(value: str) -> tuple[str, str, int | None] | None:
    """The Origin header as (scheme, host, port); None when it names no http(s) origin ("null", garbage)."""
    try:
        parts = urlsplit(value.strip())
        port = parts.port
    except ValueError:
        return None
    if parts.scheme.lower() not in DEFAULT_PORTS or not parts.hostname:
        return None
    return _origin(parts.scheme, parts.hostname, port)


def own_origin(request: Request) -> tuple[str, str, int | None] | None:
    try:
        return _origin(request.url.scheme, request.url.hostname, request.url.port)
    except ValueError:  # a Host header with a port that is no number
        return None


def is_cross_site(request: Request) -> bool:
    """True for a mutating request that a browser sent from another site."""
    if request.method not in MUTATING:
        return False
    if request.headers.get("sec-fetch-site", "").strip().lower() == "cross-site":
        return True
    sent = request.headers.get("origin")
    if sent is None:
        return False
    origin = _sent_origin(sent)
    return origin is None or origin != own_origin(request)
