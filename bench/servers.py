"""Which HTTP server selfauth runs on, chosen by measurement (issue 19): the token endpoint
under uvicorn (what `selfauth serve` runs: httptools and uvloop) beside the same app under
granian, in alternating rounds of one run. Each server gets one worker pinned to CPU 0 and a
fresh SQLite database; wrk runs on CPU 1.

Run: `.venv/bin/pip install granian==2.8.9 && .venv/bin/python bench/servers.py [--rounds 3]`

granian is not a dependency of selfauth (this measurement is why): install it in the venv to
run this. Needs two usable cores and wrk. Reports tokens/s, p50 and p99 of each round, and the
median of granian's rate over uvicorn's.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _harness import (
    HOST,
    LUA_DIR,
    BenchError,
    WrkResult,
    free_port,
    run_wrk,
    running_server,
    selfauth_command,
    sqlite_database,
)

SERVER_CPU, LOAD_CPU = 0, 1
CLIENT_ID, CLIENT_SECRET = "bench-servers", "bench-servers-secret-0123456789abcdef"


def granian_command(port: int) -> list[str]:
    granian = Path(sys.executable).with_name("granian")
    if not granian.exists():
        raise BenchError("granian is not installed: .venv/bin/pip install granian==2.8.9")
    return [
        str(granian),
        "--interface",
        "asgi",
        "--loop",
        "uvloop",
        "--factory",
        "--host",
        HOST,
        "--port",
        str(port),
        "--workers",
        "1",
        "--log-level",
        "warning",
        "selfauth.app:app_from_environment",
    ]


def measure(name: str, argv: Sequence[str], port: int, seconds: int) -> WrkResult:
    issuer = f"http://{HOST}:{port}/"
    with sqlite_database() as url:
        env = {
            "SELFAUTH_DATABASE_URL": url,
            "SELFAUTH_WORKERS": "1",
            "SELFAUTH_HOST": HOST,
            "SELFAUTH_PORT": str(port),
            "SELFAUTH_ISSUER": issuer,
            "SELFAUTH_BOOTSTRAP_CLIENT_ID": CLIENT_ID,
            "SELFAUTH_BOOTSTRAP_CLIENT_SECRET": CLIENT_SECRET,
            "SELFAUTH_AUTH_RATE_LIMIT": "0",
        }
        pinned = [shutil.which("taskset") or "taskset", "-c", str(SERVER_CPU), *argv]
        with running_server(
            name, pinned, port, env=env, ready_path="/.well-known/jwks.json"
        ) as server:
            body = json.dumps(
                {
                    "grant_type": "client_credentials",
                    "client_id": CLIENT_ID,
                    "client_secret": CLIENT_SECRET,
                    "audience": f"{issuer}api/v2/",
                }
            )

            def load(duration: int) -> WrkResult:
                return run_wrk(
                    f"{server.base_url}/oauth/token",
                    LUA_DIR / "static.lua",
                    duration=duration,
                    connections=16,
                    headers=["Content-Type: application/json"],
                    script_args=["POST", body],
                )

            load(4)  # warm-up, discarded
            result = load(seconds)
            server.check_alive()
            if result.errors or result.non_2xx:
                raise BenchError(f"{name}: {result.errors} socket errors, {result.non_2xx} errors")
            return result


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=10)
    opts = parser.parse_args(argv)
    if len(os.sched_getaffinity(0)) < 2:
        raise BenchError("needs two usable cores: one for the server, one for wrk")
    os.sched_setaffinity(0, {LOAD_CPU})  # wrk, started from here, runs on CPU 1
    rates: dict[str, list[float]] = {"uvicorn": [], "granian": []}
    for round_number in range(1, opts.rounds + 1):
        for name in rates:
            port = free_port()
            argv_ = selfauth_command(port) if name == "uvicorn" else granian_command(port)
            result = measure(name, argv_, port, opts.seconds)
            rates[name].append(result.rps)
            print(
                f"round {round_number} {name:8} {result.rps:8.1f} tokens/s  "
                f"p50 {result.p50_ms:6.2f} ms  p99 {result.p99_ms:6.2f} ms",
                flush=True,
            )
    ratios = [g / u for g, u in zip(rates["granian"], rates["uvicorn"], strict=True)]
    print(
        f"median: uvicorn {statistics.median(rates['uvicorn']):.1f}, granian "
        f"{statistics.median(rates['granian']):.1f} tokens/s; granian / uvicorn by round "
        f"{', '.join(f'{r:.2f}' for r in ratios)} (median {statistics.median(ratios):.2f})"
    )
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BenchError as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(1)
