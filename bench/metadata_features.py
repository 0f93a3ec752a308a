"""What the metadata history and a metadata schema cost a PATCH of user_metadata (issue 20):
the same server code with both on, beside both off, in one run.

Run: `.venv/bin/python bench/metadata_features.py [--postgres URL] [--rounds 3] [--seconds 10]`

Two selfauth servers on fresh databases of the same kind, one process each: "off" with
`SELFAUTH_METADATA_HISTORY=off` and no schema; "on" with the history and a tenant-wide
user_metadata schema (ten rules) that every PATCH satisfies. Each gets `--users` users, then
wrk PATCHes their user_metadata (one changing key of ten, spread over the users, so each
PATCH is its own transaction) for `--seconds`, in alternating rounds (off, on, off, on...),
so that the machine's drift falls on both. Prints PATCH/s and p99 of every round and the
ratio of the medians. Target: "on" costs under 15%.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from contextlib import ExitStack
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _harness import (
    DATABASE_CONNECTION,
    LUA_DIR,
    Tenant,
    WrkResult,
    busy_fraction,
    require_wrk,
    run_wrk,
    selfauth_tenant,
)

TARGET_COST = 0.15
SCHEMA = {
    "type": "object",
    "properties": {
        "age": {"type": "integer", "minimum": 0, "maximum": 150},
        "plan": {"enum": ["free", "pro", "team"]},
        "locale": {"type": "string", "pattern": "^[a-z]{2}(-[A-Z]{2})?$"},
        "tags": {"type": "array", "items": {"type": "string"}, "maxItems": 20},
    },
    "patternProperties": {"^k[0-9]$": {"type": "string", "maxLength": 64}},
    "additionalProperties": False,
    "maxProperties": 30,
}


def prepare(tenant: Tenant, users: int, schema: bool) -> str:
    """The users, the schema when asked, and a Management API token."""
    with tenant.management() as http:
        if schema:
            http.put("/api/v2/metadata-schemas/user_metadata", json={"schema": SCHEMA})
            found = http.get("/api/v2/metadata-schemas/user_metadata")
            found.raise_for_status()
        for n in range(users):
            response = http.post(
                "/api/v2/users",
                json={
                    "connection": DATABASE_CONNECTION,
                    "user_id": f"bench{n:06d}",
                    "email": f"bench{n}@example.com",
                    "password": "Str0ng!Passw0rd-x",
                    "user_metadata": {"age": 30, "plan": "pro", "locale": "en-GB"},
                },
            )
            response.raise_for_status()
        return str(http.headers["authorization"])


def patch_round(tenant: Tenant, bearer: str, users: int, seconds: int) -> WrkResult:
    return run_wrk(
        tenant.server.base_url + "/",
        LUA_DIR / "patch_many_users.lua",
        duration=seconds,
        connections=16,
        threads=1,
        headers=[f"Authorization: {bearer}", "Content-Type: application/json"],
        script_args=[str(users)],
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", help="a PostgreSQL URL (default: SQLite)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--users", type=int, default=500)
    opts = parser.parse_args()
    require_wrk()
    print(f"machine busy before: {busy_fraction() or 0:.0%}")
    with ExitStack() as stack:
        off = stack.enter_context(selfauth_tenant(opts.postgres, SELFAUTH_METADATA_HISTORY="off"))
        on = stack.enter_context(selfauth_tenant(opts.postgres))
        sides = {
            "off": (off, prepare(off, opts.users, False)),
            "on": (on, prepare(on, opts.users, True)),
        }
        for tenant, bearer in sides.values():  # warm both: caches, the schema compiled
            patch_round(tenant, bearer, opts.users, 3)
        rates: dict[str, list[float]] = {"off": [], "on": []}
        for round_ in range(1, opts.rounds + 1):
            for name, (tenant, bearer) in sides.items():
                result = patch_round(tenant, bearer, opts.users, opts.seconds)
                if result.errors or result.non_2xx:
                    failed = result.errors + result.non_2xx
                    print(f"round {round_} {name}: {failed} failed requests", file=sys.stderr)
                    return 1
                rates[name].append(result.rps)
                print(
                    f"round {round_} {name:>3}: {result.rps:8,.0f} PATCH/s"
                    f"  p99 {result.p99_ms:6.1f} ms"
                )
        with on.management() as http:
            total = http.get(
                "/api/v2/users/auth0|bench000000/metadata-history",
                params={"include_totals": "true"},
            ).json()["total"]
        print(f"history entries of one user after the runs: {total}")
    off_median, on_median = statistics.median(rates["off"]), statistics.median(rates["on"])
    cost = 1 - on_median / off_median
    verdict = "met" if cost < TARGET_COST else "missed"
    ratio = on_median / off_median
    print(f"median off {off_median:,.0f}/s, on {on_median:,.0f}/s: on/off {ratio:.2f}")
    print(f"cost {cost:.0%} (target under {TARGET_COST:.0%}: {verdict})")
    print(f"machine busy after: {busy_fraction() or 0:.0%}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
