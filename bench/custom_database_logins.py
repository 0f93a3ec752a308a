"""Custom database logins per second: the first (migrating) login of import mode, later logins of
migrated users, and logins that always go through the `login` script, beside plain database
logins on the same server.

Run: `.venv/bin/python bench/custom_database_logins.py [--postgres URL] [--duration 10]
[--concurrency 16] [--legacy-users 3000]`

selfauth is started as a user starts it (`_harness.selfauth_tenant`, bcrypt cost 10). The legacy
user store is the tests' (`tests/support/legacy_users.py`: Starlette over SQLite), run in a
process of its own, its users' passwords salted SHA-256, so its own checking costs next to
nothing and the figures are selfauth's: running the `login` script in a sandbox worker, which
asks the store over HTTP with Basic credentials (Auth0's "Request with Basic Auth" template),
and, for a migrating login, hashing the password with bcrypt and inserting the user. Every
figure is password-realm logins (scope `openid`, so each signs an ID token), driven by
`--concurrency` asyncio tasks with httpx in this process, each task on users of its own.

- plain: users of a database connection, checked against their bcrypt hash.
- first login (import mode): each login moves one legacy user in; the run stops early when the
  legacy users (`--legacy-users`) run out.
- later logins (import mode): the users just moved in, checked here, the script not called.
- through the script (no import mode): every login runs `login` and refreshes the cached
  profile.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import statistics
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT))

from _harness import (  # noqa: E402
    DATABASE_CONNECTION,
    BenchError,
    Tenant,
    client_on_database_connection,
    create_user,
    selfauth_tenant,
)

from tests.support.legacy_users import (  # noqa: E402
    LOGIN_BASIC_AUTH_TEMPLATE,
    SCRIPTS,
    LegacyUsers,
)

PASSWORD = "Str0ng!Passw0rd-x"
REALM_GRANT = "http://auth0.com/oauth/grant-type/password-realm"


@dataclass
class Figure:
    name: str
    logins: int
    seconds: float
    failures: int
    latencies_ms: list[float]

    @property
    def rate(self) -> float:
        return self.logins / self.seconds if self.seconds else 0.0

    def row(self) -> str:
        p50 = statistics.median(self.latencies_ms) if self.latencies_ms else 0.0
        ordered = sorted(self.latencies_ms)
        p95 = ordered[int(len(ordered) * 0.95)] if ordered else 0.0
        return (
            f"| {self.name} | {self.rate:,.1f} | {p50:.1f} / {p95:.1f} ms | {self.logins} "
            f"| {self.failures} |"
        )


def _serve(service: LegacyUsers) -> None:
    service.start()
    while True:
        time.sleep(3600)


async def _drive(
    base_url: str,
    body: dict[str, Any],
    users: list[list[str]],
    duration: float,
    once: bool,
) -> Figure:
    """`len(users)` tasks, each logging in its users round-robin (or each once: `once`)."""
    latencies: list[float] = []
    failures = 0
    done = 0
    deadline = time.perf_counter() + duration

    async def task(mine: list[str]) -> None:
        nonlocal failures, done
        async with httpx.AsyncClient(base_url=base_url, timeout=30) as http:
            n = 0
            while time.perf_counter() < deadline and (not once or n < len(mine)):
                started = time.perf_counter()
                answer = await http.post(
                    "/oauth/token", json={**body, "username": mine[n % len(mine)]}
                )
                latencies.append((time.perf_counter() - started) * 1000)
                n += 1
                if answer.status_code == 200:
                    done += 1
                else:
                    failures += 1

    started = time.perf_counter()
    await asyncio.gather(*(task(mine) for mine in users))
    return Figure("", done, time.perf_counter() - started, failures, latencies)


def _split(emails: list[str], parts: int) -> list[list[str]]:
    return [emails[i::parts] for i in range(parts) if emails[i::parts]]


def _scripted(count: int) -> list[str]:
    return [f"scripted.{n}@example.com" for n in range(count)]


def _login_body(client: dict[str, Any], connection: str) -> dict[str, Any]:
    return {
        "grant_type": REALM_GRANT,
        "client_id": client["client_id"],
        "client_secret": client["client_secret"],
        "password": PASSWORD,
        "realm": connection,
        "scope": "openid",
    }


def _custom_connection(
    http: httpx.Client, client_id: str, service: LegacyUsers, import_mode: bool
) -> str:
    name = f"legacy-{uuid.uuid4().hex[:10]}"
    response = http.post(
        "/api/v2/connections",
        json={
            "name": name,
            "strategy": "auth0",
            "enabled_clients": [client_id],
            "options": {
                "enabledDatabaseCustomization": True,
                "import_mode": import_mode,
                "customScripts": {**SCRIPTS, "login": LOGIN_BASIC_AUTH_TEMPLATE},
                "configuration": {"BASE_URL": service.base_url},
                "allowed_hosts": [service.host],
            },
        },
    )
    if response.status_code != 201:
        raise BenchError(f"creating the connection failed: {response.text[:300]}")
    return name


def run(tenant: Tenant, service: LegacyUsers, args: argparse.Namespace) -> list[Figure]:
    base = tenant.server.base_url
    concurrency = args.concurrency
    with tenant.management() as http:
        client = client_on_database_connection(
            http, name="bench custom db", app_type="regular_web", grant_types=[REALM_GRANT]
        )
        plain = [f"plain.{n}.{uuid.uuid4().hex[:6]}@example.com" for n in range(concurrency)]
        for email in plain:
            create_user(http, email, PASSWORD)
        migrating = _custom_connection(http, client["client_id"], service, import_mode=True)
        scripted = _custom_connection(http, client["client_id"], service, import_mode=False)
    legacy = [f"legacy.{n}@example.com" for n in range(args.legacy_users)]
    figures = []
    for name, connection, emails, once in (
        ("plain database", DATABASE_CONNECTION, plain, False),
        ("first login (import mode, migrating)", migrating, legacy, True),
        ("later logins (import mode, migrated)", migrating, None, False),
        # Users of their own: a user_id may belong to one connection only.
        ("through the script (no import mode)", scripted, _scripted(concurrency), False),
    ):
        if emails is None:  # those the first-login run moved in
            emails = legacy[: min(concurrency, args.legacy_users)]
        figure = asyncio.run(
            _drive(
                base,
                _login_body(client, connection),
                _split(emails, concurrency),
                args.duration,
                once,
            )
        )
        figure.name = name
        figures.append(figure)
        tenant.server.check_alive()
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", default=None)
    parser.add_argument("--duration", type=float, default=10)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--legacy-users", type=int, default=3000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        service = LegacyUsers(Path(directory))
        for n in range(args.legacy_users):
            service.add(f"legacy.{n}@example.com", PASSWORD, sha256=True, plan="gold")
        for email in _scripted(args.concurrency):
            service.add(email, PASSWORD, sha256=True, plan="gold")
        process = multiprocessing.get_context("fork").Process(
            target=_serve, args=(service,), daemon=True
        )
        process.start()
        try:
            deadline = time.monotonic() + 10
            while not service.reachable():
                if time.monotonic() > deadline:
                    raise BenchError("the legacy user service did not start")
                time.sleep(0.05)
            with selfauth_tenant(args.postgres, SELFAUTH_BCRYPT_COST="10") as tenant:
                figures = run(tenant, service, args)
        finally:
            process.terminate()
            process.join(5)
    database_name = "PostgreSQL" if args.postgres else "SQLite"
    print(
        f"custom database logins, {database_name}, {args.concurrency} concurrent, "
        f"{args.duration:g}s per figure"
    )
    print("| login | logins/s | p50 / p95 | logins | failures |\n|---|---|---|---|---|")
    for figure in figures:
        print(figure.row())
    return 0 if not any(f.failures for f in figures) else 1


if __name__ == "__main__":
    sys.exit(main())
