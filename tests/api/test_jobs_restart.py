"""A server killed (SIGKILL) in the middle of a large import, restarted on the same database,
finishes the job: every user exactly once, and a summary that counts each row once. Also the
limit on concurrent imports (Auth0 answers 429 beyond it)."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import time
import uuid
from pathlib import Path

import asyncpg

from tests.support.api import Api, assert_error
from tests.support.jobs import BCRYPT_HASH, start_import, wait
from tests.support.server import RunningServer, fresh_database, start, stop

USERS = 60_000


def big_file(path: Path, count: int, tag: str) -> bytes:
    rows = [
        {
            "email": f"restart.{tag}.{n}@example.com",
            "password_hash": BCRYPT_HASH,
            "user_metadata": {"n": n, "langs": ["en"]},
        }
        for n in range(count)
    ]
    path.write_text(json.dumps(rows))
    return path.read_bytes()


def stored_users(server: RunningServer, tag: str) -> tuple[int, int]:
    """(rows, distinct emails) of this file's users, read from the database itself."""
    pattern = f"restart.{tag}.%"
    sql = "SELECT count(*), count(DISTINCT email) FROM users WHERE email LIKE "
    if server.backend == "sqlite":
        with sqlite3.connect(server.database_url.removeprefix("sqlite:///")) as db:
            found = db.execute(sql + "?", (pattern,)).fetchone()
            return int(found[0]), int(found[1])

    async def count() -> tuple[int, int]:
        connection = await asyncpg.connect(server.database_url)
        try:
            row = await connection.fetchrow(sql + "$1", pattern)
            return int(row[0]), int(row[1])
        finally:
            await connection.close()

    return asyncio.run(count())


def test_a_killed_import_resumes_without_losing_or_duplicating(
    server: RunningServer, tmp_path: Path
) -> None:
    tag = uuid.uuid4().hex[:8]
    content = big_file(tmp_path / "users.json", USERS, tag)
    extra = {"SELFAUTH_JOBS_DIR": str(tmp_path / "jobs")}
    with fresh_database(server.backend, tmp_path) as url:
        first = start(url, tmp_path / "first.log", server.backend, extra_env=extra)
        try:
            api = Api(first, first.admin_token())
            response = start_import(api, content)
            assert response.status_code == 201, response.text
            job_id = response.json()["id"]
            seen = None
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                seen = api.get(f"/api/v2/jobs/{job_id}").json()
                if seen["status"] != "pending" and seen["summary"]["total"] > 0:
                    break
                time.sleep(0.01)
            first.process.kill()  # SIGKILL: no shutdown code runs
            first.process.wait()
        finally:
            stop(first)
        assert seen is not None and seen["status"] == "processing", seen
        assert 0 < seen["summary"]["total"] < USERS
        second = start(url, tmp_path / "second.log", server.backend, extra_env=extra)
        try:
            again = Api(second, second.admin_token())
            job = wait(again, job_id)
            assert job["status"] == "completed", job
            assert job["summary"] == {"failed": 0, "updated": 0, "inserted": USERS, "total": USERS}
            assert stored_users(second, tag) == (USERS, USERS)
        finally:
            stop(second)


def test_imports_beyond_the_limit_get_429(server: RunningServer, tmp_path: Path) -> None:
    tag = uuid.uuid4().hex[:8]
    content = big_file(tmp_path / "users.json", 20_000, tag)
    extra = {"SELFAUTH_JOBS_DIR": str(tmp_path / "jobs"), "SELFAUTH_MAX_CONCURRENT_JOBS": "1"}
    with fresh_database(server.backend, tmp_path) as url:
        running = start(url, tmp_path / "limit.log", server.backend, extra_env=extra)
        try:
            api = Api(running, running.admin_token())
            first = start_import(api, content)
            assert first.status_code == 201, first.text
            second = start_import(api, b'[{"email": "late@example.com"}]')
            if api.get(f"/api/v2/jobs/{first.json()['id']}").json()["status"] != "completed":
                assert_error(second, 429, "too_many_requests")
            wait(api, first.json()["id"])
            later = start_import(api, b'[{"email": "later@example.com"}]')
            assert later.status_code == 201, later.text
            assert wait(api, later.json()["id"])["status"] == "completed"
        finally:
            stop(running)
