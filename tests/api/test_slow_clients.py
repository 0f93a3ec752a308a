"""Slow and vanishing clients, over raw sockets.

A client that leaves in the middle of its body is not an error worth a traceback.
"""

from __future__ import annotations

import socket
import time
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from tests.support.server import RunningServer

PROBLEMS = ("Traceback", "unhandled error", "Exception in ASGI application", "ASGI callable")


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
