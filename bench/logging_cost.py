"""What the tenant logs cost: logins and client-credentials tokens per second with logging on,
beside the same server with `SELFAUTH_LOGS=off`, in one run.

Run: `.venv/bin/python bench/logging_cost.py [--postgres URL] [--duration 10] [--rounds 4]`

Each round starts two selfauth servers, each on a fresh database, one with logs off and one
with logs on, and loads both at once, each with its own wrk, so that whatever else the shared
machine does hits both alike (one at a time, the rates swung by 2x between runs). On each:
- password-realm logins (`sepft` events) with bcrypt at cost 4, the lowest: a cost-10 hash
  (~50 ms a core) would hide any logging cost in noise, so this is the worst case for logging;
- client-credentials tokens (`seccft` events), the hottest request selfauth serves.
The figures are medians over rounds: the rates, and the server's CPU time per request (from
/proc); the target (logging costs under 5%) is judged on the CPU. Last, the
in-process cost of one `record` (building the event, its log id, queueing it), which is all a
request pays, and of the writer's batch insert per event (SQLite), paid on the writer's task
every 0.2 s.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _harness import (
    LUA_DIR,
    BenchError,
    Tenant,
    run_wrk,
    selfauth_tenant,
)
from logins import prepare

TARGET = 0.05
JSON_HEADER = "Content-Type: application/json"


def cpu_seconds(pid: int) -> float:
    """User + system CPU the process has used so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _wrk_logins(tenant: Tenant, parts: list[str], duration: int, connections: int) -> Any:
    return run_wrk(
        f"{tenant.server.base_url}/oauth/token",
        LUA_DIR / "logins.lua",
        duration=duration,
        connections=connections,
        headers=[JSON_HEADER],
        script_args=[*parts, str(connections)],
        request_timeout=10,
    )


def _wrk_tokens(tenant: Tenant, duration: int, connections: int) -> Any:
    body = json.dumps(
        {
            "grant_type": "client_credentials",
            "client_id": tenant.admin_id,
            "client_secret": tenant.admin_secret,
            "audience": f"{tenant.issuer}api/v2/",
        }
    )
    return run_wrk(
        f"{tenant.server.base_url}/oauth/token",
        LUA_DIR / "static.lua",
        duration=duration,
        connections=connections,
        headers=[JSON_HEADER],
        script_args=["POST", body],
    )


def measure(tenants: dict[str, Tenant], duration: int, connections: int) -> dict[str, list[float]]:
    """[logins/s, tokens/s, server CPU us a login, server CPU us a token] of each server,
    both loaded at once by their own wrk, so whatever else the machine does hits both alike."""
    parts = {mode: prepare(tenant, connections) for mode, tenant in tenants.items()}
    figures: dict[str, list[float]] = {mode: [0.0] * 4 for mode in tenants}
    with ThreadPoolExecutor(max_workers=len(tenants)) as pool:
        for index, run in enumerate(
            (
                lambda mode: _wrk_logins(tenants[mode], parts[mode], duration, connections),
                lambda mode: _wrk_tokens(tenants[mode], duration, connections),
            )
        ):
            cpu = {mode: cpu_seconds(t.server.process.pid) for mode, t in tenants.items()}
            results = dict(zip(tenants, pool.map(run, tenants), strict=True))
            for mode, tenant in tenants.items():
                used = cpu_seconds(tenant.server.process.pid) - cpu[mode]
                result = results[mode]
                if result.non_2xx:
                    raise BenchError(f"logs {mode}: {result.non_2xx} non-2xx answers")
                figures[mode][index] = result.rps
                figures[mode][2 + index] = used / max(result.requests, 1) * 1e6
    for tenant in tenants.values():
        tenant.server.check_alive()
    return figures


def logged(tenant: Tenant) -> int:
    """How many sepft/seccft events the server holds (a check that logging was on)."""
    with tenant.management() as http:
        answer = http.get(
            "/api/v2/logs",
            params={"q": "type:sepft OR type:seccft", "per_page": 1, "include_totals": "true"},
        )
        answer.raise_for_status()
        return int(answer.json()["total"])


def record_cost(events: int = 100_000) -> float:
    """Seconds one `LogWriter.record` of a token exchange's event takes (no I/O)."""
    from datetime import timedelta

    from selfauth.domain.clock import utc_now
    from selfauth.flows.tenant_logs import LogWriter, about
    from selfauth.hooks.runner import RequestFacts

    class Nowhere:
        async def add_many(self, events: list[object]) -> None:
            return None

    writer = LogWriter(Nowhere(), utc_now, retention=timedelta(days=1))  # type: ignore[arg-type]
    facts = RequestFacts(ip="127.0.0.1", user_agent="wrk", hostname="127.0.0.1")
    start = time.perf_counter()
    for _ in range(events):
        writer.record("seccft", audience="https://api/", **about(facts=facts))
    return (time.perf_counter() - start) / events


