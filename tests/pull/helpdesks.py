"""Local stand-ins for the Zendesk, Freshdesk and Gorgias APIs: real HTTP servers on 127.0.0.1.

Each answers the vendor's documented JSON shapes (Zendesk's cursor-based incremental export with `after_url` and
`end_of_stream`, comments with `next_page` and side-loaded users, `users/show_many`; Freshdesk's numbered pages of
tickets and conversations; Gorgias's `data` lists with `meta.next_cursor`), checks basic auth, keeps a log of the
requests it served, and can be told to fail a request once (a 429 with Retry-After, a 503, a reset connection, a
stall longer than the client's timeout). Tests change tickets between pulls and read the log to see what was fetched.
"""

from __future__ import annotations

import base64
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass
class Fault:
    """Answer the next request whose path contains `path` with this instead (once)."""

    path: str
    status: int = 503  # 0: reset the connection; -1: stall past the client's timeout
    headers: dict[str, str] = field(default_factory=dict)
    stall: float = 0.0
    times: int = 1
    skip: int = 0  # let this many matching requests through first
    body: bytes | None = None  # sent as it is (text/html), instead of a JSON error
    trickle: float = 0.0  # seconds between the body's bytes (a server that dribbles its answer)


def _encode(key: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(key).encode()).decode()


def _decode(cursor: str) -> Any:
    return json.loads(base64.urlsafe_b64decode(cursor.encode()))


class Helpdesk:
    """One vendor's API on a free port of 127.0.0.1; subclasses route paths to documented answers."""

    page_size = 2

    def __init__(self, user: str, secret: str) -> None:
        self.expected = "Basic " + base64.b64encode(f"{user}:{secret}".encode()).decode()
        self.log: list[tuple[str, dict[str, str]]] = []
        self.faults: list[Fault] = []
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> Helpdesk:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def fetched(self, fragment: str) -> list[str]:
        """Paths served (with 200) that contain `fragment`."""
        return [path for path, _ in self.log if fragment in path]

    def route(self, path: str, query: dict[str, str]) -> tuple[int, Any]:
        raise NotImplementedError

    def _handler(self):
        desk = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:  # quiet
                pass

            def _send(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for key, value in (headers or {}).items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
                if self.headers.get("Authorization") != desk.expected:
                    self._send(401, {"error": "Couldn't authenticate you"})
                    return
                with desk.lock:
                    fault = next((f for f in desk.faults if f.path in parts.path), None)
                    if fault and fault.skip:
                        fault.skip -= 1
                        fault = None
                    elif fault:
                        fault.times -= 1
                        if fault.times <= 0:
                            desk.faults.remove(fault)
                if fault and fault.status == 0:
                    self.close_connection = True
                    self.connection.close()
                    return
                if fault and fault.status == -1:
                    time.sleep(fault.stall)
                    self.close_connection = True
                    return
                if fault and (fault.body is not None or fault.trickle):
                    data = (
                        fault.body if fault.body is not None else json.dumps(desk.route(parts.path, query)[1])
                    )
                    data = data if isinstance(data, bytes) else data.encode()
                    self.send_response(fault.status)
                    self.send_header(
                        "Content-Type", "text/html" if fault.body is not None else "application/json"
                    )
                    self.send_header("Content-Length", str(len(data)))
                    for key, value in fault.headers.items():
                        self.send_header(key, value)
                    self.end_headers()
                    for k in range(0, len(data), 64):
                        self.wfile.write(data[k : k + 64])
                        self.wfile.flush()
                        time.sleep(fault.trickle)
                    return
                if fault:
                    self._send(fault.status, {"error": "fault"}, fault.headers)
                    return
                status, body = desk.route(parts.path, query)
                if status == 200:
                    with desk.lock:
                        desk.log.append((parts.path, query))
                self._send(status, body)

        return Handler


# Zendesk ------------------------------------------------------------------------------------------------------------
class Zendesk(Helpdesk):
    """Zendesk Support API v2: incremental cursor export, comments, users."""

    def __init__(self, email: str, token: str) -> None:
        super().__init__(f"{email}/token", token)
        self.tickets: dict[int, dict] = {}
        self.comments: dict[int, list[dict]] = {}
        self.users: dict[int, dict] = {}

    def add_user(self, user_id: int, role: str) -> None:
        self.users[user_id] = {"id": user_id, "role": role, "name": f"user {user_id}"}

    def put(self, ticket: dict, comments: list[dict]) -> None:
        self.tickets[ticket["id"]] = ticket
        self.comments[ticket["id"]] = comments

    def _key(self, t: dict) -> list:
        return [t["updated_at"], t["id"]]

    def route(self, path: str, query: dict[str, str]) -> tuple[int, Any]:
        if path == "/api/v2/incremental/tickets/cursor.json":
            ordered = sorted(self.tickets.values(), key=self._key)
            if "cursor" in query:
                after = _decode(query["cursor"])
                ordered = [t for t in ordered if self._key(t) > after]
            else:
                start = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(int(query["start_time"])))
                ordered = [t for t in ordered if t["updated_at"] >= start]
                after = ["", 0]
            page = ordered[: self.page_size]
            cursor = _encode(self._key(page[-1]) if page else after)
            return 200, {
                "tickets": page, "after_cursor": cursor, "before_cursor": None,
                "after_url": f"{self.url}/api/v2/incremental/tickets/cursor.json?cursor={cursor}",
                "before_url": None, "end_of_stream": len(ordered) <= self.page_size,
            }  # fmt: skip
        if path.startswith("/api/v2/tickets/") and path.endswith("/comments.json"):
            tid = int(path.split("/")[4])
            if tid not in self.comments:
                return 404, {"error": "RecordNotFound"}
            number = int(query.get("page", "1"))
            every = self.comments[tid]
            page = every[(number - 1) * self.page_size : number * self.page_size]
            more = number * self.page_size < len(every)
            body = {
                "comments": page, "count": len(every), "previous_page": None,
                "next_page": f"{self.url}{path}?page={number + 1}" if more else None,
            }  # fmt: skip
            if query.get("include") == "users" and number == 1:  # later pages' authors: users/show_many
                ids = {c["author_id"] for c in page}
                body["users"] = [self.users[i] for i in sorted(ids) if i in self.users]
            return 200, body
        if path == "/api/v2/users/show_many.json":
            ids = [int(i) for i in query["ids"].split(",")]
            return 200, {"users": [self.users[i] for i in ids if i in self.users]}
        return 404, {"error": "InvalidEndpoint"}


