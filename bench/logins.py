"""Password logins per second, beside the raw bcrypt verification rate of the same machine.

Run: `.venv/bin/python bench/logins.py [--postgres URL] [--duration 10] [--connections 16]`

selfauth is started as a user starts it, with bcrypt cost 10. wrk posts password-realm logins
(scope `openid profile email`, so each also signs an ID token) for one user. The baseline is
bcrypt cost-10 `checkpw` run flat out on every core in the same run, since the server verifies
passwords on a thread pool and uses both cores: the target is 85% of it.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _harness import (
    DATABASE_CONNECTION,
    LUA_DIR,
    BenchError,
    Tenant,
    client_on_database_connection,
    create_user,
    run_wrk,
    selfauth_tenant,
)

PASSWORD = "Str0ng!Passw0rd-x"
REALM_GRANT = "http://auth0.com/oauth/grant-type/password-realm"
TARGET = 0.85


def _verify_for(duration: float) -> tuple[int, float]:
    import bcrypt

    hashed = bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt(10))
    count, start = 0, time.perf_counter()
    while time.perf_counter() - start < duration:
        bcrypt.checkpw(PASSWORD.encode(), hashed)
        count += 1
    return count, time.perf_counter() - start


def bcrypt_rate(duration: float) -> float:
    """cost-10 verifications per second summed over one process per core."""
    cores = os.cpu_count() or 1
    with ProcessPoolExecutor(max_workers=cores) as pool:
        results = list(pool.map(_verify_for, [duration] * cores))
    return sum(count / elapsed for count, elapsed in results)


def prepare(tenant: Tenant, users: int) -> list[str]:
    """A client allowed the password-realm grant on the database connection, and `users` users
    (one account sees at most 10 concurrent checks under brute-force protection); returns the
    login body split around the user's number."""
    with tenant.management() as http:
        client = client_on_database_connection(
            http, name="bench logins", app_type="regular_web", grant_types=[REALM_GRANT]
        )
        prefix = f"bench.{secrets.token_hex(4)}."
        for n in range(users):
            create_user(http, f"{prefix}{n}@example.com", PASSWORD)
        body = {
            "grant_type": REALM_GRANT,
            "client_id": client["client_id"],
            "client_secret": client["client_secret"],
            "username": f"{prefix}0@example.com",
            "password": PASSWORD,
            "realm": DATABASE_CONNECTION,
            "scope": "openid profile email",
        }
        probe = http.post("/oauth/token", json=body, headers={"authorization": ""})
        if probe.status_code != 200:
            raise BenchError(f"a login failed: {probe.status_code} {probe.text[:300]}")
    before, _, after = json.dumps(body).partition(f"{prefix}0@")
    return [before + prefix, "@" + after]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", default=None)
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--connections", type=int, default=16)
    args = parser.parse_args()
    with selfauth_tenant(args.postgres, SELFAUTH_BCRYPT_COST="10") as tenant:
        users = args.connections
        parts = prepare(tenant, users)
        logins = run_wrk(
            f"{tenant.server.base_url}/oauth/token",
            LUA_DIR / "logins.lua",
            duration=args.duration,
            connections=args.connections,
            headers=["Content-Type: application/json"],
            script_args=[*parts, str(users)],
            request_timeout=10,
        )
        tenant.server.check_alive()
    raw = bcrypt_rate(args.duration)
    ratio = logins.rps / raw
    database_name = "PostgreSQL" if args.postgres else "SQLite"
    print(
        f"password-realm logins, {database_name}, {args.connections} connections, {args.duration}s"
    )
    print("| figure | value |\n|---|---|")
    print(f"| logins/s | {logins.rps:,.0f} |")
    print(f"| p50 / p99 | {logins.p50_ms:.1f} / {logins.p99_ms:.1f} ms |")
    print(f"| non-2xx | {logins.non_2xx} |")
    print(f"| raw bcrypt cost-10 verifies/s, {os.cpu_count()} processes | {raw:,.0f} |")
    print(f"| ratio (target >= {TARGET}) | {ratio:.2f} {'met' if ratio >= TARGET else 'NOT met'} |")
    return 0 if not logins.non_2xx else 1


if __name__ == "__main__":
    sys.exit(main())
