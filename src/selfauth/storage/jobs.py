"""Jobs in SQL: the job row, its import errors, and the batch writes of an import.

A batch's users, its errors and the job's progress commit in one transaction, and only while
the worker still holds the job's lease: a restart resumes after the last committed batch, and
two workers can never both write the same batch.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from selfauth.domain.jobs.import_plan import Existing, Plan
from selfauth.domain.jobs.model import IMPORT, PROCESSING, UNFINISHED, BatchResult, Job
from selfauth.domain.users.model import User
from selfauth.errors import TooManyRequests
from selfauth.storage.database import Conn, Database
from selfauth.storage.search import write_terms_of
from selfauth.storage.tables import job_errors, jobs, users

_USER_FIELDS = [f.name for f in dataclasses.fields(User)]
# Any 64-bit constant: the advisory lock that serialises import-job creation on PostgreSQL.
_CREATE_LOCK = 0x5E1FA07_1B


class LeaseLost(Exception):
    """Another worker took the job over (this one was presumed dead): stop, write nothing."""


def _job(row: sa.Row[Any]) -> Job:
    return Job(**row._mapping)


def _values(job: Job) -> dict[str, Any]:
    return {f.name: getattr(job, f.name) for f in dataclasses.fields(Job)}


class SqlJobRepository:
    def __init__(self, database: Database) -> None:
        self._db = database

    @property
    def database(self) -> Database:
        return self._db

    async def create(self, job: Job, *, max_unfinished_imports: int | None = None) -> None:
        """Insert a job; an import is refused (429) while `max_unfinished_imports` run."""
        async with self._db.write() as conn:
            if max_unfinished_imports is not None:
                if conn.dialect == "postgresql":
                    await conn.execute(sa.select(sa.func.pg_advisory_xact_lock(_CREATE_LOCK)))
                running = (
                    await conn.execute(
                        sa.select(sa.func.count())
                        .select_from(jobs)
                        .where(jobs.c.type == IMPORT, jobs.c.status.in_(UNFINISHED))
                    )
                ).scalar_one()
                if running >= max_unfinished_imports:
                    raise TooManyRequests(
                        f"There are already {running} import jobs running; at most "
                        f"{max_unfinished_imports} may run at once. Try again when one ends."
                    )
            await conn.execute(jobs.insert().values(_values(job)))

    async def get(self, job_id: str) -> Job | None:
        async with self._db.read() as conn:
            row = (await conn.execute(jobs.select().where(jobs.c.id == job_id))).first()
        return None if row is None else _job(row)

    async def claimable(self, now: datetime) -> list[str]:
        """Unfinished jobs nobody holds (new, or their worker's lease ran out), oldest first."""
        query = (
            sa.select(jobs.c.id)
            .where(
                jobs.c.status.in_(UNFINISHED),
                sa.or_(jobs.c.lease_until.is_(None), jobs.c.lease_until < now),
            )
            .order_by(jobs.c.created_at)
        )
        async with self._db.read() as conn:
            return list((await conn.execute(query)).scalars())

    async def claim(self, job_id: str, owner: str, until: datetime, now: datetime) -> Job | None:
        """Take the job's lease if it is free; the job as claimed, or None."""
        statement = (
            jobs.update()
            .where(
                jobs.c.id == job_id,
                jobs.c.status.in_(UNFINISHED),
                sa.or_(
                    jobs.c.lease_until.is_(None),
                    jobs.c.lease_until < now,
                    jobs.c.lease_owner == owner,
                ),
            )
            .values(
                lease_owner=owner,
                lease_until=until,
                status=PROCESSING,
                started_at=sa.func.coalesce(jobs.c.started_at, now),
                updated_at=now,
            )
        )
        async with self._db.write() as conn:
            claimed = (await conn.execute(statement)).rowcount  # type: ignore[attr-defined]
        return await self.get(job_id) if claimed else None

    async def progress(self, job_id: str, owner: str, until: datetime, **values: Any) -> None:
        """Record progress (and renew the lease) of a job that writes no users (exports)."""
        async with self._db.write() as conn:
            await _renew(conn, job_id, owner, until, values)

    async def finish(
        self, job_id: str, owner: str, status: str, now: datetime, **values: Any
    ) -> None:
        values.update(status=status, completed_at=now, updated_at=now)
        async with self._db.write() as conn:
            await _renew(conn, job_id, owner, None, values)

    async def fail_unowned(self, job_id: str, details: str, now: datetime) -> None:
        """Mark failed a job no worker can run (its file is gone)."""
        async with self._db.write() as conn:
            await conn.execute(
                jobs.update()
                .where(jobs.c.id == job_id, jobs.c.status.in_(UNFINISHED))
                .values(status="failed", status_details=details, completed_at=now, updated_at=now)
            )

    async def commit_batch(
        self,
        job: Job,
        owner: str,
        until: datetime,
        lookup: tuple[list[str], list[str], list[str]],
        plan: Callable[[list[Existing]], Plan],
        result: BatchResult,
    ) -> Plan:
        """One batch: read the users it touches, plan, write users, errors and progress."""
        emails, usernames, user_ids = lookup
        async with self._db.write() as conn:
            existing = await _existing(conn, job.connection_id or "", emails, usernames, user_ids)
            decided = plan(existing)
            if decided.inserts:
                await conn.execute(
                    users.insert(),
                    [{name: getattr(u, name) for name in _USER_FIELDS} for u in decided.inserts],
                )
                await write_terms_of(conn, decided.inserts, replace=False)
            for user_id, changes in decided.updates:
                await conn.execute(users.update().where(users.c.user_id == user_id).values(changes))
            await write_terms_of(conn, await _metadata_changed(conn, decided), replace=True)
            errors = result.errors + decided.errors
            if errors:
                await conn.execute(
                    job_errors.insert(),
                    [
                        {
                            "job_id": job.id,
                            "row_index": index,
                            "user": raw,
                            "errors": [e.wire() for e in reasons],
                        }
                        for index, raw, reasons in errors
                    ],
                )
            progress = {
                "rows_done": jobs.c.rows_done + result.rows,
                "progress_done": result.progress_done,
                "inserted": jobs.c.inserted + len(decided.inserts),
                "updated": jobs.c.updated + len(decided.updates),
                "failed": jobs.c.failed + len(errors),
            }
            await _renew(conn, job.id, owner, until, progress)
        return decided

    async def errors(self, job_id: str) -> list[dict[str, Any]]:
        query = (
            sa.select(job_errors.c.user, job_errors.c.errors)
            .where(job_errors.c.job_id == job_id)
            .order_by(job_errors.c.row_index)
        )
        async with self._db.read() as conn:
            rows = (await conn.execute(query)).all()
        return [{"user": row.user, "errors": row.errors} for row in rows]

    async def count_users(self, connection_id: str | None) -> int:
        query = sa.select(sa.func.count()).select_from(users)
        if connection_id is not None:
            query = query.where(users.c.connection_id == connection_id)
        async with self._db.read() as conn:
            return int((await conn.execute(query)).scalar_one())

    async def users_after(
        self, connection_id: str | None, after: str | None, limit: int
    ) -> list[User]:
        """A page of users in `user_id` order, for exports (keyset paging: no OFFSET)."""
        query = users.select().order_by(users.c.user_id).limit(limit)
        if connection_id is not None:
            query = query.where(users.c.connection_id == connection_id)
        if after is not None:
            query = query.where(users.c.user_id > after)
        async with self._db.read() as conn:
            rows = (await conn.execute(query)).all()
        return [User(**row._mapping) for row in rows]

    async def expired(self, before: datetime) -> list[Job]:
        query = jobs.select().where(jobs.c.created_at < before)
        async with self._db.read() as conn:
            return [_job(row) for row in (await conn.execute(query)).all()]

    async def delete(self, job_id: str) -> None:
        async with self._db.write() as conn:
            await conn.execute(jobs.delete().where(jobs.c.id == job_id))


async def _renew(
    conn: Conn, job_id: str, owner: str, until: datetime | None, values: dict[str, Any]
) -> None:
    statement = (
        jobs.update()
        .where(jobs.c.id == job_id, jobs.c.lease_owner == owner)
        .values(lease_until=until, **values)
    )
    if not (await conn.execute(statement)).rowcount:  # type: ignore[attr-defined]
        raise LeaseLost(job_id)


async def _metadata_changed(conn: Conn, decided: Plan) -> list[User]:
    """The updated users whose metadata an upsert replaced, as now stored (SQLite only: their
    search terms are rewritten from the whole of both documents)."""
    ids = [
        user_id
        for user_id, changes in decided.updates
        if "user_metadata" in changes or "app_metadata" in changes
    ]
    if conn.dialect != "sqlite" or not ids:
        return []
    rows = (await conn.execute(users.select().where(users.c.user_id.in_(ids)))).all()
    return [User(**row._mapping) for row in rows]


async def _existing(
    conn: Conn, connection_id: str, emails: list[str], usernames: list[str], user_ids: list[str]
) -> list[Existing]:
    columns = (users.c.user_id, users.c.email, users.c.username, users.c.password_hash)
    found: dict[str, Existing] = {}
    for column, keys, scoped in (
        (users.c.email, emails, True),
        (users.c.username, usernames, True),
        (users.c.user_id, user_ids, False),
    ):
        if not keys:
            continue
        query = sa.select(*columns).where(column.in_(keys))
        if scoped:
            query = query.where(users.c.connection_id == connection_id)
        for row in (await conn.execute(query)).all():
            found[row.user_id] = Existing(row.user_id, row.email, row.username, row.password_hash)
    return list(found.values())
