"""Start selfauth the way a user does (`python -m selfauth serve`) on a fresh database."""

from __future__ import annotations

import asyncio
import os
import secrets
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import httpx

POSTGRES_ENV = "SELFAUTH_TEST_POSTGRES_URL"
ADMIN_ID = "testadmin0000001"
ADMIN_SECRET = "test-admin-secret-0123456789abcdef"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class RunningServer:
    backend: str
    base_url: str
    database_url: str
    process: subprocess.Popen[bytes]
    log_path: Path
    client_id: str = ADMIN_ID
    client_secret: str = ADMIN_SECRET
    _token: str | None = field(default=None, repr=False)

    @property
    def issuer(self) -> str:
        return f"{self.base_url}/"

    @property
    def audience(self) -> str:
        return f"{self.base_url}/api/v2/"

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def admin_token(self) -> str:
        if self._token is None:
            self._token = client_token(self, self.client_id, self.client_secret)
        return self._token


def client_token(
    server: RunningServer, client_id: str, secret: str, scope: str | None = None
) -> str:
    body = {
        "grant_type": "client_credentials",
        "client_id": client_id,
        "client_secret": secret,
        "audience": server.audience,
    }
    if scope is not None:
        body["scope"] = scope
    response = httpx.post(f"{server.base_url}/oauth/token", json=body, timeout=10)
    response.raise_for_status()
    token: str = response.json()["access_token"]
    return token


def start(
    database_url: str,
    log_path: Path,
    backend: str,
    extra_env: dict[str, str] | None = None,
    port: int | None = None,
    *,
    bootstrap: bool = True,
    tls: tuple[Path, Path] | None = None,
) -> RunningServer:
    """`bootstrap=False` starts without the bootstrap variables, as on a first try-out.
    `tls` (certificate and key files) serves https, with an https issuer."""
    port = port or free_port()
    scheme = "https" if tls else "http"
    served_tls = (
        {"SELFAUTH_TLS_CERT_FILE": str(tls[0]), "SELFAUTH_TLS_KEY_FILE": str(tls[1])} if tls else {}
    )
    inherited = {k: v for k, v in os.environ.items() if not k.startswith("SELFAUTH_")}
    credentials = (
        {"SELFAUTH_BOOTSTRAP_CLIENT_ID": ADMIN_ID, "SELFAUTH_BOOTSTRAP_CLIENT_SECRET": ADMIN_SECRET}
        if bootstrap
        else {}
    )
    env = {
        **inherited,
        **credentials,
        "SELFAUTH_DATABASE_URL": database_url,
        "SELFAUTH_ISSUER": f"{scheme}://127.0.0.1:{port}/",
        **served_tls,
        "SELFAUTH_BCRYPT_COST": "4",  # tests check behaviour, not hashing cost
        # Job files beside the server's log, never in the working tree (PostgreSQL's default).
        "SELFAUTH_JOBS_DIR": str(log_path.parent / "jobs"),
        # The shared test servers take bursts of requests; test_rate_limits.py runs its own.
        "SELFAUTH_MANAGEMENT_RATE_LIMIT": "100000",
        "SELFAUTH_MANAGEMENT_RATE_BURST": "100000",
        "SELFAUTH_AUTH_RATE_LIMIT": "100000",
        "SELFAUTH_AUTH_RATE_BURST": "100000",
        # Both pytest workers' servers share one PostgreSQL (max_connections 100); the default
        # of 30 each could together exceed it while one test runs fifty requests at once.
        "SELFAUTH_DATABASE_CONNECTIONS": "12",
        # `make test-workers` runs the concurrency tests again against servers of N processes.
        "SELFAUTH_WORKERS": os.environ.get("SELFAUTH_TEST_WORKERS", "1"),
        **(extra_env or {}),
    }
    log = log_path.open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "selfauth", "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    server = RunningServer(backend, f"{scheme}://127.0.0.1:{port}", database_url, process, log_path)
    wait_until_ready(server, verify=ssl.create_default_context(cafile=tls[0]) if tls else True)
    return server


def wait_until_ready(
    server: RunningServer, timeout: float = 60, verify: bool | ssl.SSLContext = True
) -> None:
    """`verify`: trusting the certificate of a server started with `tls`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"selfauth exited early:\n{server.log()}")
        try:
            jwks = httpx.get(f"{server.base_url}/.well-known/jwks.json", timeout=1, verify=verify)
            if jwks.status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    stop(server)
    raise RuntimeError(f"selfauth did not start in {timeout}s:\n{server.log()}")


def stop(server: RunningServer) -> None:
    if server.process.poll() is None:
        server.process.terminate()
        try:
            server.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.process.kill()
            server.process.wait()


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, parts.fragment))


def _asyncpg_url(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://", 1)


async def _admin(url: str, statement: str) -> None:
    connection = await asyncpg.connect(_asyncpg_url(url), timeout=10)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


@contextmanager
def fresh_database(backend: str, directory: Path) -> Iterator[str]:
    """A new, empty database for one server; PostgreSQL ones are dropped afterwards."""
    if backend == "sqlite":
        yield f"sqlite:///{directory / 'selfauth.db'}"
        return
    admin_url = os.environ.get(POSTGRES_ENV)
    if not admin_url:
        raise RuntimeError(f"{POSTGRES_ENV} is not set")
    name = f"selfauth_test_{secrets.token_hex(6)}"
    asyncio.run(_admin(admin_url, f'CREATE DATABASE "{name}"'))
    try:
        yield _with_database(admin_url, name)
    finally:
        asyncio.run(_admin(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@contextmanager
def serving(
    backend: str,
    directory: Path,
    extra_env: dict[str, str] | None = None,
    *,
    tls: tuple[Path, Path] | None = None,
) -> Iterator[RunningServer]:
    """A server on a fresh database, stopped (and its database dropped) afterwards."""
    with fresh_database(backend, directory) as url:
        running = start(url, directory / "server.log", backend, extra_env=extra_env, tls=tls)
        try:
            yield running
        finally:
            stop(running)


def backends() -> list[str]:
    """SQLite always; PostgreSQL too when CI (or you) set SELFAUTH_TEST_POSTGRES_URL."""
    return ["sqlite", "postgres"] if os.environ.get(POSTGRES_ENV) else ["sqlite"]
