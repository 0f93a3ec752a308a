"""The listings the dashboard reads, on every database: the job queue's newest jobs
(SqlJobRepository.recent) and the executions journal's filters (status, any of several users,
a Rule's or Action's name among the results, a time range)."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from selfauth.domain.actions.executions import ExecutionFilter
from selfauth.domain.jobs.model import EXPORT
from selfauth.storage.database import Database
from selfauth.storage.executions import SqlExecutionRepository
from selfauth.storage.jobs import SqlJobRepository
from tests.storage.test_jobs import finish_all, new_job
from tests.support.storage import now


async def test_recent_jobs_are_the_newest_first(database: Database) -> None:
    jobs = SqlJobRepository(database)
    start = now() + timedelta(days=365)  # after any other test's job
    made = [
        dataclasses.replace(new_job(None, EXPORT), created_at=start + timedelta(seconds=n))
        for n in range(3)
    ]
    for job in made:
        await jobs.create(job)
    assert [j.id for j in await jobs.recent(2)] == [made[2].id, made[1].id]
    assert (await jobs.recent(3))[2] == made[0]
    for job in made:
        await jobs.delete(job.id)
    await finish_all(jobs)


def record(user_id: str, at: datetime, status: str, *names: str) -> dict[str, Any]:
    stamp = at.isoformat().replace("+00:00", "Z")
    return {
        "id": uuid.uuid4().hex,
        "trigger_id": "post-login",
        "status": status,
        "user_id": user_id,
        "client_id": "some-client",
        "results": [{"action_name": name, "status": "ok", "logs": []} for name in names],
        "created_at": stamp,
        "updated_at": stamp,
    }


async def test_executions_are_filtered_by_status_users_script_and_time(
    database: Database,
) -> None:
    executions = SqlExecutionRepository(database)
    ada, bob = (f"auth0|{uuid.uuid4().hex[:24]}" for _ in range(2))
    start = datetime(2031, 6, 1, tzinfo=UTC)
    first = record(ada, start, "final", "add-claims", "audit")
    second = record(bob, start + timedelta(hours=1), "partial", "audit")
    third = record(ada, start + timedelta(days=1), "final", "add-claims-2")
    await executions.add_many([first, second, third])

    async def ids(**filters: Any) -> list[str]:
        wanted = ExecutionFilter(user_ids=filters.pop("user_ids", [ada, bob]), **filters)
        found = await executions.page(wanted, offset=0, limit=10)
        return [e["id"] for e in found]

    assert await ids() == [third["id"], second["id"], first["id"]]
    assert await ids(user_ids=[bob]) == [second["id"]]
    assert await ids(status="final") == [third["id"], first["id"]]
    # The exact name, wherever it is among the results; not a prefix of another.
    assert await ids(script="audit") == [second["id"], first["id"]]
    assert await ids(script="add-claims") == [first["id"]]
    assert await ids(script="nothing-ran") == []
    day = {"since": start, "until": start + timedelta(days=1)}
    assert await ids(**day) == [second["id"], first["id"]]
    assert await ids(status="final", script="audit", **day) == [first["id"]]
    assert await ids(user_ids=[]) == []
