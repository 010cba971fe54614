"""`qa users add` and `qa serve` as people run them, and the nightly `qa score` writing while the app serves."""

from __future__ import annotations

import contextlib
import datetime as dt
import ipaddress
import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import typer
from typer.testing import CliRunner

from qa_engine.auth.users import authenticate
from qa_engine.cli import app
from qa_engine.errors import QAError
from qa_engine.review.db import ReviewDB
from qa_engine.store.location import raw
from tests.pgsupport import Databases

from .support import PASSWORD, query

QA = [sys.executable, "-m", "qa_engine"]
# QA_TESTING=1: these processes are a test's, so conftest's cheap password hashes are honoured in them too.
ENV = {
    **os.environ,
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "DO_NOT_TRACK": "1",
    "QA_TESTING": "1",
}


def qa(*args: str, stdin: str | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([*QA, *args], capture_output=True, text=True, input=stdin, timeout=timeout, env=ENV)


def users_cli() -> typer.Typer:
    """The `qa` command itself: its root loads only the modules of the commands a test runs (`qa users`, `qa serve`),
    not the rest of the CLI (spaCy is slow to load)."""
    return app


def test_users_add_reads_the_password_from_stdin(tmp_path: Path) -> None:
    db = tmp_path / "fresh.duckdb"  # no store yet: the command creates it
    runner = CliRunner()
    args = ["users", "add", "maria", "--role", "coach", "--team", "EU-1", "--db", str(db)]
    done = runner.invoke(users_cli(), args, input="s3cret-enough\nignored\n")
    assert done.exit_code == 0, done.output
    assert "maria" in done.output and "team EU-1" in done.output
    [(role, team, password_hash)] = query(
        db, "SELECT role, team, password_hash FROM users WHERE username = 'maria'"
    )
    assert (role, team) == ("coach", "EU-1") and password_hash.startswith("$argon2id$")
    assert (
        authenticate(ReviewDB(db), "maria", "s3cret-enough") is not None
    )  # the first line, without its newline
    for args, stdin, code in (
        (["maria", "--role", "qa_lead"], "another-password\n", "Q602"),
        (["bob", "--role", "qa_lead"], "short\n", "Q605"),
        (["bob", "--role", "agent", "--agent-id", "a-1"], "", "Q604"),
        (["bob", "--role", "agent"], "long-enough-pass\n", "Q603"),
        (["bob", "--role", "admin"], "long-enough-pass\n", "Q606"),
    ):
        result = runner.invoke(users_cli(), ["users", "add", *args, "--db", str(db)], input=stdin)
        assert isinstance(result.exception, QAError) and result.exception.code == code, result.output
    assert query(db, "SELECT count(*) FROM users") == [(1,)]


def test_several_workers_need_a_postgresql_store(web_db_template: Path) -> None:
    result = CliRunner().invoke(users_cli(), ["serve", "--db", str(web_db_template), "--workers", "2"])
    assert isinstance(result.exception, QAError) and result.exception.code == "Q609"
    assert "PostgreSQL" in str(result.exception) and "qa store copy" in str(result.exception)


@pytest.mark.slow
@pytest.mark.http_only  # makes its own PostgreSQL store: once is enough
def test_serve_with_several_workers_over_postgresql(web_db_template: Path, databases: Databases) -> None:
    """Two server processes over one PostgreSQL store: a login made through one worker holds in the other, and
    reviews saved through fresh connections (spread over both workers) are all kept, in order."""
    import psutil

    db = databases.copy_of(web_db_template)
    with serving_process(db, "--workers", "2") as (base, proc):
        workers = [
            p
            for p in psutil.Process(proc.pid).children(recursive=True)
            if "spawn_main" in " ".join(p.cmdline())  # not multiprocessing's resource tracker
        ]
        assert len(workers) == 2, [p.cmdline() for p in psutil.Process(proc.pid).children(recursive=True)]
        with httpx.Client(base_url=base, timeout=30) as first:
            token = first.post("/api/login", json={"username": "lead", "password": PASSWORD}).json()[
                "csrf_token"
            ]
            cookies = dict(first.cookies)
        for version in range(8):  # a new connection each time: the workers take turns accepting them
            with httpx.Client(
                base_url=base, timeout=30, cookies=cookies, headers={"Connection": "close"}
            ) as client:
                assert client.get("/api/tickets").status_code == 200
                saved = client.post("/api/tickets/R-1/reviews", json={"tier": ("yellow", "green")[version % 2], "version": version},
                                    headers={"X-CSRF-Token": token})  # fmt: skip
                assert saved.status_code == 201, saved.text
    rows = query(db, "SELECT tier FROM reviews WHERE ticket_id = 'R-1' ORDER BY version")
    assert [r[0] for r in rows] == [("yellow", "green")[v % 2] for v in range(8)]


def test_serve_refuses_a_missing_store(tmp_path: Path) -> None:
    result = CliRunner().invoke(users_cli(), ["serve", "--db", str(tmp_path / "none.duckdb")])
    assert isinstance(result.exception, QAError) and result.exception.code == "Q607"


@pytest.mark.slow
@pytest.mark.http_only  # its stores are DuckDB files of its own
def test_the_qa_command_has_users_and_serve(tmp_path: Path) -> None:
    """Through the real `qa` entry point: one-line errors, no traceback."""
    db = tmp_path / "fresh.duckdb"
    done = qa("users", "add", "maria", "--role", "qa_lead", "--db", str(db), stdin="s3cret-enough\n")
    assert done.returncode == 0, done.stderr
    again = qa("users", "add", "maria", "--role", "qa_lead", "--db", str(db), stdin="s3cret-enough\n")
    missing = qa("serve", "--db", str(tmp_path / "none.duckdb"))
    for result, code in ((again, "Q602"), (missing, "Q607")):
        lines = [line for line in result.stderr.splitlines() if line.strip()]
        assert result.returncode != 0 and len(lines) == 1 and code in lines[0], result.stderr


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def serving(db: Path, *options: str, scheme: str = "http") -> Iterator[str]:
    """`qa serve` in a process of its own over `db`; yields its base URL, and stops it on the way out."""
    with serving_process(db, *options, scheme=scheme) as (base, _):
        yield base


@contextlib.contextmanager
def serving_process(db: Path, *options: str, scheme: str = "http") -> Iterator[tuple[str, subprocess.Popen]]:
    """`qa serve` as `serving` starts it, with its process (to see the workers it started)."""
    port = free_port()
    proc = subprocess.Popen(
        [*QA, "serve", "--db", raw(db), "--port", str(port), *options],
        env=ENV, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    base = f"{scheme}://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if httpx.get(f"{base}/api/tickets", timeout=5, verify=False).status_code == 401:
                    break
            except httpx.TransportError:
                pass
            assert proc.poll() is None, proc.stdout.read()
            assert time.monotonic() < deadline, "qa serve did not start"
            time.sleep(0.3)
        yield base, proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture
def served(web_db: Path) -> Iterator[str]:
    """`qa serve` over a copy of the hand-built store."""
    with serving(web_db) as base:
        yield base


@pytest.mark.slow
def test_serve_answers_the_api_and_describes_it(served: str) -> None:
    with httpx.Client(base_url=served, timeout=30) as client:
        assert client.get("/openapi.json").status_code == 401  # described to signed-in users only
        token = client.post("/api/login", json={"username": "lead", "password": PASSWORD}).json()[
            "csrf_token"
        ]
        spec = client.get("/openapi.json").json()
        for path in ("/api/login", "/api/logout", "/api/tickets", "/api/tickets/{ticket_id}",
                     "/api/tickets/{ticket_id}/reviews", "/api/tickets/{ticket_id}/disputes", "/api/calibration"):  # fmt: skip
            assert path in spec["paths"]
        review_body = spec["paths"]["/api/tickets/{ticket_id}/reviews"]["post"]["requestBody"]
        assert "version" in review_body["content"]["application/json"]["schema"]["properties"]
        assert client.get("/docs").status_code in (401, 404)  # no CDN-backed docs page
        assert client.get("/api/tickets?tier=red").json()["counts"]["red"] > 0
        created = client.post("/api/tickets/R-1/reviews", json={"tier": "yellow", "version": 0},
                              headers={"X-CSRF-Token": token})  # fmt: skip
        assert created.status_code == 201


@pytest.mark.slow
def test_scoring_into_the_store_while_it_is_served(served: str, web_db: Path, tmp_path: Path) -> None:
    """The nightly job writes while the app answers: both succeed, and the re-score keeps the human review."""
    tickets = tmp_path / "nightly.jsonl"
    rows = [
        {"ticket_id": "R-1", "agent_id": "a-1", "team": "T1", "language": "en", "created_at": "2026-11-21T09:00:00Z",
         "turns": [{"speaker": "customer", "text": "My parcel never arrived. I'm really angry!"},
                   {"speaker": "agent", "text": "Hello, this is Mia. I'm sorry, I'll resend it today."}]},
        {"ticket_id": "NEW-1", "agent_id": "a-1", "team": "T1", "language": "en", "created_at": "2026-11-22T09:00:00Z",
         "turns": [{"speaker": "customer", "text": "Thanks for the quick refund!"},
                   {"speaker": "agent", "text": "Hello, this is Mia. You're welcome, anything else?"}]},
    ]  # fmt: skip
    tickets.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    statuses: list[int] = []
    stop = threading.Event()
    with httpx.Client(base_url=served, timeout=180) as client:
        token = client.post("/api/login", json={"username": "lead", "password": PASSWORD}).json()[
            "csrf_token"
        ]
        review = client.post("/api/tickets/R-1/reviews", json={"tier": "yellow", "version": 0, "comment": "kept"},
                             headers={"X-CSRF-Token": token})  # fmt: skip
        assert review.status_code == 201

        def keep_reading() -> None:  # a QA lead clicking through the queue, a few requests a second
            while not stop.is_set():
                statuses.append(client.get("/api/tickets?limit=5").status_code)
                statuses.append(client.get("/api/tickets/R-1").status_code)
                stop.wait(0.2)

        reader = threading.Thread(target=keep_reading)
        reader.start()
        try:
            scored = qa("score", str(tickets), "--db", raw(web_db), "--json", timeout=600)
        finally:
            stop.set()
            reader.join()
        assert scored.returncode == 0, scored.stderr
        assert json.loads(scored.stdout.strip().splitlines()[-1])["scored"] == 2
        assert statuses and set(statuses) == {200}
        ticket = client.get("/api/tickets/R-1").json()
        assert ticket["run_id"] != "test-run"  # re-scored by the nightly job ...
        assert (
            ticket["human"]["tier"] == "yellow" and ticket["reviews"][0]["comment"] == "kept"
        )  # ... review intact
        assert client.get("/api/tickets/NEW-1").status_code == 200


def self_signed(folder: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and its key, made here (the `cryptography` package), as files."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
        .sign(key, hashes.SHA256())
    )  # fmt: skip
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return cert_file, key_file


def _login_cookie(client: httpx.Client, **headers: str) -> str:
    response = client.post("/api/login", json={"username": "lead", "password": PASSWORD}, headers=headers)
    assert response.status_code == 200, response.text
    return response.headers["set-cookie"]


@pytest.mark.slow
@pytest.mark.http_only
def test_serve_over_tls(web_db: Path, tmp_path: Path) -> None:
    cert, key = self_signed(tmp_path)
    with serving(web_db, "--tls-cert", str(cert), "--tls-key", str(key), scheme="https") as base:
        with httpx.Client(base_url=base, verify=False, timeout=30) as client:
            cookie = _login_cookie(client)
            assert "; Secure" in cookie and "HttpOnly" in cookie
            page = client.get("/")
            assert page.status_code == 200
            assert page.headers["strict-transport-security"].startswith("max-age=")
            # A client cannot name another address for itself: the throttle sees who is really calling.
            wrong = client.post("/api/login", json={"username": "lead", "password": "not it at all"},
                                headers={"X-Forwarded-For": "10.1.2.3", "X-Forwarded-Proto": "http"})  # fmt: skip
            assert wrong.status_code == 401
        with pytest.raises(httpx.RemoteProtocolError):  # plain HTTP on the TLS port gets nothing
            httpx.get(base.replace("https://", "http://") + "/login", timeout=10)
    assert query(web_db, "SELECT client FROM login_failures") == [("127.0.0.1",)]


@pytest.mark.slow
@pytest.mark.http_only
def test_serve_behind_a_trusted_proxy(web_db: Path) -> None:
    """A reverse proxy on this host ends TLS and says so: the app believes it, and only it."""
    options = ("--trusted-proxy", "127.0.0.1", "--trusted-proxy", "10.0.0.0/8")
    with serving(web_db, *options) as base, httpx.Client(base_url=base, timeout=30) as client:
        proxied = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.7"}
        cookie = _login_cookie(client, **proxied)
        assert "; Secure" in cookie
        assert "strict-transport-security" in client.get("/", headers=proxied).headers
        assert "; Secure" not in _login_cookie(client)  # plain HTTP straight to the app: no HTTPS claimed
        assert "strict-transport-security" not in client.get("/").headers
        wrong = client.post("/api/login", json={"username": "lead", "password": "not it at all"},
                            headers=proxied)  # fmt: skip
        assert wrong.status_code == 401
    assert query(web_db, "SELECT client FROM login_failures") == [("203.0.113.7",)]


def test_serve_refuses_an_encrypted_key_without_asking_for_its_password(web_db: Path, tmp_path: Path) -> None:
    from cryptography.hazmat.primitives import serialization

    cert, key = self_signed(tmp_path)
    plain = serialization.load_pem_private_key(key.read_bytes(), None)
    encrypted = serialization.BestAvailableEncryption(b"secret")
    key.write_bytes(
        plain.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encrypted)
    )
    args = ["serve", "--db", raw(web_db), "--tls-cert", str(cert), "--tls-key", str(key)]
    result = CliRunner().invoke(users_cli(), args, input="")
    assert isinstance(result.exception, QAError) and result.exception.code == "Q628", result.output
    assert "unencrypted" in str(result.exception)


@pytest.mark.parametrize(
    ("options", "fragment"),
    [
        (["--tls-cert", "cert.pem"], "--tls-key"),
        (["--tls-key", "key.pem"], "--tls-cert"),
        (["--tls-cert", "none.pem", "--tls-key", "none.pem"], "none.pem"),
        (["--tls-cert", "key.pem", "--tls-key", "cert.pem"], "--tls-cert"),  # swapped
        (["--trusted-proxy", "proxy.example"], "proxy.example"),
        (["--trusted-proxy", "*"], "*"),  # trusting everyone would let any client name its own address
    ],
)
def test_serve_refuses_bad_tls_and_proxy_options(web_db: Path, tmp_path: Path, options, fragment) -> None:
    self_signed(tmp_path)
    args = [str(tmp_path / a) if a.endswith(".pem") else a for a in options]
    result = CliRunner().invoke(users_cli(), ["serve", "--db", raw(web_db), *args])
    assert isinstance(result.exception, QAError) and result.exception.code == "Q628", result.output
    assert fragment in str(result.exception)
