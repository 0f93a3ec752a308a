"""What /metrics costs the token endpoint: client-credentials tokens per second with metrics on
(the default: the request-counting middleware and the token counter), beside the same server
with `SELFAUTH_METRICS=off`, in one run.

Run: `.venv/bin/python bench/metrics_cost.py [--postgres URL] [--duration 10] [--rounds 4]`

Each round starts selfauth twice on a fresh database (metrics off, then on; one server at a
time, so they never share the CPU) and runs wrk on `POST /oauth/token` (client_credentials,
16 connections), the hottest request selfauth serves. Off and on alternate so drift on a
shared machine hits both; the figure is the median over rounds, beside the server process's
CPU time per request (from /proc), which other work on the machine hardly moves. Target: under
3%. A scrape of /metrics after the "on" run checks that the requests were counted. Beside them,
the in-process cost of one pass through the middleware around an ASGI app that answers at once
(what every request pays), measured against the bare app.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _harness import LUA_DIR, BenchError, Tenant, WrkResult, run_wrk, selfauth_tenant

TARGET = 0.03
JSON_HEADER = "Content-Type: application/json"


def cpu_seconds(pid: int) -> float:
    """User + system CPU the process has used (Linux /proc): unlike a rate, what the server
    spends per request hardly moves when other work shares the machine."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def tokens(tenant: Tenant, duration: int, connections: int) -> tuple[WrkResult, float]:
    """The wrk run, and the server's CPU microseconds per request during it."""
    body = json.dumps(
        {
            "grant_type": "client_credentials",
            "client_id": tenant.admin_id,
            "client_secret": tenant.admin_secret,
            "audience": f"{tenant.issuer}api/v2/",
        }
    )
    url = f"{tenant.server.base_url}/oauth/token"
    # a short warm-up: the first requests load the client and its grants
    run_wrk(
        url,
        LUA_DIR / "static.lua",
        duration=2,
        connections=connections,
        headers=[JSON_HEADER],
        script_args=["POST", body],
    )
    pid = tenant.server.process.pid
    cpu = cpu_seconds(pid)
    result = run_wrk(
        url,
        LUA_DIR / "static.lua",
        duration=duration,
        connections=connections,
        headers=[JSON_HEADER],
        script_args=["POST", body],
    )
    cpu = cpu_seconds(pid) - cpu
    tenant.server.check_alive()
    if result.non_2xx or result.errors:
        raise BenchError(f"non-2xx {result.non_2xx}, socket errors {result.socket_errors}")
    return result, cpu / result.requests * 1e6


def counted(tenant: Tenant) -> float:
    """The token endpoint's 200s that /metrics reports (0 when metrics are off: 404)."""
    answer = httpx.get(f"{tenant.server.base_url}/metrics", timeout=30)
    if answer.status_code == 404:
        return 0.0
    answer.raise_for_status()
    for line in answer.text.splitlines():
        series = line.startswith("selfauth_http_requests_total{")
        if series and 'route="/oauth/token"' in line and 'status="200"' in line:
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def middleware_cost(passes: int = 200_000) -> tuple[float, float]:
    """Seconds per request of an ASGI app that answers at once, bare and inside the metrics
    middleware (route templates as the router leaves them in the scope)."""
    from selfauth.web.metrics import RequestMetrics

    start_message = {"type": "http.response.start", "status": 200, "headers": []}
    body_message = {"type": "http.response.body", "body": b"{}"}

    async def app(scope: Any, receive: Any, send: Any) -> None:
        scope["route"] = route
        await send(start_message)
        await send(body_message)

    class Route:
        path = "/oauth/token"

    route = Route()

    async def receive() -> Any:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Any) -> None:
        return None

    async def timed(target: Any) -> float:
        begin = time.perf_counter()
        for _ in range(passes):
            await target({"type": "http", "method": "POST", "path": "/oauth/token"}, receive, send)
        return (time.perf_counter() - begin) / passes

    async def both() -> tuple[float, float]:
        wrapped = RequestMetrics(app)
        await timed(wrapped)  # binds the series once
        return await timed(app), await timed(wrapped)

    return asyncio.run(both())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", default=None)
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=4)
    args = parser.parse_args()
    results: dict[str, list[WrkResult]] = {"off": [], "on": []}
    cpu: dict[str, list[float]] = {"off": [], "on": []}
    for round_number in range(args.rounds):
        for mode in ("off", "on"):
            with selfauth_tenant(args.postgres, SELFAUTH_METRICS=mode) as tenant:
                result, per_request = tokens(tenant, args.duration, args.connections)
                seen = counted(tenant)
            if (mode == "on") != (seen >= result.requests):
                raise BenchError(f"metrics {mode} but /metrics counted {seen:.0f} tokens")
            results[mode].append(result)
            cpu[mode].append(per_request)
            print(
                f"round {round_number + 1}, metrics {mode}: {result.rps:,.0f} tokens/s, "
                f"p99 {result.p99_ms:.1f} ms, {per_request:.0f} us CPU a token",
                file=sys.stderr,
            )
    database_name = "PostgreSQL" if args.postgres else "SQLite"
    print(
        f"metrics cost, {database_name}, {args.connections} connections, {args.duration}s x "
        f"{args.rounds} rounds (each round: off, then on)"
    )
    print("| figure | metrics off | metrics on | cost |\n|---|---|---|---|")
    off = statistics.median(r.rps for r in results["off"])
    on = statistics.median(r.rps for r in results["on"])
    cost = 1 - on / off
    print(f"| client-credentials tokens/s (median) | {off:,.0f} | {on:,.0f} | {cost:+.1%} |")
    for mode in ("off", "on"):
        rates = ", ".join(f"{r.rps:,.0f}" for r in results[mode])
        print(f"| rounds, metrics {mode} | {rates} | | |")
    p99_off = statistics.median(r.p99_ms for r in results["off"])
    p99_on = statistics.median(r.p99_ms for r in results["on"])
    print(f"| p99 ms (median) | {p99_off:.1f} | {p99_on:.1f} | |")
    cpu_off, cpu_on = statistics.median(cpu["off"]), statistics.median(cpu["on"])
    print(
        f"| server CPU a token, us (median) | {cpu_off:.0f} | {cpu_on:.0f} | "
        f"{cpu_on / cpu_off - 1:+.1%} |"
    )
    print(f"| target: cost < {TARGET:.0%} | | | {'met' if cost < TARGET else 'NOT met'} |")
    bare, wrapped = middleware_cost()
    print(
        f"| one middleware pass in process | {bare * 1e6:.2f} us (bare app) | "
        f"{wrapped * 1e6:.2f} us | +{(wrapped - bare) * 1e6:.2f} us a request |"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
