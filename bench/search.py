"""User search latency over a large tenant, beside a plain list of users in the same run.

Run: `.venv/bin/python bench/search.py [--postgres URL] [--users 1000000] [--repeat 40]`

selfauth starts as a user starts it (migrations, bootstrap) on a fresh database; then `--users`
generated users with realistic metadata go straight into the database in bulk (executemany on
SQLite, COPY on PostgreSQL; the search term rows SQLite needs come from the same
`domain/search/terms.py` the server uses), the planner statistics are refreshed, and each query
is sent `--repeat` times over HTTP, one at a time, asking for one page (`per_page=50`). Each
figure is printed beside the p50 of `GET /api/v2/users?per_page=50` (no q) measured in the same
run. Targets: equality metadata queries p50 under 20 ms, no query over 2 s.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _harness import BenchError, busy_fraction, database
from _user_rows import load_postgres, load_sqlite, tenant_on

CITIES = ["Paris", "Lyon", "London", "Berlin", "Madrid", "Rome", "Lisbon", "Oslo", "Vienna"]
CITIES += [f"City{n:02d}" for n in range(41)]  # 50 cities, the first few most common
TAGS = ["beta", "newsletter", "mobile", "desktop", "early-adopter", "churn-risk", "vip"]
PLANS = ["free"] * 70 + ["pro"] * 20 + ["team"] * 8 + ["enterprise"] * 2
FIRST = ["ada", "alan", "grace", "edsger", "barbara", "donald", "ken", "dennis", "linus", "guido"]
BATCH = 20_000

QUERIES: list[tuple[str, str]] = [
    ("equality, common (2% match)", 'app_metadata.plan:"enterprise"'),
    ("equality, very common (70%)", 'app_metadata.plan:"free"'),
    ("equality, one user", 'user_metadata.customer_id:"C0500000"'),
    ("equality, one user, AND", 'app_metadata.org_id:"org_1234" AND user_metadata.age:42'),
    ("nested", 'user_metadata.address.city:"Vienna"'),
    ("nested, rare", 'user_metadata.address.city:"City40"'),
    ("array element", 'user_metadata.tags:"vip"'),
    ("array element, AND", 'app_metadata.roles:"admin" AND user_metadata.tags:"beta"'),
    ("wildcard prefix", "user_metadata.address.city:Vie*"),
    ("wildcard prefix, rare", "user_metadata.customer_id:C09999*"),
    ("wildcard infix", "user_metadata.nickname:*nus-99*"),
    ("range, numbers", "user_metadata.age:[30 TO 32]"),
    ("range, rare", "app_metadata.score:[999.5 TO *]"),
    ("root: email.domain", 'email.domain:"corp7.example"'),
]


def user_row(i: int, connection_id: str, start: datetime, rng: random.Random) -> dict[str, Any]:
    local = f"{i:024x}"
    first = FIRST[i % len(FIRST)]
    city = CITIES[min(int(rng.expovariate(0.15)), len(CITIES) - 1)]
    user_metadata: dict[str, Any] = {
        "customer_id": f"C{i:07d}",
        "age": 18 + rng.randrange(60),
        "nickname": f"{first}-{rng.randrange(10_000)}",
        "address": {"city": city, "zip": f"{rng.randrange(100_000):05d}"},
        "tags": rng.sample(TAGS[:-1], rng.randrange(0, 4)) + (["vip"] if i % 997 == 0 else []),
        "preferences": {"theme": rng.choice(["dark", "light"]), "language": "en"},
    }
    app_metadata: dict[str, Any] = {
        "plan": rng.choice(PLANS),
        "roles": ["user", "admin"] if i % 500 == 0 else ["user"],
        "score": rng.randrange(1000) + (0.5 if i % 2000 == 0 else 0.0),
        "org_id": f"org_{i % 5000}",
    }
    created = start + timedelta(seconds=i * 3)
    return {
        "user_id": f"auth0|{local}",
        "connection_id": connection_id,
        "email": f"{first}.{i}@corp{i % 50}.example",
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
        "user_metadata": user_metadata,
        "app_metadata": app_metadata,
        "created_at": created,
        "updated_at": created,
        "logins_count": rng.randrange(50),
    }


def generated(count: int, connection_id: str) -> Iterator[list[dict[str, Any]]]:
    rng = random.Random(20261126)
    start = datetime(2020, 1, 1, tzinfo=UTC)
    for first in range(0, count, BATCH):
        yield [
            user_row(i, connection_id, start, rng) for i in range(first, min(count, first + BATCH))
        ]


def measure(http: httpx.Client, q: str | None, repeat: int) -> tuple[float, float, int]:
    params: dict[str, Any] = {"per_page": 50}
    if q is not None:
        params |= {"q": q, "search_engine": "v3"}
    found = 0
    for _ in range(2):  # warm-up: caches, prepared statements
        http.get("/api/v2/users", params=params).raise_for_status()
    samples = []
    for _ in range(repeat):
        began = time.perf_counter()
        response = http.get("/api/v2/users", params=params)
        samples.append((time.perf_counter() - began) * 1000)
        if response.status_code != 200:
            raise BenchError(f"{q!r} answered {response.status_code}: {response.text[:300]}")
        found = len(response.json())
    samples.sort()
    p99 = samples[min(len(samples) - 1, round(0.99 * (len(samples) - 1)))]
    return statistics.median(samples), p99, found


def run(postgres: str | None, count: int, repeat: int) -> list[str]:
    label = "PostgreSQL" if postgres else "SQLite"
    with database(postgres) as url, tenant_on(url) as tenant, tenant.management() as http:
        connections = http.get("/api/v2/connections").json()
        connection_id = next(c["id"] for c in connections if c["strategy"] == "auth0")
        began = time.perf_counter()
        print(f"[{label}] loading {count:,} users ...", file=sys.stderr)
        if postgres:
            asyncio.run(load_postgres(url, generated(count, connection_id)))
        else:
            load_sqlite(url.removeprefix("sqlite:///"), generated(count, connection_id))
        print(f"[{label}] loaded in {time.perf_counter() - began:.0f} s", file=sys.stderr)
        base_p50, base_p99, _ = measure(http, None, repeat)
        lines = [
            f"{label}, {count:,} users, {repeat} requests per query, one at a time:",
            "",
            "| query | q | p50 ms | p99 ms | p50 / baseline p50 | users on page |",
            "|---|---|---|---|---|---|",
            f"| baseline: list, no q | - | {base_p50:.1f} | {base_p99:.1f} | 1.0 | 50 |",
        ]
        for name, q in QUERIES:
            p50, p99, found = measure(http, q, repeat)
            tenant.server.check_alive()
            lines.append(
                f"| {name} | `{q}` | {p50:.1f} | {p99:.1f} | {p50 / base_p50:.1f} | {found} |"
            )
            print(lines[-1], file=sys.stderr)
        return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--postgres", help="postgresql://user@127.0.0.1:5432/postgres")
    parser.add_argument("--users", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=40)
    args = parser.parse_args()
    busy = busy_fraction()
    try:
        lines = run(args.postgres, args.users, args.repeat)
    except BenchError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"CPU busy before the run: {busy:.0%}" if busy is not None else "")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
