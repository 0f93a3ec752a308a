"""A server killed (SIGKILL) in the middle of a large import, restarted on the same database,
finishes the job: every user exactly once, and a summary that counts each row once. While it
resumes the job, the restarted server also holds the limit on concurrent imports (Auth0
answers 429 beyond it).

Both run in one scenario per backend (a fresh database, two server starts and a multi-batch
import cost seconds); the tests then check what it observed."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest

from tests.support.api import Api, assert_error
from tests.support.jobs import BCRYPT_HASH, start_import, wait
from tests.support.polling import wait_for
from tests.support.server import RunningServer, backends, fresh_database, start, stop

USERS = 20_000
"""Four of the server's 5,000-row batches: the kill lands after the first commits, seconds
before the last would."""


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


@dataclass
class Restart:
    at_kill: dict[str, Any]  # the job as the first server last showed it
    resumed: dict[str, Any]  # the job as the second server finished it
    stored: tuple[int, int]  # (rows, distinct emails) of the file's users afterwards
    refused: httpx.Response  # another import, asked for as the second server started
    status_after_refusal: str  # the resumed job's status right after that request
    later: httpx.Response  # an import asked for once the job had ended
    later_job: dict[str, Any] | None


def scenario(backend: str, directory: Path) -> Restart:
    tag = uuid.uuid4().hex[:8]
    content = big_file(directory / "users.json", USERS, tag)
    extra = {"SELFAUTH_JOBS_DIR": str(directory / "jobs"), "SELFAUTH_MAX_CONCURRENT_JOBS": "1"}
    with fresh_database(backend, directory) as url:
        first = start(url, directory / "first.log", backend, extra_env=extra)
        try:
            api = Api(first, first.admin_token())
            response = start_import(api, content)
            assert response.status_code == 202, response.text
            job_id = response.json()["id"]

            def committed() -> dict[str, Any] | None:
                seen: dict[str, Any] = api.get(f"/api/v2/jobs/{job_id}").json()
                return seen if seen["status"] != "pending" and seen["summary"]["total"] else None

            at_kill = wait_for(committed, "the import's first batch", 120, 0.01)
            first.process.kill()  # SIGKILL: no shutdown code runs
            first.process.wait()
        finally:
            stop(first)
        # The second server takes the job over once the dead one's lease (15 s) has run out.
        second = start(url, directory / "second.log", backend, extra_env=extra)
        try:
            again = Api(second, second.admin_token())
            refused = start_import(again, b'[{"email": "late@example.com"}]')
            status = again.get(f"/api/v2/jobs/{job_id}").json()["status"]
            resumed = wait(again, job_id)
            stored = stored_users(second, tag)
            later = start_import(again, b'[{"email": "later@example.com"}]')
            later_job = wait(again, later.json()["id"]) if later.status_code == 202 else None
        finally:
            stop(second)
    return Restart(at_kill, resumed, stored, refused, status, later, later_job)


@pytest.fixture(scope="module")
def restarts(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Restart]:
    """The scenario on every backend at once: most of it is waiting for a lease to lapse."""
    with ThreadPoolExecutor(max_workers=len(backends())) as pool:
        futures = {
            backend: pool.submit(scenario, backend, tmp_path_factory.mktemp(f"restart-{backend}"))
            for backend in backends()
        }
        return {backend: future.result() for backend, future in futures.items()}


@pytest.fixture(params=backends())
def restart(request: pytest.FixtureRequest, restarts: dict[str, Restart]) -> Restart:
    return restarts[request.param]


def test_a_killed_import_resumes_without_losing_or_duplicating(restart: Restart) -> None:
    assert restart.at_kill["status"] == "processing", restart.at_kill
    assert 0 < restart.at_kill["summary"]["total"] < USERS
    job = restart.resumed
    assert job["status"] == "completed", job
    assert job["summary"] == {"failed": 0, "updated": 0, "inserted": USERS, "total": USERS}
    assert restart.stored == (USERS, USERS)


def test_imports_beyond_the_limit_get_429(restart: Restart) -> None:
    if restart.status_after_refusal != "completed":
        assert_error(restart.refused, 429, "too_many_requests")
    assert restart.later.status_code == 202, restart.later.text
    assert restart.later_job is not None and restart.later_job["status"] == "completed"
