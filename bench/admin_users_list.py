"""Latency of an administrator's users list over a million users, beside a keyed lookup.

Run: `.venv/bin/python bench/admin_users_list.py [--postgres URL [--reuse]] [--users 1000000]
[--sqlite-file PATH] [--repeat 30]`

The calls measured are those a users list page makes, through `GET /api/v2/users` (the admin
dashboard's page reads the same data path): the first page with totals in the default order, a
page deep in the list, the list sorted by `email:1` and by `last_login:-1`, an exact email
search, a name prefix search and a `user_metadata` search, each with `include_totals=true`. Each
target is sent `--repeat` times, one at a time over one keep-alive connection, after two
warm-up calls; p50 and p95 are printed beside the p50 of `GET /api/v2/users/{id}` (a keyed
lookup through the same bearer check) measured in the same run. Target: every list call under
200 ms at p50.

Seeding goes straight into the database through the project's tables: executemany in 20,000-user
transactions on SQLite (with the `user_search_terms` rows the server would write, built by
`storage/search_terms_bulk.py`), COPY on PostgreSQL, then ANALYZE. selfauth is started once on
the fresh database (migrations, bootstrap: the database connection the users belong to), the
users are loaded, and selfauth is started again for the measurement, so a cached database and a
fresh one are measured alike. `--sqlite-file PATH` keeps the SQLite database there and skips
seeding when it already holds `--users` users; `--postgres URL --reuse` does the same with the
database the URL names (which must exist), otherwise a fresh database is created and dropped.

The dashboard's own users page (`/admin/users`, which calls the same `users.page` and
`users.search`) is measured too when the server has one: an administrator is made with `selfauth
admins add` and signed in through the login page, and its first page and a search are two more
`Target`s, with the session cookie as a header.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import re
import secrets
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _harness import (
    DATABASE_CONNECTION,
    BenchError,
    Tenant,
    busy_fraction,
    check_postgres_url,
    database,
)
from _user_rows import asyncpg_url, load_postgres, load_sqlite, tenant_on

TARGET_MS = 200.0
BATCH = 20_000
FIRST = ["ada", "alan", "grace", "john", "joan", "barbara", "donald", "ken", "jose", "linus"]
FIRST += [f"given{n:02d}" for n in range(40)]  # 50 first names: `jo*` matches 3 in 50 users
PLANS = ["free"] * 70 + ["pro"] * 20 + ["team"] * 8 + ["enterprise"] * 2
# Migrations on a million users (a new index) run before the server answers.
READY_TIMEOUT = 900.0


@dataclass(frozen=True)
class Target:
    """One GET to time: a path, its query, and the headers it needs beyond the admin's bearer
    token (a dashboard page would pass its session cookie here)."""

    name: str
    path: str
    params: Mapping[str, str] = field(default_factory=dict)
    headers: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Timing:
    target: Target
    p50_ms: float
    p95_ms: float
    status: int
    summary: str  # what the last answer held: users on the page, and the total


def list_targets(count: int) -> list[Target]:
    """The calls a users list page makes, in Auth0's query syntax."""
    middle = count // 2
    page = {"per_page": "50", "include_totals": "true"}
    search = page | {"search_engine": "v3"}
    return [
        Target("first page, totals, default sort", "/api/v2/users", page),
        Target("page 100 (offset 5,000)", "/api/v2/users", page | {"page": "100"}),
        Target("sorted by email:1", "/api/v2/users", page | {"sort": "email:1"}),
        Target("sorted by last_login:-1", "/api/v2/users", page | {"sort": "last_login:-1"}),
        Target(
            "search: exact email",
            "/api/v2/users",
            search | {"q": f'email:"{email_of(middle)}"'},
        ),
        Target("search: name prefix jo*", "/api/v2/users", search | {"q": "name:jo*"}),
        Target(
            "search: user_metadata field",
            "/api/v2/users",
            search | {"q": f'user_metadata.customer_id:"C{middle:07d}"'},
        ),
        Target(
            "search: user_metadata, common",
            "/api/v2/users",
            search | {"q": 'user_metadata.plan:"enterprise"'},
        ),
    ]


# --- users -----------------------------------------------------------------


def email_of(i: int) -> str:
    return f"{FIRST[i % len(FIRST)]}.{i}@corp{i % 50}.example"


