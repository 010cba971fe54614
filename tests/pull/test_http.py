"""The retry policy over real sockets: 429 waits Retry-After, 5xx/resets/timeouts back off, 401/403 fail at once."""

from __future__ import annotations

import time

import pytest

from qa_engine.pull.base import text_id
from qa_engine.pull.http import HttpClient, RetryPolicy, SourceFailed, retry_after_seconds, scrub
from tests.pull.helpdesks import Fault, Zendesk

TOKEN = "tok-abc-123"
PATH = "/api/v2/users/show_many.json"


@pytest.fixture
def desk():
    with Zendesk("bot@acme.example", TOKEN) as server:
        server.add_user(1, "agent")
        yield server


def client(desk: Zendesk, waits: list[float], token: str = TOKEN, **policy) -> HttpClient:
    return HttpClient(
        "zd", desk.url, ("bot@acme.example/token", token), RetryPolicy(**{"backoff": 0.01, **policy}),
        sleep=waits.append,
    )  # fmt: skip


def test_429_waits_retry_after_then_succeeds(desk: Zendesk) -> None:
    desk.faults.append(Fault(PATH, 429, {"Retry-After": "7"}))
    waits: list[float] = []
    with client(desk, waits) as http:
        body = http.get_json(PATH, {"ids": "1"})
    assert body["users"][0]["id"] == 1
    assert waits == [7.0] and http.requests == 2


def test_503_reset_and_timeout_retry_with_backoff(desk: Zendesk) -> None:
    desk.faults += [Fault(PATH, 503), Fault(PATH, 0), Fault(PATH, -1, stall=1.0)]
    waits: list[float] = []
    started = time.monotonic()
    with client(desk, waits, timeout=0.3) as http:
        assert http.get_json(PATH, {"ids": "1"})["users"]
    assert http.requests == 4
    assert len(waits) == 3 and waits[0] < waits[1] < waits[2]  # doubling back-off
    assert time.monotonic() - started < 5


def test_5xx_past_the_retries_fails_the_source_naming_it(desk: Zendesk) -> None:
    desk.faults.append(Fault(PATH, 502, times=10))
    waits: list[float] = []
    with client(desk, waits, retries=3) as http, pytest.raises(SourceFailed) as failed:
        http.get_json(PATH, {"ids": "1"})
    assert http.requests == 4 and len(waits) == 3  # the first try and 3 retries
    assert str(failed.value) == f"source zd: GET {PATH}: HTTP 502 Bad Gateway, 4 tries"


@pytest.mark.parametrize("status", [401, 403])
def test_401_and_403_fail_at_once_without_retrying(desk: Zendesk, status: int) -> None:
    desk.faults.append(Fault(PATH, status))
    waits: list[float] = []
    with client(desk, waits) as http, pytest.raises(SourceFailed) as failed:
        http.get_json(PATH)
    assert http.requests == 1 and waits == []
    assert f"HTTP {status}" in str(failed.value) and str(failed.value).startswith("source zd:")


def test_a_wrong_token_never_shows_in_the_error(desk: Zendesk) -> None:
    wrong = "wrong-token-xyz"
    with client(desk, [], token=wrong) as http, pytest.raises(SourceFailed) as failed:
        http.get_json(PATH)
    assert "HTTP 401" in str(failed.value) and wrong not in str(failed.value)


def test_pagination_links_are_followed_on_the_configured_host_only(desk: Zendesk) -> None:
    with client(desk, []) as http:
        assert http.url("https://evil.example/api/v2/x.json?cursor=a") == f"{desk.url}/api/v2/x.json?cursor=a"


def test_retry_after_reads_seconds_and_http_dates() -> None:
    assert retry_after_seconds("3") == 3.0
    assert retry_after_seconds(None) is None
    assert retry_after_seconds("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0  # in the past: go now


def test_503_with_retry_after_waits_as_long_as_the_server_says(desk: Zendesk) -> None:
    desk.faults.append(Fault(PATH, 503, {"Retry-After": "9"}))  # Zendesk's maintenance answer
    waits: list[float] = []
    with client(desk, waits) as http:
        assert http.get_json(PATH, {"ids": "1"})["users"]
    assert waits == [9.0]


def test_a_200_that_is_not_json_is_retried_and_then_named(desk: Zendesk) -> None:
    desk.faults.append(Fault(PATH, 200, body=b"<html>Bad gateway</html>"))  # a proxy's page, once
    waits: list[float] = []
    with client(desk, waits) as http:
        assert http.get_json(PATH, {"ids": "1"})["users"]
    assert http.requests == 2
    desk.faults.append(Fault(PATH, 200, body=b"", times=10))
    with client(desk, [], retries=2) as http, pytest.raises(SourceFailed) as failed:
        http.get_json(PATH)
    assert str(failed.value) == (
        f"source zd: GET {PATH}: HTTP 200 with a body that is not JSON (text/html, 0 bytes), 3 tries"
    )


def test_a_redirect_is_not_followed_and_the_message_says_where_it_went(desk: Zendesk) -> None:
    desk.faults.append(Fault(PATH, 301, {"Location": "https://acme.zendesk.com/api/v2/users/show_many.json"}))
    with client(desk, []) as http, pytest.raises(SourceFailed) as failed:
        http.get_json(PATH)
    assert http.requests == 1
    assert "HTTP 301 Moved Permanently" in str(failed.value)
    assert "redirected to https://acme.zendesk.com/api/v2/users/show_many.json; check its url" in str(
        failed.value
    )


def test_a_body_trickled_past_the_timeout_is_a_timeout_and_retried(desk: Zendesk) -> None:
    # every 64 bytes within httpx's read timeout, the whole body well past it: given up on, then asked again
    desk.faults.append(Fault(PATH, 200, trickle=0.15, body=b"[" + b" " * 1200 + b"]"))
    waits: list[float] = []
    with client(desk, waits, timeout=0.6) as http:
        assert http.get_json(PATH, {"ids": "1"})["users"]
    assert http.requests == 2 and len(waits) == 1


def test_a_one_letter_password_is_not_scrubbed_out_of_every_message() -> None:
    # Freshdesk sends its API key as the user name and the fixed password "X"
    assert scrub("GET /api/v2/tickets/X-1: HTTP 500, key fd-key-456", ["fd-key-456", "X"]) == (
        "GET /api/v2/tickets/X-1: HTTP 500, key ***"
    )
    assert text_id(113.0) == "113" and text_id(113) == "113" and text_id("A-1") == "A-1"
