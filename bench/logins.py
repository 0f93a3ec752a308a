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

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _harness import (
    HOST,
    LUA_DIR,
    BenchError,
    database,
    free_port,
    run_wrk,
    running_server,
    selfauth_command,
)

CONNECTION = "Username-Password-Authentication"
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


def prepare(base: str, admin_id: str, admin_secret: str, audience: str, users: int) -> list[str]:
    """A client allowed the password-realm grant on the database connection, and `users` users
    (one account sees at most 10 concurrent checks under brute-force protection); returns the
    login body split around the user's number."""
    with httpx.Client(base_url=base, timeout=30) as http:
        token = http.post(
            "/oauth/token",
            json={
                "grant_type": "client_credentials",
                "client_id": admin_id,
                "client_secret": admin_secret,
                "audience": audience,
            },
        ).json()["access_token"]
        auth = {"authorization": f"Bearer {token}"}
        client = http.post(
            "/api/v2/clients",
            json={"name": "bench logins", "app_type": "regular_web", "grant_types": [REALM_GRANT]},
            headers=auth,
        ).json()
        connections = http.get("/api/v2/connections", headers=auth).json()
        connection = next(c for c in connections if c["name"] == CONNECTION)
        http.patch(
            f"/api/v2/connections/{connection['id']}",
            json={"enabled_clients": [client["client_id"]]},
            headers=auth,
        ).raise_for_status()
        prefix = f"bench.{secrets.token_hex(4)}."
        for n in range(users):
            http.post(
                "/api/v2/users",
                json={
                    "connection": CONNECTION,
                    "email": f"{prefix}{n}@example.com",
                    "password": PASSWORD,
                },
                headers=auth,
            ).raise_for_status()
        body = {
            "grant_type": REALM_GRANT,
            "client_id": client["client_id"],
            "client_secret": client["client_secret"],
            "username": f"{prefix}0@example.com",
            "password": PASSWORD,
            "realm": CONNECTION,
            "scope": "openid profile email",
        }
        probe = http.post("/oauth/token", json=body)
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
    port = free_port()
    issuer = f"http://{HOST}:{port}/"
    admin_id, admin_secret = f"bench-{secrets.token_hex(8)}", secrets.token_urlsafe(32)
    with database(args.postgres) as url:
        env = {
            "SELFAUTH_DATABASE_URL": url,
            "SELFAUTH_ISSUER": issuer,
            "SELFAUTH_BOOTSTRAP_CLIENT_ID": admin_id,
            "SELFAUTH_BOOTSTRAP_CLIENT_SECRET": admin_secret,
            "SELFAUTH_BCRYPT_COST": "10",
            "SELFAUTH_MANAGEMENT_RATE_LIMIT": "0",
            "SELFAUTH_AUTH_RATE_LIMIT": "0",
        }
        with running_server(
            "selfauth", selfauth_command(port), port, env=env, ready_path="/.well-known/jwks.json"
        ) as server:
            users = args.connections
            parts = prepare(server.base_url, admin_id, admin_secret, f"{issuer}api/v2/", users)
            logins = run_wrk(
                f"{server.base_url}/oauth/token",
                LUA_DIR / "logins.lua",
                duration=args.duration,
                connections=args.connections,
                headers=["Content-Type: application/json"],
                script_args=[*parts, str(users)],
                request_timeout=10,
            )
            server.check_alive()
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