# Freshdesk ----------------------------------------------------------------------------------------------------------
class Freshdesk(Helpdesk):
    """Freshdesk API v2: tickets by updated_since in numbered pages, conversations."""

    def __init__(self, api_key: str) -> None:
        super().__init__(api_key, "X")
        self.tickets: dict[int, dict] = {}
        self.conversations: dict[int, list[dict]] = {}

    def put(self, ticket: dict, conversations: list[dict]) -> None:
        self.tickets[ticket["id"]] = ticket
        self.conversations[ticket["id"]] = conversations

    def _slice(self, items: list, query: dict[str, str]) -> list:
        per_page, number = int(query.get("per_page", "30")), int(query.get("page", "1"))
        return items[(number - 1) * per_page : number * per_page]

    def route(self, path: str, query: dict[str, str]) -> tuple[int, Any]:
        if path == "/api/v2/tickets":
            since = query.get("updated_since", "")
            chosen = sorted(
                (t for t in self.tickets.values() if t["updated_at"] >= since),
                key=lambda t: (t["updated_at"], t["id"]),
            )
            page = self._slice(chosen, query)
            if query.get("include") != "description":
                page = [
                    {k: v for k, v in t.items() if k not in ("description", "description_text")} for t in page
                ]
            return 200, page
        if path.startswith("/api/v2/tickets/") and path.endswith("/conversations"):
            tid = int(path.split("/")[4])
            if tid not in self.conversations:
                return 404, {"code": "not_found"}
            return 200, self._slice(self.conversations[tid], query)
        return 404, {"code": "invalid_path"}


# Gorgias ------------------------------------------------------------------------------------------------------------
class Gorgias(Helpdesk):
    """Gorgias REST API: tickets ordered by updated_datetime, messages, both following meta.next_cursor."""

    def __init__(self, username: str, api_key: str) -> None:
        super().__init__(username, api_key)
        self.tickets: dict[int, dict] = {}
        self.messages: dict[int, list[dict]] = {}

    def put(self, ticket: dict, messages: list[dict]) -> None:
        self.tickets[ticket["id"]] = ticket
        self.messages[ticket["id"]] = messages

    def _list(self, items: list, key, query: dict[str, str], uri: str) -> dict:
        items = sorted(items, key=key)
        if query.get("cursor"):
            after = _decode(query["cursor"])
            items = [i for i in items if key(i) > after]
        size = min(int(query.get("limit", "30")), self.page_size)
        page = items[:size]
        next_cursor = _encode(key(page[-1])) if len(items) > size else None
        return {
            "data": page,
            "meta": {"next_cursor": next_cursor, "prev_cursor": None},
            "object": "list",
            "uri": uri,
        }

    def route(self, path: str, query: dict[str, str]) -> tuple[int, Any]:
        if path == "/api/tickets":
            if query.get("order_by") != "updated_datetime:asc":
                return 400, {"error": "unsupported order_by"}
            key = lambda t: [t["updated_datetime"], t["id"]]  # noqa: E731
            return 200, self._list(sorted(self.tickets.values(), key=key), key, query, path)
        if path.startswith("/api/tickets/") and path.endswith("/messages"):
            tid = int(path.split("/")[3])
            if tid not in self.messages:
                return 404, {"error": "not found"}
            return 200, self._list(
                self.messages[tid], lambda m: [m["created_datetime"], m["id"]], query, path
            )
        return 404, {"error": "not found"}