def insert_cost(batches: int = 50, size: int = 100) -> float:
    """Seconds the writer's multi-row insert takes per event, batches of `size`, on a fresh
    SQLite database (the writer's share of each event, paid on its own task)."""
    import asyncio
    import tempfile
    from datetime import UTC, datetime

    from selfauth.config import parse_database_url
    from selfauth.domain.logs import log_id
    from selfauth.domain.user_agents import summary
    from selfauth.storage.database import Database
    from selfauth.storage.logs import SqlLogRepository
    from selfauth.storage.migrate import upgrade

    summary("wrk")  # its patterns compiled once, as in a server that has logged before

    async def run(path: str) -> float:
        database = Database(parse_database_url(f"sqlite:///{path}"))
        try:
            await upgrade(database)
            store = SqlLogRepository(database)
            elapsed = 0.0
            for _ in range(batches):
                now = datetime.now(UTC)
                batch = [
                    {
                        "log_id": log_id(now),
                        "date": now,
                        "type": "seccft",
                        "client_id": "bench",
                        "client_name": "bench client",
                        "ip": "127.0.0.1",
                        "user_agent": "wrk",
                        "audience": "https://api/",
                    }
                    for _ in range(size)
                ]
                start = time.perf_counter()
                await store.add_many(batch)
                elapsed += time.perf_counter() - start
            return elapsed / (batches * size)
        finally:
            await database.dispose()

    with tempfile.TemporaryDirectory() as directory:
        return asyncio.run(run(f"{directory}/logs.db"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", default=None)
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument(
        "--on-flush-seconds",
        type=float,
        default=None,
        help="the logs-on server's SELFAUTH_LOG_FLUSH_SECONDS; longer than a run, it records "
        "every event but writes none while loaded, which tells the writes' share of the cost",
    )
    args = parser.parse_args()
    on_env = (
        {}
        if args.on_flush_seconds is None
        else {"SELFAUTH_LOG_FLUSH_SECONDS": str(args.on_flush_seconds)}
    )
    results: dict[str, list[list[float]]] = {"off": [], "on": []}
    for round_number in range(args.rounds):
        with contextlib.ExitStack() as stack:
            tenants = {
                mode: stack.enter_context(
                    selfauth_tenant(
                        args.postgres,
                        SELFAUTH_BCRYPT_COST="4",
                        SELFAUTH_LOGS=mode,
                        **(on_env if mode == "on" else {}),
                    )
                )
                for mode in ("off", "on")
            }
            figures = measure(tenants, args.duration, args.connections)
            for mode, tenant in tenants.items():
                count = logged(tenant)
                if (mode == "on") != (count > 0):
                    raise BenchError(f"logs {mode} but {count} events were stored")
                results[mode].append(figures[mode])
                found = figures[mode]
                print(
                    f"round {round_number + 1}, logs {mode}: {found[0]:,.0f} logins/s, "
                    f"{found[1]:,.0f} tokens/s, CPU {found[2]:.0f} us a login, "
                    f"{found[3]:.0f} us a token",
                    file=sys.stderr,
                )
    database_name = "PostgreSQL" if args.postgres else "SQLite"
    flush = "" if args.on_flush_seconds is None else f", on-server flush {args.on_flush_seconds:g}s"
    print(
        f"logging cost, {database_name}, {args.connections} connections, {args.duration}s x "
        f"{args.rounds} rounds{flush}"
    )
    print("| figure | logs off | logs on | cost |\n|---|---|---|---|")
    met = True
    names = (
        "password logins/s (bcrypt cost 4), median",
        "client-credentials tokens/s, median",
        "server CPU a login, us (median)",
        "server CPU a token, us (median)",
    )
    for index, name in enumerate(names):
        off = statistics.median(r[index] for r in results["off"])
        on = statistics.median(r[index] for r in results["on"])
        rate = index < 2
        cost = 1 - on / off if rate else on / off - 1
        if not rate:  # the target is judged on CPU, which the machine's load hardly moves
            met = met and cost < TARGET
        print(f"| {name} | {off:,.0f} | {on:,.0f} | {cost:+.1%} |")
    print(f"| target: cost < {TARGET:.0%} | | | {'met' if met else 'NOT met'} |")
    record_us, insert_us = record_cost() * 1e6, insert_cost() * 1e6
    print(f"| one `record` in process (the request's share) | | {record_us:.1f} us | |")
    print(f"| insert per event, SQLite batches of 100 (the writer's) | | {insert_us:.1f} us | |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
