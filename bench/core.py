"""Core throughput benchmark of selfauth, each figure beside a baseline from the same run.

    .venv/bin/python bench/core.py [--postgres URL] [--duration 10] [--connections 50]

(1) client-credentials tokens/s  vs  raw PyJWT RS256 signatures/s (one process)
(2) GET /api/v2/users/{id} req/s and p99  vs  an empty FastAPI endpoint on uvicorn
(3) metadata PATCHes/s and p99  vs  the GET rate of (2), for context

Exit status: 0 when every figure was measured (targets met or not), 1 when a
server fails to start or a warm-up request fails, 2 when wrk is missing.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import secrets
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import httpx

# Run as a script (bench/ is no package): make the sibling harness importable.
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _harness import (
    HOST,
    LUA_DIR,
    WRK_MISSING,
    BenchError,
    Server,
    WrkResult,
    busy_fraction,
    check_postgres_url,
    database,
    free_port,
    require_wrk,
    rs256_signing_rate,
    run_wrk,
    running_server,
    selfauth_command,
    uvicorn_command,
)

CONNECTION = "Username-Password-Authentication"
PASSWORD = "Str0ng!Passw0rd-x"
JSON_HEADER = "Content-Type: application/json"
SERVER_PROCESSES = 1  # selfauth is started without --workers: one process
# An idle machine sits at a few percent; above this something else competes
# with the server and wrk for the two cores.
BUSY_WARNING = 0.15


@dataclass(frozen=True)
class Options:
    postgres: str | None
    duration: int
    connections: int
    token_connections: int
    threads: int
    metadata_keys: int

    @property
    def warmup(self) -> int:
        # Long enough to open every connection and fill caches, short enough
        # not to double the run time.
        return max(1, min(3, self.duration // 3))


@dataclass(frozen=True)
class Runs:
    busy_before: float | None
    busy_after: float | None
    sign_rate: float
    empty_get: WrkResult
    token: WrkResult
    user_get: WrkResult
    patch: WrkResult


def parse_args(argv: Sequence[str] | None = None) -> Options:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--postgres",
        metavar="URL",
        help="PostgreSQL server on this machine, e.g. postgresql://postgres@127.0.0.1:5432/x; "
        "a fresh database is created on it and dropped afterwards (default: temporary SQLite)",
    )
    parser.add_argument("--duration", type=int, default=10, help="seconds per measurement")
    parser.add_argument("--connections", type=int, default=50, help="wrk connections for (2), (3)")
    parser.add_argument("--token-connections", type=int, default=16, help="wrk connections, (1)")
    parser.add_argument("--threads", type=int, default=1, help="wrk threads (default 1)")
    parser.add_argument("--metadata-keys", type=int, default=50, help="distinct keys PATCHed")
    ns = parser.parse_args(argv)
    # Bounds keep every run finite and every load modest for a 2-core machine.
    for name, low, high in (
        ("duration", 1, 300),
        ("connections", 1, 1000),
        ("token_connections", 1, 1000),
        ("threads", 1, 16),
        ("metadata_keys", 1, 200),
    ):
        value = getattr(ns, name)
        if not low <= value <= high:
            parser.error(f"--{name.replace('_', '-')} must be between {low} and {high}")
    if ns.threads > min(ns.connections, ns.token_connections):
        parser.error("--threads cannot exceed the number of connections")
    if ns.postgres:
        try:
            check_postgres_url(ns.postgres)
        except BenchError as exc:
            parser.error(str(exc))
    return Options(
        ns.postgres,
        ns.duration,
        ns.connections,
        ns.token_connections,
        ns.threads,
        ns.metadata_keys,
    )


def log(message: str) -> None:
    print(f"* {message}", file=sys.stderr, flush=True)


def expect(response: httpx.Response, status: int | tuple[int, ...], what: str) -> None:
    """Fail the run on an unexpected warm-up status: the figures would be meaningless."""
    allowed = (status,) if isinstance(status, int) else status
    if response.status_code not in allowed:
        raise BenchError(
            f"warm-up {what}: {response.request.method} {response.request.url.path} "
            f"returned {response.status_code}: {response.text[:500]}"
        )


def measure(
    server: Server,
    label: str,
    opts: Options,
    load: Callable[[int], WrkResult],
    probe: Callable[[httpx.Client], httpx.Response],
) -> WrkResult:
    """A short wrk warm-up that must be all 2xx, then the measured run."""
    log(f"{label}: warm-up {opts.warmup}s")
    warm = load(opts.warmup)
    server.check_alive()
    if warm.non_2xx or warm.socket_errors["connect"]:
        # wrk counts failures but does not say what they were: one more
        # request of the same kind shows a status and body to act on.
        with httpx.Client(timeout=10.0) as client:
            sample = probe(client)
        raise BenchError(
            f"warm-up {label}: {warm.non_2xx} non-2xx responses, "
            f"{warm.socket_errors['connect']} connect errors out of {warm.requests} requests; "
            f"one more such request got HTTP {sample.status_code}: {sample.text[:300]}"
        )
    log(f"{label}: measuring {opts.duration}s")
    result = load(opts.duration)
    server.check_alive()
    return result


def bench_empty_app(opts: Options) -> WrkResult:
    port = free_port()
    with running_server("empty_app", uvicorn_command("empty_app:app", port), port) as server:

        def load(seconds: int) -> WrkResult:
            # Same Lua script and headers as the user GET, so only the server differs.
            return run_wrk(
                f"{server.base_url}/",
                LUA_DIR / "static.lua",
                duration=seconds,
                connections=opts.connections,
                threads=opts.threads,
                headers=["Authorization: Bearer baseline"],
                script_args=["GET"],
            )

        return measure(
            server, "empty FastAPI GET", opts, load, lambda c: c.get(f"{server.base_url}/")
        )


def bench_selfauth(opts: Options) -> tuple[WrkResult, WrkResult, WrkResult]:
    port = free_port()
    issuer = f"http://{HOST}:{port}/"
    client_id = f"bench-{secrets.token_hex(8)}"
    client_secret = secrets.token_urlsafe(32)
    with database(opts.postgres) as db_url:
        env = {
            "SELFAUTH_DATABASE_URL": db_url,
            "SELFAUTH_WORKERS": "1",  # one process, unless a bench says otherwise
            "SELFAUTH_ISSUER": issuer,
            "SELFAUTH_BOOTSTRAP_CLIENT_ID": client_id,
            "SELFAUTH_BOOTSTRAP_CLIENT_SECRET": client_secret,
            # The per-caller Management API limit (50/s by default) would turn
            # a throughput run into a count of 429s; 0 switches it off.
            "SELFAUTH_MANAGEMENT_RATE_LIMIT": "0",
            "SELFAUTH_AUTH_RATE_LIMIT": "0",
        }
        log(f"starting selfauth on {issuer} with {db_url.split(':', 1)[0]}")
        with running_server(
            "selfauth",
            selfauth_command(port),
            port,
            env=env,
            ready_path="/.well-known/openid-configuration",
        ) as server:
            token_body = json.dumps(
                {
                    "grant_type": "client_credentials",
                    "client_id": client_id,
                    "client_secret": client_secret,
                    "audience": f"{issuer}api/v2/",
                }
            )
            auth, user_url = warm_up(server, token_body)
            bearer = f"Authorization: Bearer {auth}"
            auth_header = {"Authorization": f"Bearer {auth}"}

            token = measure(
                server,
                "POST /oauth/token",
                opts,
                lambda s: run_wrk(
                    f"{server.base_url}/oauth/token",
                    LUA_DIR / "static.lua",
                    duration=s,
                    connections=opts.token_connections,
                    threads=opts.threads,
                    headers=[JSON_HEADER],
                    script_args=["POST", token_body],
                ),
                lambda c: c.post(
                    f"{server.base_url}/oauth/token",
                    content=token_body,
                    headers={"Content-Type": "application/json"},
                ),
            )
            user_get = measure(
                server,
                "GET user",
                opts,
                lambda s: run_wrk(
                    user_url,
                    LUA_DIR / "static.lua",
                    duration=s,
                    connections=opts.connections,
                    threads=opts.threads,
                    headers=[bearer],
                    script_args=["GET"],
                ),
                lambda c: c.get(user_url, headers=auth_header),
            )
            patch = measure(
                server,
                "PATCH user_metadata",
                opts,
                lambda s: run_wrk(
                    user_url,
                    LUA_DIR / "patch_metadata.lua",
                    duration=s,
                    connections=opts.connections,
                    threads=opts.threads,
                    headers=[bearer, JSON_HEADER],
                    script_args=[str(opts.metadata_keys)],
                ),
                lambda c: c.patch(
                    user_url, json={"user_metadata": {"k0": "probe"}}, headers=auth_header
                ),
            )
            # The metadata must have stayed within bounds and the user readable.
            with httpx.Client(timeout=10.0) as client:
                final = client.get(user_url, headers=auth_header)
            expect(final, 200, "final GET user")
            keys = len(final.json().get("user_metadata") or {})
            log(f"user_metadata holds {keys} keys after the PATCH run")
    return token, user_get, patch


def warm_up(server: Server, token_body: str) -> tuple[str, str]:
    """Get a token, create a user, read and patch it once; return (token, user URL)."""
    with httpx.Client(base_url=server.base_url, timeout=10.0) as client:
        response = client.post(
            "/oauth/token",
            content=token_body,
            headers={"Content-Type": "application/json"},
        )
        expect(response, 200, "client-credentials token")
        token = response.json()["access_token"]
        auth = {"Authorization": f"Bearer {token}"}
        response = client.post(
            "/api/v2/users",
            json={
                "connection": CONNECTION,
                "email": f"bench-{secrets.token_hex(6)}@example.com",
                "password": PASSWORD,
            },
            headers=auth,
        )
        expect(response, 201, "create user")
        user_id = response.json()["user_id"]
        path = f"/api/v2/users/{quote(user_id, safe='')}"
        expect(client.get(path, headers=auth), 200, "GET user")
        expect(
            client.patch(path, json={"user_metadata": {"k0": "v"}}, headers=auth),
            200,
            "PATCH user_metadata",
        )
    log(f"warm-up ok: user {user_id}")
    return token, f"{server.base_url}{path}"


# --- report -----------------------------------------------------------------


def pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.0%}"


def verdict(ok: bool) -> str:
    return "yes" if ok else "NO"


def report(opts: Options, runs: Runs) -> str:
    token_ratio = runs.token.rps / runs.sign_rate
    get_ratio = runs.user_get.rps / runs.empty_get.rps
    patch_ratio = runs.patch.rps / runs.user_get.rps
    c, tc = opts.connections, opts.token_connections
    figures = [
        ("figure", "selfauth", "baseline (same run)", "ratio", "target", "met"),
        (
            f"(1) tokens/s, {tc} conn",
            f"{runs.token.rps:,.0f}",
            f"{runs.sign_rate:,.0f} RS256 signs/s, {SERVER_PROCESSES} proc",
            f"{token_ratio:.2f}",
            ">= 0.60",
            verdict(token_ratio >= 0.60),
        ),
        (
            f"(2) GET user req/s, {c} conn",
            f"{runs.user_get.rps:,.0f}",
            f"{runs.empty_get.rps:,.0f} empty FastAPI req/s",
            f"{get_ratio:.2f}",
            ">= 0.40",
            verdict(get_ratio >= 0.40),
        ),
        (
            "(2) GET user p99",
            f"{runs.user_get.p99_ms:.1f} ms",
            f"{runs.empty_get.p99_ms:.1f} ms empty FastAPI",
            "",
            "< 50 ms",
            verdict(runs.user_get.p99_ms < 50.0),
        ),
        (
            f"(3) PATCH metadata req/s, {c} conn",
            f"{runs.patch.rps:,.0f}",
            f"{runs.user_get.rps:,.0f} GET user req/s",
            f"{patch_ratio:.2f}",
            "-",
            "-",
        ),
        ("(3) PATCH metadata p99", f"{runs.patch.p99_ms:.1f} ms", "", "", "-", "-"),
    ]
    details = [
        (
            "wrk run",
            "conn",
            "requests",
            "req/s",
            "p50 ms",
            "p99 ms",
            "non-2xx",
            "sock err",
        )
    ]
    for name, conns, run in (
        ("empty FastAPI GET /", c, runs.empty_get),
        ("POST /oauth/token", tc, runs.token),
        ("GET /api/v2/users/{id}", c, runs.user_get),
        ("PATCH /api/v2/users/{id}", c, runs.patch),
    ):
        details.append(
            (
                name,
                str(conns),
                f"{run.requests:,}",
                f"{run.rps:,.0f}",
                f"{run.p50_ms:.2f}",
                f"{run.p99_ms:.2f}",
                str(run.non_2xx),
                str(run.errors),
            )
        )
    header = (
        f"selfauth core benchmark, {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC; "
        f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}, "
        f"{'PostgreSQL' if opts.postgres else 'SQLite'}, {opts.duration}s per run, "
        f"wrk -t{opts.threads}; other CPU load before/after: "
        f"{pct(runs.busy_before)}/{pct(runs.busy_after)}"
    )
    parts = [header, "", markdown_table(figures), "", markdown_table(details)]
    bad = [
        name
        for name, run in (
            ("token", runs.token),
            ("GET", runs.user_get),
            ("PATCH", runs.patch),
        )
        if run.non_2xx or run.errors
    ]
    busy = [b for b in (runs.busy_before, runs.busy_after) if b is not None]
    if busy and max(busy) > BUSY_WARNING:
        parts += [
            "",
            f"WARNING: the machine was busy with other work ({max(busy):.0%} of all CPUs "
            "just before or after the run); these figures are not representative.",
        ]
    if bad:
        parts += [
            "",
            f"WARNING: non-2xx responses or socket errors in: {', '.join(bad)}",
        ]
    return "\n".join(parts)


def markdown_table(rows: Sequence[Sequence[str]]) -> str:
    # A pipe table reads well in a terminal and pastes straight into RESULTS.md.
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]

    def line(row: Sequence[str]) -> str:
        return "| " + " | ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)) + " |"

    rule = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    return "\n".join([line(rows[0]), rule, *(line(row) for row in rows[1:])])


def main(argv: Sequence[str] | None = None) -> int:
    opts = parse_args(argv)
    try:
        require_wrk()
    except BenchError:
        print(f"error: {WRK_MISSING}", file=sys.stderr)
        return 2
    busy_before = busy_fraction()
    try:
        # The signing baseline runs first, on an otherwise idle machine, like
        # the server's token run will.
        log(f"RS256 signing baseline: {opts.duration}s on {SERVER_PROCESSES} process")
        sign_rate = rs256_signing_rate(opts.duration, SERVER_PROCESSES)
        empty_get = bench_empty_app(opts)
        token, user_get, patch = bench_selfauth(opts)
    except BenchError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    busy_after = busy_fraction()
    runs = Runs(busy_before, busy_after, sign_rate, empty_get, token, user_get, patch)
    print(report(opts, runs))
    return 0


if __name__ == "__main__":
    sys.exit(main())
