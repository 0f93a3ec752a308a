"""Users imported per second through `POST /api/v2/jobs/users-imports`, beside a raw bulk
INSERT of the same rows measured in the same run.

Run: `.venv/bin/python bench/import_users.py [--users 1000000] [--postgres URL]`

The file holds `--users` generated users with realistic metadata and bcrypt `password_hash`es
(imports of `password_hash` do no hashing). selfauth is started as a user starts it on a fresh
database; the figure is users divided by the time from the start of the upload to the job's
`completed`. The baseline parses the same file with the same JSON reader and INSERTs its rows
through SQLAlchemy Core in 1,000-row transactions into a fresh database of the same kind, with
no validation, no duplicate or conflict checks and no HTTP. Target: at least 5,000 users/s.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import bcrypt
import ijson
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _harness import DATABASE_CONNECTION, BenchError, database, selfauth_tenant

TARGET = 5000.0
CITIES = ["Lyon", "Porto", "Kraków", "Austin", "Osaka", "Leeds", "Tartu", "Recife"]
PLANS = ["free", "pro", "team", "enterprise"]


def generate(path: Path, users: int) -> None:
    """A JSON array written row by row (never built whole in memory)."""
    rng = random.Random(7)
    hashes = [bcrypt.hashpw(f"pw{n}".encode(), bcrypt.gensalt(4)).decode() for n in range(50)]
    with path.open("w") as out:
        out.write("[\n")
        for n in range(users):
            row = {
                "email": f"user{n}.{uuid.UUID(int=rng.getrandbits(128)).hex[:8]}@example.com",
                "email_verified": rng.random() < 0.7,
                "given_name": f"Given{n % 997}",
                "family_name": f"Family{n % 1009}",
                "name": f"Given{n % 997} Family{n % 1009}",
                "password_hash": hashes[n % len(hashes)],
                "user_metadata": {
                    "theme": rng.choice(["dark", "light"]),
                    "locale": rng.choice(["en-GB", "fr-FR", "pt-BR", "ja-JP"]),
                    "newsletter": rng.random() < 0.4,
                    "address": {"city": rng.choice(CITIES), "zip": f"{rng.randrange(99999):05}"},
                },
                "app_metadata": {
                    "plan": rng.choice(PLANS),
                    "roles": rng.sample(["reader", "writer", "admin", "billing"], 2),
                    "legacy_id": n,
                },
            }
            out.write(("," if n else "") + json.dumps(row) + "\n")
        out.write("]\n")


def import_rate(path: Path, users: int, postgres: str | None) -> tuple[float, dict[str, Any]]:
    with selfauth_tenant(postgres) as tenant, tenant.management() as http:
        connections = http.get("/api/v2/connections").json()
        connection = next(c for c in connections if c["name"] == DATABASE_CONNECTION)
        started = time.perf_counter()
        with path.open("rb") as upload:
            response = http.post(
                "/api/v2/jobs/users-imports",
                files={"users": ("users.json", upload, "application/json")},
                data={"connection_id": connection["id"]},
                timeout=600,
            )
        if response.status_code not in (201, 202):  # 202 since the job answers as Auth0's
            raise BenchError(f"import refused: {response.status_code} {response.text}")
        job_id = response.json()["id"]
        while True:
            tenant.server.check_alive()
            job: dict[str, Any] = http.get(f"/api/v2/jobs/{job_id}").json()
            if job["status"] in ("completed", "failed"):
                break
            time.sleep(0.2)
        elapsed = time.perf_counter() - started
    if job["status"] != "completed" or job["summary"]["inserted"] != users:
        raise BenchError(f"the import did not insert every user: {job}")
    return users / elapsed, job


def _bare_users_table() -> sa.Table:
    """selfauth's users table without its foreign key (the baseline has no connections)."""
    from selfauth.storage.tables import users

    columns = [sa.Column(c.name, c.type, primary_key=c.primary_key) for c in users.columns]
    return sa.Table("users", sa.MetaData(), *columns)


def _rows(path: Path, table: sa.Table) -> Any:
    now = datetime.now(UTC)
    batch: list[dict[str, Any]] = []
    with path.open("rb") as file:
        for n, raw in enumerate(ijson.items(file, "item", use_float=True)):
            batch.append(
                {
                    "user_id": f"auth0|{n:024x}",
                    "connection_id": "con_bench",
                    "email": raw["email"],
                    "email_verified": raw["email_verified"],
                    "given_name": raw["given_name"],
                    "family_name": raw["family_name"],
                    "name": raw["name"],
                    "password_hash": raw["password_hash"],
                    "user_metadata": raw["user_metadata"],
                    "app_metadata": raw["app_metadata"],
                    "identities": [],
                    "phone_verified": False,
                    "blocked": False,
                    "logins_count": 0,
                    "created_at": now,
                    "updated_at": now,
                }
            )
            if len(batch) == 1000:
                yield batch
                batch = []
    if batch:
        yield batch


def baseline_rate(path: Path, users: int, postgres: str | None) -> float:
    table = _bare_users_table()
    with database(postgres) as url:
        if postgres is None:
            engine = sa.create_engine(url)
            table.metadata.create_all(engine)
            started = time.perf_counter()
            for batch in _rows(path, table):
                with engine.begin() as conn:
                    conn.execute(table.insert(), batch)
            elapsed = time.perf_counter() - started
            engine.dispose()
        else:
            elapsed = asyncio.run(_postgres_baseline(url, path, table))
    return users / elapsed


async def _postgres_baseline(url: str, path: Path, table: sa.Table) -> float:
    engine = create_async_engine(url.replace("postgresql://", "postgresql+asyncpg://", 1))
    async with engine.begin() as conn:
        await conn.run_sync(table.metadata.create_all)
    started = time.perf_counter()
    for batch in _rows(path, table):
        async with engine.begin() as conn:
            await conn.execute(table.insert(), batch)
    elapsed = time.perf_counter() - started
    await engine.dispose()
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=1_000_000)
    parser.add_argument("--postgres", help="postgresql://user@127.0.0.1:5432/db (loopback)")
    args = parser.parse_args()
    kind = "PostgreSQL" if args.postgres else "SQLite"
    with tempfile.TemporaryDirectory(prefix="selfauth-bench-import-") as tmp:
        path = Path(tmp) / "users.json"
        print(f"generating {args.users:,} users ...", file=sys.stderr)
        generate(path, args.users)
        size = path.stat().st_size
        print(f"file: {size / 1e6:,.0f} MB; importing on {kind} ...", file=sys.stderr)
        try:
            rate, job = import_rate(path, args.users, args.postgres)
            print("baseline: raw bulk INSERT ...", file=sys.stderr)
            base = baseline_rate(path, args.users, args.postgres)
        except BenchError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
    verdict = "meets" if rate >= TARGET else "misses"
    print(
        f"| {kind} | {args.users:,} users, {size / 1e6:,.0f} MB | {rate:,.0f} users/s | "
        f"{base:,.0f} rows/s | {rate / base:.2f} | {verdict} the {TARGET:,.0f}/s target |"
    )
    print(f"summary: {job['summary']}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
