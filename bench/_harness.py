"""Shared helpers for the selfauth benchmarks: servers, databases, wrk and signing.

Everything here talks to 127.0.0.1 only, and every wait is bounded in time.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import httpx

BENCH_DIR = Path(__file__).resolve().parent
LUA_DIR = BENCH_DIR / "lua"
HOST = "127.0.0.1"
# Hosts a --postgres URL may name: the benchmark must never leave this machine.
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1", ""})
WRK_MISSING = "wrk is not installed; install it with: apt-get install wrk"


class BenchError(RuntimeError):
    """A failure that ends the benchmark with a non-zero exit status."""


# --- servers ----------------------------------------------------------------


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that was free a moment ago."""
    # Binding to port 0 lets the kernel choose; the tiny race before the server
    # binds it is acceptable for a benchmark on a quiet machine.
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Server:
    """A server subprocess that we started and must stop."""

    name: str
    process: subprocess.Popen[bytes]
    base_url: str
    log_path: Path

    def log_tail(self, lines: int = 40) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:]) or "(empty log)"

    def check_alive(self) -> None:
        """Raise if the server has died, e.g. in the middle of a wrk run."""
        code = self.process.poll()
        if code is not None:
            raise BenchError(
                f"{self.name} exited with status {code}; its log ends with:\n{self.log_tail()}"
            )


def selfauth_command(port: int) -> list[str]:
    """Start selfauth the way a user does: the installed console script."""
    script = Path(sys.executable).with_name("selfauth")
    if script.exists():
        return [str(script), "serve", "--host", HOST, "--port", str(port)]
    return [
        sys.executable,
        "-m",
        "selfauth",
        "serve",
        "--host",
        HOST,
        "--port",
        str(port),
    ]


def uvicorn_command(app: str, port: int, app_dir: Path = BENCH_DIR) -> list[str]:
    """Serve an arbitrary ASGI app with one uvicorn process (uvloop/httptools when present)."""
    # No access log and no Server header, as `selfauth serve` runs by default:
    # the baseline is the framework's floor, so anything selfauth does per
    # request beyond that counts against selfauth, where it belongs.
    return [
        sys.executable,
        "-m",
        "uvicorn",
        app,
        "--app-dir",
        str(app_dir),
        "--host",
        HOST,
        "--port",
        str(port),
        "--workers",
        "1",
        "--log-level",
        "warning",
        "--no-access-log",
        "--no-server-header",
    ]


@contextlib.contextmanager
def running_server(
    name: str,
    argv: Sequence[str],
    port: int,
    *,
    env: Mapping[str, str] | None = None,
    ready_path: str = "/",
    timeout: float = 60.0,
) -> Iterator[Server]:
    """Run a server subprocess until the block ends, once it answers 200 on ready_path."""
    log_dir = Path(tempfile.mkdtemp(prefix="selfauth-bench-log-"))
    log_path = log_dir / f"{name}.log"
    with log_path.open("wb") as log:
        # A new session gives the server its own process group, so stopping it
        # also stops any children it forked, and nothing else.
        process = subprocess.Popen(
            list(argv),
            env={**os.environ, **(env or {})},
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    server = Server(name, process, f"http://{HOST}:{port}", log_path)
    try:
        _wait_ready(server, ready_path, timeout)
        yield server
    finally:
        stop_server(server)
        shutil.rmtree(log_dir, ignore_errors=True)


def _wait_ready(server: Server, path: str, timeout: float) -> None:
    # Polling the HTTP endpoint is more robust than parsing a "ready" line,
    # whose wording the server is free to change.
    url = server.base_url + path
    deadline = time.monotonic() + timeout
    last = "no answer"
    with httpx.Client(timeout=2.0) as client:
        while time.monotonic() < deadline:
            server.check_alive()
            try:
                response = client.get(url)
            except httpx.TransportError as exc:
                last = f"{type(exc).__name__}: {exc}"
            else:
                if response.status_code == 200:
                    return
                last = f"HTTP {response.status_code}: {response.text[:200]}"
            time.sleep(0.1)
    raise BenchError(
        f"{server.name} did not answer 200 on {url} within {timeout:.0f}s ({last}); "
        f"its log ends with:\n{server.log_tail()}"
    )


def stop_server(server: Server, grace: float = 10.0) -> None:
    """SIGINT (uvicorn's graceful shutdown), then SIGKILL if it lingers."""
    pgid = server.process.pid  # start_new_session made it the group leader
    for sig, wait in ((signal.SIGINT, grace), (signal.SIGKILL, 5.0)):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pgid, sig)
        try:
            server.process.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue


