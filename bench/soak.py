"""Resident memory of each worker process under a long mixed load, beside its own memory at
start in the same run (issue 19's target: under 150 MB a worker after ten minutes, with no
upward trend over the last half).

Run: `.venv/bin/python bench/soak.py [--minutes 10] [--workers 2] [--postgres URL]`

One `selfauth serve` with N worker processes on a fresh database is loaded at once by four
wrk runs for the whole soak: client-credentials tokens, password-realm logins (bcrypt at cost
4, so logins are frequent), GET of a user, and PATCHes of its metadata, with a user search now
and then from this script. Every 10 s each worker's RSS is read from /proc. The report gives,
per worker, RSS at start, at the end and at its highest, and the slope of a least-squares line
over the second half in MB per minute (near zero: no leak; a steady rise: a leak).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import quote

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _harness import LUA_DIR, BenchError, Tenant, busy_fraction, run_wrk, selfauth_tenant
from logins import prepare

TARGET_MB = 150.0
SAMPLE_SECONDS = 10.0
JSON = "Content-Type: application/json"


def workers_of(supervisor: int) -> list[int]:
    """The worker processes uvicorn's supervisor started (its children running selfauth)."""
    found = []
    for task in Path(f"/proc/{supervisor}/task").iterdir():
        children = (task / "children").read_text().split()
        for child in children:
            command = Path(f"/proc/{child}/cmdline").read_bytes().replace(b"\0", b" ")
            if b"spawn_main" in command:  # not multiprocessing's resource tracker
                found.append(int(child))
    return found


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise BenchError(f"no VmRSS for {pid}")


def slope_per_minute(samples: list[tuple[float, float]]) -> float:
    """Least-squares slope of (seconds, MB) points, in MB per minute."""
    xs = [x for x, _ in samples]
    ys = [y for _, y in samples]
    mean_x, mean_y = statistics.fmean(xs), statistics.fmean(ys)
    spread = sum((x - mean_x) ** 2 for x in xs)
    if spread == 0:
        return 0.0
    return sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True)) / spread * 60


def load(tenant: Tenant, seconds: int, stop: threading.Event) -> list[str]:
    """The four wrk runs at once, and a search every second from here; their summaries."""
    base = tenant.server.base_url
    login_parts = prepare(tenant, 16)
    with tenant.management() as http:
        token = http.headers["authorization"]
        user = http.post(
            "/api/v2/users",
            json={
                "connection": "Username-Password-Authentication",
                "email": "soak@example.com",
                "password": "Str0ng!Passw0rd",
                "user_metadata": {"plan": "soak"},
            },
        ).json()
    user_url = f"{base}/api/v2/users/{quote(user['user_id'], safe='')}"
    tokens_body = json.dumps(
        {
            "grant_type": "client_credentials",
            "client_id": tenant.admin_id,
            "client_secret": tenant.admin_secret,
            "audience": f"{tenant.issuer}api/v2/",
        }
    )
    runs = {
        "tokens": lambda: run_wrk(
            f"{base}/oauth/token",
            LUA_DIR / "static.lua",
            duration=seconds,
            connections=8,
            headers=[JSON],
            script_args=["POST", tokens_body],
        ),
        "logins": lambda: run_wrk(
            f"{base}/oauth/token",
            LUA_DIR / "logins.lua",
            duration=seconds,
            connections=8,
            headers=[JSON],
            script_args=[*login_parts, "16"],
            request_timeout=10,
        ),
        "GET user": lambda: run_wrk(
            user_url,
            LUA_DIR / "static.lua",
            duration=seconds,
            connections=8,
            headers=[f"Authorization: {token}"],
            script_args=["GET"],
        ),
        "PATCH user": lambda: run_wrk(
            user_url,
            LUA_DIR / "patch_metadata.lua",
            duration=seconds,
            connections=4,
            headers=[f"Authorization: {token}", JSON],
            script_args=["50"],
        ),
    }

    def searches() -> None:
        with httpx.Client(base_url=base, headers={"authorization": token}, timeout=30) as http:
            while not stop.wait(1.0):
                http.get("/api/v2/users", params={"q": 'user_metadata.plan:"soak"'})

    searcher = threading.Thread(target=searches, daemon=True)
    searcher.start()
    with ThreadPoolExecutor(max_workers=len(runs)) as pool:
        futures = {name: pool.submit(run) for name, run in runs.items()}
        results = {name: future.result() for name, future in futures.items()}
    stop.set()
    searcher.join()
    return [
        f"{name}: {result.rps:,.0f}/s, {result.non_2xx} non-2xx" for name, result in results.items()
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--postgres", default=None)
    args = parser.parse_args()
    seconds = int(args.minutes * 60)
    busy = busy_fraction()
    with selfauth_tenant(
        args.postgres, SELFAUTH_WORKERS=str(args.workers), SELFAUTH_BCRYPT_COST="4"
    ) as tenant:
        workers = workers_of(tenant.server.process.pid)
        if len(workers) != args.workers:
            raise BenchError(f"found {len(workers)} worker processes, not {args.workers}")
        at_start = {pid: rss_mb(pid) for pid in workers}
        samples: dict[int, list[tuple[float, float]]] = {pid: [] for pid in workers}
        stop = threading.Event()
        began = time.monotonic()

        def sample() -> None:
            while not stop.wait(SAMPLE_SECONDS):
                for pid in workers:
                    samples[pid].append((time.monotonic() - began, rss_mb(pid)))

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        summaries = load(tenant, seconds, stop)
        sampler.join()
        tenant.server.check_alive()
    database = "PostgreSQL" if args.postgres else "SQLite"
    print(f"soak: {args.minutes:g} min, {args.workers} workers, {database}")
    for line in summaries:
        print(f"- {line}")
    print("\n| worker | RSS at start, MB | at end | highest | slope over 2nd half, MB/min |")
    print("|---|---|---|---|---|")
    met = True
    for index, pid in enumerate(workers, start=1):
        points = samples[pid]
        second_half = [p for p in points if p[0] >= seconds / 2] or points
        highest = max(y for _, y in points)
        slope = slope_per_minute(second_half)
        met = met and points[-1][1] < TARGET_MB
        print(
            f"| {index} | {at_start[pid]:.0f} | {points[-1][1]:.0f} | {highest:.0f} | "
            f"{slope:+.2f} |"
        )
    print(
        f"\ntarget: every worker under {TARGET_MB:.0f} MB at the end: {'met' if met else 'NOT met'}"
    )
    if busy is not None and busy > 0.2:
        print(f"WARNING: the machine was {busy:.0%} busy before the run")
    return 0


if __name__ == "__main__":
    sys.exit(main())