def user_row(i: int, connection_id: str, start: datetime, rng: random.Random) -> dict[str, Any]:
    local = f"{i:024x}"
    first = FIRST[i % len(FIRST)]
    created = start + timedelta(seconds=i * 3)
    # Three users in four have logged in, at some time after they signed up.
    logged_in = created + timedelta(seconds=rng.randrange(10_000_000)) if i % 4 else None
    return {
        "user_id": f"auth0|{local}",
        "connection_id": connection_id,
        "email": email_of(i),
        "email_verified": True,
        "phone_verified": False,
        "name": f"{first.title()} {i}",
        "nickname": first,
        "blocked": False,
        "identities": [
            {
                "connection": "Username-Password-Authentication",
                "provider": "auth0",
                "user_id": local,
                "isSocial": False,
            }
        ],
        "user_metadata": {
            "customer_id": f"C{i:07d}",
            "plan": rng.choice(PLANS),
            "address": {"city": f"City{rng.randrange(50):02d}", "zip": f"{i % 100_000:05d}"},
            "preferences": {"theme": rng.choice(["dark", "light"]), "language": "en"},
        },
        "app_metadata": {"roles": ["admin"] if i % 500 == 0 else ["user"]},
        "created_at": created,
        "updated_at": logged_in or created,
        "last_login": logged_in,
        "last_ip": "192.0.2.1" if logged_in else None,
        "logins_count": rng.randrange(1, 50) if logged_in else 0,
    }


def generated(count: int, connection_id: str) -> Iterator[list[dict[str, Any]]]:
    rng = random.Random(20261206)
    start = datetime(2020, 1, 1, tzinfo=UTC)
    for first in range(0, count, BATCH):
        last = min(count, first + BATCH)
        yield [user_row(i, connection_id, start, rng) for i in range(first, last)]


def user_count(url: str) -> int:
    """Users already in the database (0 when it has no schema yet)."""
    statement = "SELECT count(*) FROM users"
    try:
        if url.startswith("sqlite"):
            with contextlib.closing(sqlite3.connect(url.removeprefix("sqlite:///"))) as db:
                return int(db.execute(statement).fetchone()[0])
        return asyncio.run(_pg_count(url, statement))
    except Exception:  # a database without the table is an empty one
        return 0


async def _pg_count(url: str, statement: str) -> int:
    import asyncpg

    conn = await asyncpg.connect(asyncpg_url(url), timeout=30)
    try:
        return int(await conn.fetchval(statement))
    finally:
        await conn.close()


# --- servers ---------------------------------------------------------------


def seed(url: str, count: int, label: str) -> None:
    """`count` users in the database, unless it holds them already."""
    have = user_count(url)
    if have >= count:
        print(f"[{label}] {have:,} users already there; not seeding", file=sys.stderr)
        return
    if have:
        raise BenchError(f"the database holds {have:,} users, not {count:,}: start afresh")
    with tenant_on(url, READY_TIMEOUT) as tenant, tenant.management() as http:
        connections = http.get("/api/v2/connections").json()
        connection_id = next(c["id"] for c in connections if c["strategy"] == "auth0")
    began = time.perf_counter()
    print(f"[{label}] loading {count:,} users ...", file=sys.stderr)
    if url.startswith("sqlite"):
        load_sqlite(url.removeprefix("sqlite:///"), generated(count, connection_id))
    else:
        asyncio.run(load_postgres(url, generated(count, connection_id)))
    print(f"[{label}] loaded in {time.perf_counter() - began:.0f} s", file=sys.stderr)


# --- the dashboard ---------------------------------------------------------

ADMIN_PASSWORD = "Bench-Dashboard-1!"  # a throwaway user of a throwaway tenant


