"""SqlJobRepository on every database: the cap on unfinished imports (held against racing
creations), the lease a worker holds on a job, and an import batch written whole and only
while its worker still holds the lease. The HTTP tests of jobs (tests/api/test_jobs_*.py) run
on both databases too; these pin the rules a restart or a second worker depends on."""

from __future__ import annotations

import asyncio
import dataclasses
import uuid
from datetime import datetime, timedelta

import pytest

from selfauth.domain.jobs.import_plan import Existing, Plan
from selfauth.domain.jobs.model import EXPORT, IMPORT, BatchResult, Job, LeaseLost, RowError
from selfauth.domain.metadata_history import JOB, Author, HistoryFilter
from selfauth.domain.users.model import User
from selfauth.errors import TooManyRequests
from selfauth.storage.database import Database
from selfauth.storage.jobs import SqlJobRepository
from selfauth.storage.metadata_history import SqlMetadataHistory
from selfauth.storage.users import SqlUserRepository
from tests.support.storage import default_connection_id, new_user, now, stored_user

FAR_FUTURE = datetime(3000, 1, 1).astimezone()


@pytest.fixture
def jobs(database: Database) -> SqlJobRepository:
    return SqlJobRepository(database)


@pytest.fixture
async def connection_id(database: Database) -> str:
    return await default_connection_id(database)


def new_job(connection_id: str | None, kind: str = IMPORT, **fields: object) -> Job:
    moment = now()
    values: dict[str, object] = {
        "id": f"job_{uuid.uuid4().hex[:16]}",
        "type": kind,
        "status": "pending",
        "connection_id": connection_id,
        "created_at": moment,
        "updated_at": moment,
        **fields,
    }
    return Job(**values)  # type: ignore[arg-type]


async def finish_all(jobs: SqlJobRepository) -> None:
    """Ends every unfinished job, so the next test counts from zero."""
    for job_id in await jobs.claimable(FAR_FUTURE):
        claimed = await jobs.claim(job_id, "cleaner", FAR_FUTURE, FAR_FUTURE)
        assert claimed is not None
        await jobs.finish(job_id, "cleaner", "failed", now())


async def test_a_job_round_trips(jobs: SqlJobRepository, connection_id: str) -> None:
    job = new_job(
        connection_id,
        connection_name="Username-Password-Authentication",
        external_id="ext-1",
        upsert=True,
        format="json",
        fields=[{"name": "email"}, {"name": "user_metadata.plan", "export_as": "plan"}],
        file_path="imports/a.json",
        progress_total=1234,
    )
    await jobs.create(job)
    assert await jobs.get(job.id) == job
    assert await jobs.get("job_missing") is None
    await finish_all(jobs)


async def test_imports_beyond_the_cap_are_refused_even_when_created_at_once(
    jobs: SqlJobRepository, connection_id: str
) -> None:
    await finish_all(jobs)
    results = await asyncio.gather(
        *(jobs.create(new_job(connection_id), max_unfinished_imports=2) for _ in range(6)),
        return_exceptions=True,
    )
    assert sum(r is None for r in results) == 2
    assert all(isinstance(r, TooManyRequests) for r in results if r is not None)
    # Without a cap (exports are created without one) nothing is refused.
    await jobs.create(new_job(None, EXPORT))
    await jobs.create(new_job(connection_id))
    await finish_all(jobs)
    await jobs.create(new_job(connection_id), max_unfinished_imports=1)
    await finish_all(jobs)


async def test_a_lease_is_held_by_one_worker_until_it_lapses(
    jobs: SqlJobRepository, connection_id: str
) -> None:
    job = new_job(connection_id)
    await jobs.create(job)
    start = now()
    until = start + timedelta(seconds=30)
    assert job.id in await jobs.claimable(start)
    claimed = await jobs.claim(job.id, "worker-a", until, start)
    assert claimed is not None and claimed.status == "processing"
    assert claimed.started_at == start
    assert job.id not in await jobs.claimable(start)
    assert await jobs.claim(job.id, "worker-b", until, start) is None
    # The holder renews; the other worker takes over once the lease has run out.
    assert await jobs.claim(job.id, "worker-a", until, start + timedelta(seconds=1)) is not None
    later = until + timedelta(seconds=1)
    assert job.id in await jobs.claimable(later)
    taken = await jobs.claim(job.id, "worker-b", later + timedelta(seconds=30), later)
    assert taken is not None and taken.started_at == start
    with pytest.raises(LeaseLost):
        await jobs.progress(job.id, "worker-a", later, progress_done=1)
    with pytest.raises(LeaseLost):
        await jobs.finish(job.id, "worker-a", "completed", later)
    await jobs.progress(job.id, "worker-b", later + timedelta(seconds=60), progress_done=7)
    await jobs.finish(job.id, "worker-b", "completed", later, status_details=None)
    done = await jobs.get(job.id)
    assert done is not None and done.finished
    assert (done.status, done.progress_done, done.completed_at) == ("completed", 7, later)
    assert await jobs.claim(job.id, "worker-b", FAR_FUTURE, later) is None


