"""Slow and vanishing clients, over raw sockets.

A client that leaves in the middle of its body is not an error worth a traceback; a request
whose headers or body stop arriving is given up on (header deadline: the connection is closed;
body deadline: 408); and a crowd of stalled connections makes the server answer 503 until
the deadlines clear them, not hold them forever.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from typing import Any
from urllib.parse import urlsplit

import httpx
import orjson
import pytest

from tests.support.server import RunningServer, serving

HEADER_SECONDS = 1.0
BODY_SECONDS = 1.0
MAX_CONNECTIONS = 20
# How much later than its deadline the server may act (a busy CI machine, a slow start).
GRACE = 4.0
PROBLEMS = ("Traceback", "unhandled error", "Exception in ASGI application", "ASGI callable")


@pytest.fixture(scope="module")
def slow(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    env = {
        "SELFAUTH_HEADER_TIMEOUT_SECONDS": str(HEADER_SECONDS),
        "SELFAUTH_BODY_TIMEOUT_SECONDS": str(BODY_SECONDS),
        "SELFAUTH_MAX_CONNECTIONS": str(MAX_CONNECTIONS),
    }
    with serving("sqlite", tmp_path_factory.mktemp("slow-clients"), env) as running:
        yield running


def connect(server: RunningServer) -> socket.socket:
    parts = urlsplit(server.base_url)
    assert parts.hostname == "127.0.0.1" and parts.port is not None
    sock = socket.create_connection((parts.hostname, parts.port), timeout=5)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


def request_head(method: str, path: str, length: int | None, **headers: str) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", "Content-Type: application/json"]
    if length is not None:
        lines.append(f"Content-Length: {length}")
    lines += [f"{name.replace('_', '-')}: {value}" for name, value in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def read_until_closed(sock: socket.socket, within: float) -> tuple[bytes, float]:
    """Everything the server sends until it closes the connection, and when it closed it
    (seconds from the call); fails if it is still open after `within` seconds."""
    started = time.monotonic()
    deadline = started + within
    received = b""
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            pytest.fail(f"the server kept the connection open for {within} s; got {received!r}")
        sock.settimeout(left)
        try:
            chunk = sock.recv(65536)
        except TimeoutError:
            continue
        except ConnectionResetError:
            chunk = b""
        if not chunk:
            return received, time.monotonic() - started
        received += chunk


def read_response(sock: socket.socket, within: float = 10) -> tuple[int, dict[str, str], bytes]:
    """One response with a Content-Length body."""
    deadline = time.monotonic() + within
    data = b""
    while b"\r\n\r\n" not in data:
        data += _recv(sock, deadline)
    head, _, body = data.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    found = {}
    for line in header_lines:
        name, _, value = line.partition(":")
        found[name.strip().lower()] = value.strip()
    while len(body) < int(found.get("content-length", "0")):
        body += _recv(sock, deadline)
    return int(status_line.split()[1]), found, body


def _recv(sock: socket.socket, deadline: float) -> bytes:
    left = deadline - time.monotonic()
    if left <= 0:
        pytest.fail("no complete response in time")
    sock.settimeout(left)
    chunk = sock.recv(65536)
    if not chunk:
        pytest.fail("the server closed the connection before answering")
    return chunk


def answers(server: RunningServer) -> bool:
    try:
        response = httpx.get(f"{server.base_url}/.well-known/jwks.json", timeout=5)
    except httpx.TransportError:
        return False
    return response.status_code == 200


def log_since(server: RunningServer, offset: int) -> str:
    return server.log()[offset:]


# --- a client that leaves mid-body (the shared servers: both backends) ------------------------


BODY_PATHS = [("/oauth/token", False), ("/api/v2/users", True)]


@pytest.mark.parametrize("expect_continue", [True, False], ids=["waited-on", "at-once"])
@pytest.mark.parametrize(("path", "admin"), BODY_PATHS, ids=["token", "create-user"])
def test_a_client_leaving_mid_body_is_not_logged_as_an_error(
    server: RunningServer, path: str, admin: bool, expect_continue: bool
) -> None:
    offset = len(server.log())
    headers: dict[str, Any] = {}
    if admin:
        headers["Authorization"] = f"Bearer {server.admin_token()}"
    for _ in range(3):
        with connect(server) as sock:
            if expect_continue:
                # The 100 Continue comes when the handler starts reading the body: the
                # client then leaves while the handler waits for the rest.
                sock.sendall(request_head("POST", path, 10_000, Expect="100-continue", **headers))
                assert read_some(sock).startswith(b"HTTP/1.1 100 ")
            else:
                sock.sendall(request_head("POST", path, 10_000, **headers))
            sock.sendall(b'{"grant_type": "client_credentials", "client_id": "abc')
    assert answers(server)
    token = httpx.post(
        f"{server.base_url}/oauth/token",
        json={
            "grant_type": "client_credentials",
            "client_id": server.client_id,
            "client_secret": server.client_secret,
            "audience": server.audience,
        },
        timeout=10,
    )
    assert token.status_code == 200, token.text
    logged = log_since(server, offset)
    for problem in PROBLEMS:
        assert problem not in logged, logged
    assert " 500" not in logged, logged


def read_some(sock: socket.socket, within: float = 10) -> bytes:
    return _recv(sock, time.monotonic() + within)


# --- request headers that never complete ------------------------------------------------------


@pytest.mark.parametrize(
    "sent",
    [b"", b"POST /oauth/tok", b"GET /.well-known/jwks.json HTTP/1.1\r\nHost: 127.0.0.1\r\n"],
    ids=["nothing", "half-a-request-line", "headers-without-their-end"],
)
def test_a_request_whose_headers_never_complete_is_closed(slow: RunningServer, sent: bytes) -> None:
    with connect(slow) as sock:
        sock.sendall(sent)
        received, after = read_until_closed(sock, HEADER_SECONDS + GRACE)
    assert received == b""
    assert after >= HEADER_SECONDS * 0.5, after


def test_headers_trickling_in_do_not_keep_the_connection_open(slow: RunningServer) -> None:
    """Slowloris: a header line now and then keeps bytes coming, never the end."""
    with connect(slow) as sock:
        sock.sendall(b"GET /.well-known/jwks.json HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        started = time.monotonic()
        closed = False
        n = 0
        while time.monotonic() - started < HEADER_SECONDS + GRACE:
            try:
                sock.sendall(f"X-Filler-{n}: {n}\r\n".encode())
            except (BrokenPipeError, ConnectionResetError):
                closed = True
                break
            n += 1
            sock.settimeout(0.2)
            try:
                if sock.recv(65536) == b"":
                    closed = True
                    break
            except TimeoutError:
                pass
            except ConnectionResetError:
                closed = True
                break
        assert closed, f"still open after {n} header lines"


def test_the_next_request_on_a_kept_alive_connection_has_the_same_deadline(
    slow: RunningServer,
) -> None:
    with connect(slow) as sock:
        sock.sendall(b"GET /.well-known/jwks.json HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        status, headers, _ = read_response(sock)
        assert status == 200 and headers.get("connection") != "close"
        sock.sendall(b"GET /.well-known/jwks.json HTTP/1.1\r\nHost: 1")
        received, _ = read_until_closed(sock, HEADER_SECONDS + GRACE)
    assert received == b""


# --- request bodies that stall ----------------------------------------------------------------


def oauth_shape(error: dict[str, Any]) -> None:
    assert error["error"] == "request_timeout" and error["error_description"], error


def management_shape(error: dict[str, Any]) -> None:
    assert error["statusCode"] == 408 and error["error"] == "Request Timeout", error
    assert error["errorCode"] == "request_timeout" and error["message"], error


def authentication_shape(error: dict[str, Any]) -> None:
    assert error["statusCode"] == 408 and error["code"] == "request_timeout", error
    assert error["name"] and error["description"], error


@pytest.mark.parametrize(
    ("path", "admin", "shape"),
    [
        ("/oauth/token", False, oauth_shape),
        ("/api/v2/users", True, management_shape),
        ("/dbconnections/signup", False, authentication_shape),
    ],
    ids=["token", "create-user", "signup"],
)
def test_a_stalled_body_is_answered_408_in_the_apis_shape_and_closed(
    slow: RunningServer, path: str, admin: bool, shape: Callable[[dict[str, Any]], None]
) -> None:
    headers = {"Authorization": f"Bearer {slow.admin_token()}"} if admin else {}
    with connect(slow) as sock:
        sock.sendall(request_head("POST", path, 500, **headers) + b'{"connection": "Username-')
        started = time.monotonic()
        status, answer_headers, body = read_response(sock, BODY_SECONDS + GRACE)
        assert time.monotonic() - started >= BODY_SECONDS * 0.5
        assert status == 408
        assert answer_headers["connection"] == "close"
        shape(orjson.loads(body))
        assert read_until_closed(sock, GRACE)[0] == b""


def test_a_body_that_keeps_coming_is_not_cut_off(slow: RunningServer) -> None:
    """The body deadline is for an idle body: each chunk comes well within it, though the
    whole body takes longer."""
    body = orjson.dumps({"grant_type": "client_credentials", "client_id": "nobody", "x": "y" * 8})
    pieces = [body[i : i + 8] for i in range(0, len(body), 8)]
    with connect(slow) as sock:
        sock.sendall(request_head("POST", "/oauth/token", len(body)))
        started = time.monotonic()
        for piece in pieces:
            sock.sendall(piece)
            time.sleep(BODY_SECONDS * 2.5 / len(pieces))
        status, _, answer = read_response(sock)
    assert time.monotonic() - started > BODY_SECONDS
    assert status == 401, answer  # the unknown client, not the clock


def test_stalled_bodies_leave_no_traceback(slow: RunningServer) -> None:
    logged = slow.log()
    for problem in PROBLEMS:
        assert problem not in logged, logged


# --- more stalled connections than the server takes -------------------------------------------


def test_past_max_connections_requests_get_503_until_the_deadline_clears_them(
    slow: RunningServer,
) -> None:
    with ExitStack() as stack:
        stalled = [stack.enter_context(connect(slow)) for _ in range(MAX_CONNECTIONS + 5)]
        for sock in stalled:
            sock.sendall(b"GET /.well-known/jwks.json HTTP/1.1\r\n")
        with connect(slow) as fresh:
            fresh.sendall(b"GET /.well-known/jwks.json HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            # 503 (and the connection closed), or refused outright.
            answer, _ = read_until_closed(fresh, GRACE)
        assert answer == b"" or answer.startswith(b"HTTP/1.1 503 "), answer
        # The server closes the stalled connections itself, then takes requests again.
        for sock in stalled:
            assert read_until_closed(sock, HEADER_SECONDS + GRACE)[0] == b""
        deadline = time.monotonic() + GRACE
        while not answers(slow):
            assert time.monotonic() < deadline, "the server did not take requests again"
            time.sleep(0.05)