def dashboard_targets(tenant: Tenant, http: httpx.Client, url: str) -> list[Target]:
    """`/admin/users` as a signed-in administrator sees it, or nothing on a server without the
    dashboard."""
    base = tenant.server.base_url
    if httpx.get(f"{base}/admin/login", timeout=30).status_code == 404:
        print("  (no dashboard on this server: /admin/users not measured)", file=sys.stderr)
        return []
    email = f"bench-admin-{secrets.token_hex(4)}@example.com"
    made = http.post(
        "/api/v2/users",
        json={"connection": DATABASE_CONNECTION, "email": email, "password": ADMIN_PASSWORD},
    )
    made.raise_for_status()
    script = Path(sys.executable).with_name("selfauth")
    done = subprocess.run(
        [str(script), "admins", "add", email],
        env={**os.environ, "SELFAUTH_DATABASE_URL": url},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if done.returncode != 0:
        raise BenchError(f"selfauth admins add failed: {done.stderr}")
    cookie = _dashboard_cookie(base, email)
    headers = {"cookie": cookie}
    search = f'email:"{email_of(7)}"'
    return [
        Target("dashboard /admin/users, first page", "/admin/users", headers=headers),
        Target("dashboard /admin/users, q=email", "/admin/users", {"q": search}, headers),
    ]


def _dashboard_cookie(base: str, email: str) -> str:
    """The dashboard's sign-in as a browser makes it: /admin/login, the login page, back."""
    with httpx.Client(base_url=base, timeout=30, follow_redirects=False) as browser:

        def insecure(response: httpx.Response) -> None:
            # Browsers send Secure cookies to http://127.0.0.1 (a secure context); httpx does
            # not, so they lose the flag as soon as they are in the jar.
            del response
            for cookie in browser.cookies.jar:
                cookie.secure = False

        browser.event_hooks["response"] = [insecure]
        start = browser.get("/admin/login")
        page = browser.get(start.headers["location"])
        fields = {
            name: _hidden(page.text, name) for name in ("tx", "csrf")
        }  # the login form's own fields
        answer = browser.post(
            "/u/login", data={**fields, "username": email, "password": ADMIN_PASSWORD}
        )
        if answer.status_code not in (302, 303):
            raise BenchError(f"dashboard sign-in answered {answer.status_code}")
        browser.get(answer.headers["location"])
        return "; ".join(f"{c.name}={c.value}" for c in browser.cookies.jar)


def _hidden(html: str, name: str) -> str:
    found = re.search(rf'name="{name}"\s+value="([^"]*)"', html) or re.search(
        rf'value="([^"]*)"\s+name="{name}"', html
    )
    if found is None:
        raise BenchError(f"the login page has no {name} field")
    return found.group(1)


# --- measuring -------------------------------------------------------------


def time_target(http: httpx.Client, target: Target, repeat: int) -> Timing:
    for _ in range(2):  # warm-up: caches, prepared statements
        http.get(target.path, params=target.params, headers=target.headers)
    samples = []
    response = None
    for _ in range(repeat):
        began = time.perf_counter()
        response = http.get(target.path, params=target.params, headers=target.headers)
        samples.append((time.perf_counter() - began) * 1000)
    assert response is not None
    samples.sort()
    p50 = samples[len(samples) // 2]
    p95 = samples[min(len(samples) - 1, round(0.95 * (len(samples) - 1)))]
    return Timing(target, p50, p95, response.status_code, _summary(response))


def _summary(response: httpx.Response) -> str:
    if response.status_code != 200:
        return f"HTTP {response.status_code}: {response.text[:120]}"
    if "json" not in response.headers.get("content-type", ""):
        return f"{len(response.content) // 1024} KiB of {response.headers.get('content-type')}"
    body = response.json()
    if isinstance(body, dict) and "users" in body:
        return f"{len(body['users'])} users, total {body.get('total')}"
    return f"{len(body)} items" if isinstance(body, list) else "an object"


def run_targets(http: httpx.Client, targets: Sequence[Target], repeat: int) -> list[Timing]:
    timings = []
    for target in targets:
        timing = time_target(http, target, repeat)
        print(
            f"  {target.name}: p50 {timing.p50_ms:.1f} ms, p95 {timing.p95_ms:.1f} ms "
            f"({timing.summary})",
            file=sys.stderr,
        )
        timings.append(timing)
    return timings


def measure(url: str, count: int, repeat: int, label: str) -> list[str]:
    seed(url, count, label)
    with tenant_on(url, READY_TIMEOUT) as tenant, tenant.management() as http:
        some = http.get("/api/v2/users", params={"per_page": "1"}).json()
        if not some:
            raise BenchError("the database holds no users")
        keyed = Target("baseline: GET /api/v2/users/{id}", f"/api/v2/users/{some[0]['user_id']}")
        baseline = run_targets(http, [keyed], repeat)[0]
        targets = list_targets(count) + dashboard_targets(tenant, http, url)
        timings = run_targets(http, targets, repeat)
        tenant.server.check_alive()
    base = baseline.p50_ms
    lines = [
        f"{label}, {count:,} users, {repeat} requests per call, one at a time:",
        "",
        "| call | p50 ms | p95 ms | p50 / baseline | answer |",
        "|---|---|---|---|---|",
        f"| {keyed.name} | {base:.1f} | {baseline.p95_ms:.1f} | 1.0 | {baseline.summary} |",
    ]
    for t in timings:
        flag = "" if t.p50_ms < TARGET_MS and t.status == 200 else " **over target**"
        lines.append(
            f"| {t.target.name}{flag} | {t.p50_ms:.1f} | {t.p95_ms:.1f} | "
            f"{t.p50_ms / base:.1f} | {t.summary} |"
        )
    return lines


def run(args: argparse.Namespace) -> list[str]:
    if args.postgres and args.reuse:
        check_postgres_url(args.postgres)
        return measure(args.postgres, args.users, args.repeat, "PostgreSQL")
    if args.postgres:
        with database(args.postgres) as url:
            return measure(url, args.users, args.repeat, "PostgreSQL")
    if args.sqlite_file:
        path = Path(args.sqlite_file).resolve()
        path.parent.mkdir(parents=True, exist_ok=True)
        return measure(f"sqlite:///{path}", args.users, args.repeat, "SQLite")
    with database(None) as url:
        return measure(url, args.users, args.repeat, "SQLite")


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--postgres", help="postgresql://user@127.0.0.1:5432/postgres")
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="with --postgres: use the database the URL names, seeding it only if empty",
    )
    parser.add_argument("--sqlite-file", help="keep the seeded SQLite database here and reuse it")
    parser.add_argument("--users", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()
    busy = busy_fraction()
    try:
        lines = run(args)
    except BenchError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"CPU busy before the run: {busy:.0%}" if busy is not None else "")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