async def test_racing_claims_give_the_job_to_one_worker(
    jobs: SqlJobRepository, connection_id: str
) -> None:
    job = new_job(connection_id)
    await jobs.create(job)
    moment = now()
    results = await asyncio.gather(
        *(jobs.claim(job.id, f"w{n}", moment + timedelta(seconds=30), moment) for n in range(8))
    )
    winners = [r for r in results if r is not None]
    assert len(winners) == 1
    assert (await jobs.get(job.id)).lease_owner == winners[0].lease_owner  # type: ignore[union-attr]
    await finish_all(jobs)


async def commit(
    jobs: SqlJobRepository,
    job: Job,
    owner: str,
    existing_user: User,
    new: list[User],
) -> tuple[Plan, list[Existing]]:
    seen: list[Existing] = []

    def plan(found: list[Existing]) -> Plan:
        seen.extend(found)
        return Plan(
            inserts=new,
            updates=[
                (existing_user.user_id, {"user_metadata": {"imported": True}, "updated_at": now()})
            ],
            errors=[(3, {"email": "bad"}, [RowError("FORMAT", "not an email", "email")])],
        )

    emails = [u.email for u in [existing_user, *new] if u.email]
    lookup = (emails, [], [])
    result = BatchResult(rows=4, progress_done=400)
    decided = await jobs.commit_batch(
        job, owner, now() + timedelta(seconds=30), lookup, plan, result
    )
    return decided, seen


async def test_a_batch_writes_users_errors_and_progress_together(
    database: Database, jobs: SqlJobRepository, connection_id: str
) -> None:
    users = SqlUserRepository(database)
    existing = await stored_user(database, connection_id, password_hash="old")
    new = [new_user(connection_id) for _ in range(2)]
    job = new_job(connection_id, upsert=True)
    await jobs.create(job)
    claimed = await jobs.claim(job.id, "worker", now() + timedelta(seconds=30), now())
    assert claimed is not None
    _, seen = await commit(jobs, claimed, "worker", existing, new)
    assert seen == [Existing(existing.user_id, existing.email, None, "old")]
    for user in new:
        assert await users.get(user.user_id) == user
    assert (await users.get(existing.user_id)).user_metadata == {"imported": True}  # type: ignore[union-attr]
    (entry,) = await SqlMetadataHistory(database).of_user(existing.user_id, HistoryFilter(), 0, 10)
    assert (entry.key, entry.old, entry.new) == ("imported", None, True)
    assert entry.by == Author(JOB, job.id)
    assert await jobs.errors(job.id) == [
        {
            "user": {"email": "bad"},
            "errors": [{"code": "FORMAT", "message": "not an email", "path": "email"}],
        }
    ]
    stored = await jobs.get(job.id)
    assert stored is not None
    assert (stored.rows_done, stored.progress_done) == (4, 400)
    assert (stored.inserted, stored.updated, stored.failed) == (2, 1, 1)
    await jobs.finish(job.id, "worker", "completed", now())


async def test_a_batch_of_a_worker_that_lost_its_lease_writes_nothing(
    database: Database, jobs: SqlJobRepository, connection_id: str
) -> None:
    users = SqlUserRepository(database)
    existing = await stored_user(database, connection_id)
    new = [new_user(connection_id) for _ in range(2)]
    job = new_job(connection_id, upsert=True)
    await jobs.create(job)
    start = now()
    stale = await jobs.claim(job.id, "stale", start + timedelta(seconds=1), start)
    assert stale is not None
    later = start + timedelta(seconds=5)
    assert await jobs.claim(job.id, "successor", later + timedelta(seconds=30), later)
    with pytest.raises(LeaseLost):
        await commit(jobs, stale, "stale", existing, new)
    for user in new:
        assert await users.get(user.user_id) is None
    assert await users.get(existing.user_id) == existing
    assert await jobs.errors(job.id) == []
    stored = await jobs.get(job.id)
    assert stored is not None and (stored.rows_done, stored.inserted) == (0, 0)
    await jobs.finish(job.id, "successor", "failed", later)


async def test_exports_page_through_users_by_id(database: Database, jobs: SqlJobRepository) -> None:
    from tests.support.storage import stored_connection

    connection = await stored_connection(database)
    made = sorted([(await stored_user(database, connection.id)).user_id for _ in range(5)])
    assert await jobs.count_users(connection.id) == 5
    assert await jobs.count_users(None) >= 5
    first = await jobs.users_after(connection.id, None, 3)
    rest = await jobs.users_after(connection.id, first[-1].user_id, 3)
    assert [u.user_id for u in first + rest] == made


async def test_expired_jobs_are_listed_and_deleted_with_their_errors(
    jobs: SqlJobRepository, connection_id: str
) -> None:
    old = dataclasses.replace(new_job(None, EXPORT), created_at=now() - timedelta(days=2))
    await jobs.create(old)
    expired = await jobs.expired(now() - timedelta(days=1))
    assert old in expired
    await jobs.delete(old.id)
    assert await jobs.get(old.id) is None
    assert old.id not in {j.id for j in await jobs.expired(now())}
    await finish_all(jobs)