# --- databases --------------------------------------------------------------


@contextlib.contextmanager
def sqlite_database() -> Iterator[str]:
    """A fresh SQLite file in a temporary directory, removed afterwards."""
    with tempfile.TemporaryDirectory(prefix="selfauth-bench-db-") as tmp:
        # An absolute path after "sqlite:///" gives SQLAlchemy's four slashes.
        yield f"sqlite:///{Path(tmp) / 'selfauth.db'}"


def check_postgres_url(url: str) -> None:
    """Refuse anything but a postgresql:// URL naming a server on this machine."""
    parts = urlsplit(url)
    if not parts.scheme.startswith("postgres"):
        raise BenchError(f"--postgres wants a postgresql:// URL, got {url!r}")
    if (parts.hostname or "") not in LOOPBACK_HOSTS:
        raise BenchError(f"--postgres must name a server on this machine, not {parts.hostname!r}")


@contextlib.contextmanager
def postgres_database(url: str) -> Iterator[str]:
    """CREATE a fresh database on the server named by url, yield its URL, DROP it."""
    check_postgres_url(url)
    parts = urlsplit(url)
    name = f"selfauth_bench_{secrets.token_hex(4)}"
    # asyncpg knows no "+driver" suffix; the admin connection uses the
    # always-present "postgres" database, the server gets the user's scheme.
    admin = urlunsplit(("postgresql", parts.netloc, "/postgres", parts.query, ""))
    asyncio.run(_pg_execute(admin, f'CREATE DATABASE "{name}"'))
    try:
        yield urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, ""))
    finally:
        # FORCE closes connections a killed server may have left behind.
        asyncio.run(_pg_execute(admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


async def _pg_execute(dsn: str, statement: str) -> None:
    import asyncpg  # only needed with --postgres

    conn = await asyncpg.connect(dsn, timeout=10)
    try:
        await conn.execute(statement, timeout=30)
    finally:
        await conn.close()


@contextlib.contextmanager
def database(postgres_url: str | None) -> Iterator[str]:
    """The database URL to give selfauth: PostgreSQL when asked, else SQLite."""
    ctx = postgres_database(postgres_url) if postgres_url else sqlite_database()
    with ctx as url:
        yield url


# --- wrk --------------------------------------------------------------------


@dataclass(frozen=True)
class WrkResult:
    """What one wrk run measured."""

    requests: int
    seconds: float
    rps: float
    p50_ms: float
    p99_ms: float
    non_2xx: int  # wrk's "Non-2xx or 3xx responses": statuses of 400 and above
    socket_errors: dict[str, int]
    output: str

    @property
    def errors(self) -> int:
        return sum(self.socket_errors.values())


_TIME_UNITS_MS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3, "h": 3600e3}
_TIME = r"([\d.]+)(us|ms|s|m|h)"


def _ms(value: str, unit: str) -> float:
    return float(value) * _TIME_UNITS_MS[unit]


def parse_wrk_output(output: str) -> WrkResult:
    """Parse wrk --latency's text report."""
    rps = re.search(r"^Requests/sec:\s+([\d.]+)", output, re.MULTILINE)
    done = re.search(rf"^\s*(\d+) requests in {_TIME}", output, re.MULTILINE)
    p50 = re.search(rf"^\s+50%\s+{_TIME}\s*$", output, re.MULTILINE)
    p99 = re.search(rf"^\s+99%\s+{_TIME}\s*$", output, re.MULTILINE)
    if not (rps and done and p50 and p99):
        raise BenchError(f"could not parse wrk's output:\n{output}")
    # wrk prints this line only when the count is above zero.
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    sock = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    socket_errors = dict(
        zip(
            ("connect", "read", "write", "timeout"),
            map(int, sock.groups()) if sock else (0,) * 4,
            strict=True,
        )
    )
    return WrkResult(
        requests=int(done.group(1)),
        seconds=_ms(done.group(2), done.group(3)) / 1e3,
        rps=float(rps.group(1)),
        p50_ms=_ms(p50.group(1), p50.group(2)),
        p99_ms=_ms(p99.group(1), p99.group(2)),
        non_2xx=int(non_2xx.group(1)) if non_2xx else 0,
        socket_errors=socket_errors,
        output=output,
    )


def require_wrk() -> str:
    path = shutil.which("wrk")
    if path is None:
        raise BenchError(WRK_MISSING)
    return path


def run_wrk(
    url: str,
    script: Path,
    *,
    duration: int,
    connections: int,
    threads: int = 1,
    headers: Sequence[str] = (),
    script_args: Sequence[str] = (),
    request_timeout: int = 5,
) -> WrkResult:
    """Run wrk --latency with a Lua script against url (which must be on 127.0.0.1)."""
    if urlsplit(url).hostname != HOST:
        raise BenchError(f"refusing to load {url}: only {HOST} is a target")
    cmd = [
        require_wrk(),
        "--latency",
        "--threads",
        str(threads),
        "--connections",
        str(connections),
        "--duration",
        f"{duration}s",
        "--timeout",
        f"{request_timeout}s",
        "--script",
        str(script),
    ]
    for header in headers:
        cmd += ["--header", header]
    cmd.append(url)
    if script_args:
        cmd += ["--", *script_args]  # Lua sees these as args[1], args[2], ...
    try:
        proc = subprocess.run(
            cmd, capture_output=True, text=True, timeout=duration + 30, check=False
        )
    except subprocess.TimeoutExpired as exc:
        raise BenchError(f"wrk did not finish within {duration + 30}s") from exc
    if proc.returncode != 0:
        raise BenchError(f"wrk failed with status {proc.returncode}:\n{proc.stderr}{proc.stdout}")
    return parse_wrk_output(proc.stdout)


# --- machine ---------------------------------------------------------------


def _cpu_times() -> tuple[int, int] | None:
    try:
        fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
    except OSError:
        return None
    ticks = [int(f) for f in fields]
    idle = ticks[3] + (ticks[4] if len(ticks) > 4 else 0)  # idle + iowait
    return sum(ticks), idle


def busy_fraction(seconds: float = 1.0) -> float | None:
    """Share of all CPUs in use over a short interval (Linux only), before we add load.

    Other work on the machine (a test suite, a build) skews every figure, and
    not always equally for selfauth and its baseline; this lets the report say so.
    """
    before = _cpu_times()
    time.sleep(seconds)
    after = _cpu_times()
    if before is None or after is None or after[0] == before[0]:
        return None
    return 1.0 - (after[1] - before[1]) / (after[0] - before[0])


# --- RS256 signing baseline -------------------------------------------------


def _sign_for(duration: float) -> tuple[int, float]:
    """Sign access-token-shaped JWTs for duration seconds; return (count, elapsed)."""
    import jwt
    from cryptography.hazmat.primitives.asymmetric import rsa

    # Key generation stays outside the timed loop: the server loads its key once.
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    scope = " ".join(
        f"{verb}:{noun}"
        for noun in (
            "users",
            "users_app_metadata",
            "clients",
            "client_grants",
            "connections",
        )
        for verb in ("read", "create", "update", "delete")
    )
    count = 0
    start = time.perf_counter()
    deadline = start + duration
    while time.perf_counter() < deadline:
        now = int(time.time())
        # A fresh claim set each time, as the server must build one per token.
        claims = {
            "iss": "http://127.0.0.1/",
            "sub": "bench@clients",
            "aud": "http://127.0.0.1/api/v2/",
            "iat": now,
            "exp": now + 86400,
            "scope": scope,
            "gty": "client-credentials",
            "azp": "bench",
            "jti": secrets.token_hex(8),
        }
        jwt.encode(claims, key, algorithm="RS256", headers={"kid": "bench"})
        count += 1
    return count, time.perf_counter() - start


def rs256_signing_rate(duration: float, processes: int = 1) -> float:
    """Raw PyJWT RS256 signatures per second with an RSA-2048 key, summed over processes."""
    # Separate processes, as many as the server runs, so the baseline has the
    # same parallelism (and the same GIL-free cores) as the server it is compared to.
    with ProcessPoolExecutor(max_workers=processes) as pool:
        results = list(pool.map(_sign_for, [duration] * processes))
    return sum(count / elapsed for count, elapsed in results)


# --- a tenant to load -------------------------------------------------------

DATABASE_CONNECTION = "Username-Password-Authentication"


@dataclass(frozen=True)
class Tenant:
    """A running selfauth and its administrator client."""

    server: Server
    issuer: str
    admin_id: str
    admin_secret: str

    def management(self) -> httpx.Client:
        """An HTTP client holding an administrator's Management API token."""
        token = httpx.post(
            f"{self.server.base_url}/oauth/token",
            json={
                "grant_type": "client_credentials",
                "client_id": self.admin_id,
                "client_secret": self.admin_secret,
                "audience": f"{self.issuer}api/v2/",
            },
            timeout=30,
        ).json()["access_token"]
        return httpx.Client(
            base_url=self.server.base_url,
            timeout=30,
            headers={"authorization": f"Bearer {token}"},
        )


@contextlib.contextmanager
def selfauth_tenant(postgres_url: str | None, **extra_env: str) -> Iterator[Tenant]:
    """selfauth started as a user starts it, on a fresh database, with rate limits off (a
    throughput run would otherwise count 429s)."""
    port = free_port()
    issuer = f"http://{HOST}:{port}/"
    admin_id, admin_secret = f"bench-{secrets.token_hex(8)}", secrets.token_urlsafe(32)
    with database(postgres_url) as url:
        env = {
            "SELFAUTH_DATABASE_URL": url,
            "SELFAUTH_WORKERS": "1",  # one process, unless a bench says otherwise
            "SELFAUTH_ISSUER": issuer,
            "SELFAUTH_BOOTSTRAP_CLIENT_ID": admin_id,
            "SELFAUTH_BOOTSTRAP_CLIENT_SECRET": admin_secret,
            "SELFAUTH_MANAGEMENT_RATE_LIMIT": "0",
            "SELFAUTH_AUTH_RATE_LIMIT": "0",
            **extra_env,
        }
        with running_server(
            "selfauth", selfauth_command(port), port, env=env, ready_path="/.well-known/jwks.json"
        ) as server:
            yield Tenant(server, issuer, admin_id, admin_secret)


def client_on_database_connection(http: httpx.Client, **fields: object) -> dict[str, str]:
    """A new client, enabled on the default database connection."""
    client: dict[str, str] = http.post("/api/v2/clients", json=fields).json()
    connections = http.get("/api/v2/connections").json()
    connection = next(c for c in connections if c["name"] == DATABASE_CONNECTION)
    http.patch(
        f"/api/v2/connections/{connection['id']}",
        json={"enabled_clients": [client["client_id"]]},
    ).raise_for_status()
    return client


def create_user(http: httpx.Client, email: str, password: str) -> None:
    response = http.post(
        "/api/v2/users",
        json={"connection": DATABASE_CONNECTION, "email": email, "password": password},
    )
    response.raise_for_status()
