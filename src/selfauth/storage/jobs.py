"""Jobs in SQL: the job row, its import errors, and the batch writes of an import.

A batch's users, its errors and the job's progress commit in one transaction, and only while
the worker still holds the job's lease: a restart resumes after the last committed batch, and
two workers can never both write the same batch.
"""

from __future__ import annotations

import asyncio
import dataclasses
import operator
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.dialects import sqlite

from selfauth.domain.emails.message import PendingMail
from selfauth.domain.jobs.import_plan import Existing, Plan
from selfauth.domain.jobs.model import (
    IMPORT,
    PROCESSING,
    UNFINISHED,
    BatchResult,
    Job,
    LeaseLost,
)
from selfauth.domain.metadata_history import JOB, Author, KeyChange, key_changes
from selfauth.domain.users.model import User
from selfauth.errors import TooManyRequests
from selfauth.storage import metadata_history as history
from selfauth.storage import search_terms_bulk
from selfauth.storage.database import Conn, Database
from selfauth.storage.mail_queue import queue_pending_in
from selfauth.storage.search import write_terms_of
from selfauth.storage.tables import Json, UTCDateTime, job_errors, jobs, users

# The mails a job sends once ended, made from the ended job.
JobMails = Callable[[Job], Sequence[PendingMail]]

_USER_COLUMNS = tuple(column.name for column in users.columns)
_USER_VALUES = operator.attrgetter(*_USER_COLUMNS)
_JSON = [i for i, c in enumerate(users.columns) if c.type is Json]
_DATETIMES = [i for i, c in enumerate(users.columns) if isinstance(c.type, UTCDateTime)]
_BOOLEANS = [i for i, c in enumerate(users.columns) if isinstance(c.type, sa.Boolean)]
# How SQLAlchemy stores a UTCDateTime on SQLite (naive UTC text); asyncpg takes the datetime.
_SQLITE = sqlite.dialect()
_SQLITE_DATETIME = UTCDateTime().dialect_impl(_SQLITE).bind_processor(_SQLITE)
# Rows per driver call on SQLite, where inserts run on the event loop: each call takes a few
# tens of milliseconds, and the loop serves other requests between them.
_SQLITE_CHUNK_USERS = 1000
_SQLITE_CHUNK_TERMS = 5000
# Any 64-bit constant: the advisory lock that serialises import-job creation on PostgreSQL.
_CREATE_LOCK = 0x5E1FA07_1B


@dataclass
class EncodedUsers:
    """New users as driver rows (users, and their search terms on SQLite), by user_id; built
    off the event loop before the batch's transaction (see `encode_users`)."""

    users: dict[str, tuple[Any, ...]] = field(default_factory=dict)
    terms: dict[str, list[tuple[Any, ...]]] = field(default_factory=dict)
    # Every user's terms in (path, value) order: B-tree inserts in key order touch far fewer
    # pages of the term indexes than the same rows in user order.
    sorted_terms: list[tuple[Any, ...]] = field(default_factory=list)


def encode_users(dialect: str, new: Sequence[User]) -> EncodedUsers:
    """Pure and thread-safe: the driver rows `commit_batch` inserts for these users."""
    encoded = EncodedUsers()
    on_sqlite = dialect == "sqlite"
    times: dict[datetime, Any] = {}  # a batch's users share their timestamps: format once
    for user in new:
        row = list(_USER_VALUES(user))
        for index in _JSON:
            row[index] = orjson.dumps(row[index]).decode()
        if on_sqlite:
            for index in _DATETIMES:
                value = row[index]
                if value is not None:
                    if value not in times:
                        times[value] = _SQLITE_DATETIME(value) if _SQLITE_DATETIME else value
                    row[index] = times[value]
            for index in _BOOLEANS:
                row[index] = int(row[index])
            encoded.terms[user.user_id] = search_terms_bulk.term_rows(user)
        encoded.users[user.user_id] = tuple(row)
    encoded.sorted_terms = sorted(
        (term for rows in encoded.terms.values() for term in rows), key=_term_order
    )
    return encoded


def _term_order(term: tuple[Any, ...]) -> tuple[str, str, float]:
    return term[1], term[2] or "", term[3] or 0.0


def _job(row: sa.Row[Any]) -> Job:
    return Job(**row._mapping)


def _values(job: Job) -> dict[str, Any]:
    return {f.name: getattr(job, f.name) for f in dataclasses.fields(Job)}


class SqlJobRepository:
    def __init__(self, database: Database, *, history: bool = True) -> None:
        """`history`: whether an upsert's metadata changes are recorded."""
        self._db = database
        self._history = history

    def encode(self, new: Sequence[User]) -> EncodedUsers:
        """The driver rows `commit_batch` will insert for `new` (pure; any thread)."""
        return encode_users(self._db.dialect, new)

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

    async def create_with_mails(self, job: Job, mails: Sequence[PendingMail]) -> None:
        """A job whose work is to queue mails (`verification_email`): both in one
        transaction, so the job is never told done without its mail kept."""
        async with self._db.write() as conn:
            await conn.execute(jobs.insert().values(_values(job)))
            await queue_pending_in(conn, mails, job.created_at)

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
        self,
        job_id: str,
        owner: str,
        status: str,
        now: datetime,
        *,
        mails: JobMails | None = None,
        **values: Any,
    ) -> None:
        """Record how the job ended; `mails` (given the ended job) are queued in the same
        transaction (an import's completion mail)."""
        values.update(status=status, completed_at=now, updated_at=now)
        async with self._db.write() as conn:
            await _renew(conn, job_id, owner, None, values)
            if mails is not None:
                row = (await conn.execute(jobs.select().where(jobs.c.id == job_id))).first()
                if row is not None:
                    await queue_pending_in(conn, mails(_job(row)), now)

    async def commit_batch(
        self,
        job: Job,
        owner: str,
        until: datetime,
        lookup: tuple[list[str], list[str], list[str]],
        plan: Callable[[list[Existing]], Plan],
        result: BatchResult,
        encoded: EncodedUsers | None = None,
    ) -> Plan:
        """One batch: read the users it touches, plan, write users, errors and progress.
        `encoded` holds the driver rows of the users the batch may insert (any missing are
        encoded here)."""
        emails, usernames, user_ids = lookup
        async with self._db.write() as conn:
            existing = await _existing(conn, job.connection_id or "", emails, usernames, user_ids)
            decided = plan(existing)
            if decided.inserts:
                await _insert_users(conn, decided.inserts, encoded or EncodedUsers())
            replaced = await _metadata_before(conn, decided) if self._history else {}
            for user_id, changes in decided.updates:
                await conn.execute(users.update().where(users.c.user_id == user_id).values(changes))
                if user_id in replaced:
                    await _record_history(conn, job, user_id, replaced[user_id], changes)
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
        # Linked secondary accounts are no users of their own (account linking): not exported.
        query = sa.select(sa.func.count()).select_from(users).where(users.c.linked_to.is_(None))
        if connection_id is not None:
            query = query.where(users.c.connection_id == connection_id)
        async with self._db.read() as conn:
            return int((await conn.execute(query)).scalar_one())

    async def users_after(
        self, connection_id: str | None, after: str | None, limit: int
    ) -> list[User]:
        """A page of users in `user_id` order, for exports (keyset paging: no OFFSET)."""
        query = (
            users.select().where(users.c.linked_to.is_(None)).order_by(users.c.user_id).limit(limit)
        )
        if connection_id is not None:
            query = query.where(users.c.connection_id == connection_id)
        if after is not None:
            query = query.where(users.c.user_id > after)
        async with self._db.read() as conn:
            rows = (await conn.execute(query)).all()
        return [User(**row._mapping) for row in rows]

    async def recent(self, limit: int) -> list[Job]:
        """The newest jobs first (the dashboard's list; jobs are kept a day)."""
        query = jobs.select().order_by(jobs.c.created_at.desc(), jobs.c.id.desc()).limit(limit)
        async with self._db.read() as conn:
            return [_job(row) for row in (await conn.execute(query)).all()]

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


async def _insert_users(conn: Conn, new: list[User], encoded: EncodedUsers) -> None:
    if any(user.user_id not in encoded.users for user in new):
        encoded = encode_users(conn.dialect, new)
    rows = sorted(encoded.users[user.user_id] for user in new)  # in primary key order
    if conn.dialect != "sqlite":
        await conn.insert_rows(users, rows)
        return
    # SQLite searches metadata through user_search_terms, kept in step in this transaction
    # (as `search.write_terms_of` does for other writers).
    terms = encoded.sorted_terms
    if len(new) != len(encoded.users):  # some rows failed: their users' terms stay out
        inserted = {user.user_id for user in new}
        terms = [term for term in terms if term[0] in inserted]
    for table, chunk, size in (
        (users, rows, _SQLITE_CHUNK_USERS),
        (search_terms_bulk.TABLE, terms, _SQLITE_CHUNK_TERMS),
    ):
        for start in range(0, len(chunk), size):
            await conn.insert_rows(table, chunk[start : start + size])
            await asyncio.sleep(0)  # let the loop serve others between chunks


def _replacing_metadata(decided: Plan) -> list[str]:
    return [
        user_id
        for user_id, changes in decided.updates
        if "user_metadata" in changes or "app_metadata" in changes
    ]


async def _metadata_before(conn: Conn, decided: Plan) -> dict[str, tuple[Any, Any]]:
    """The metadata an upsert is about to replace, by user id (for the history)."""
    ids = _replacing_metadata(decided)
    if not ids:
        return {}
    query = sa.select(users.c.user_id, users.c.user_metadata, users.c.app_metadata).where(
        users.c.user_id.in_(ids)
    )
    rows = (await conn.execute(query)).all()
    return {row.user_id: (row.user_metadata, row.app_metadata) for row in rows}


async def _record_history(
    conn: Conn, job: Job, user_id: str, before: tuple[Any, Any], changes: dict[str, Any]
) -> None:
    """The keys an upsert changed, by the import job."""
    by = Author(JOB, job.id)
    changed: list[KeyChange] = []
    for name, old in zip(("user_metadata", "app_metadata"), before, strict=True):
        changed += key_changes(name, old or {}, changes.get(name, old) or {}, by)
    await history.record(conn, changed, changes["updated_at"], user_id=user_id)


async def _metadata_changed(conn: Conn, decided: Plan) -> list[User]:
    """The updated users whose metadata an upsert replaced, as now stored (SQLite only: their
    search terms are rewritten from the whole of both documents)."""
    ids = _replacing_metadata(decided)
    if conn.dialect != "sqlite" or not ids:
        return []
    rows = (await conn.execute(users.select().where(users.c.user_id.in_(ids)))).all()
    return [User(**row._mapping) for row in rows]


# Users whose column is one of the keys in one parameter (a JSON array on SQLite, an array on
# PostgreSQL): the text never varies with the batch, and each key is an index probe (an IN list
# of a thousand parameters was planned as a full scan on PostgreSQL once the table grew).
# Emails and usernames are unique per connection, user ids overall.
_EXISTING_SQL = {
    ("sqlite", "email"): "SELECT user_id, email, username, password_hash FROM users"
    " WHERE email IN (SELECT value FROM json_each(?)) AND connection_id = ?",
    ("sqlite", "username"): "SELECT user_id, email, username, password_hash FROM users"
    " WHERE username IN (SELECT value FROM json_each(?)) AND connection_id = ?",
    ("sqlite", "user_id"): "SELECT user_id, email, username, password_hash FROM users"
    " WHERE user_id IN (SELECT value FROM json_each(?))",
    ("postgresql", "email"): "SELECT user_id, email, username, password_hash FROM users"
    " WHERE email = ANY($1::text[]) AND connection_id = $2",
    ("postgresql", "username"): "SELECT user_id, email, username, password_hash FROM users"
    " WHERE username = ANY($1::text[]) AND connection_id = $2",
    ("postgresql", "user_id"): "SELECT user_id, email, username, password_hash FROM users"
    " WHERE user_id = ANY($1::text[])",
}


async def _existing(
    conn: Conn, connection_id: str, emails: list[str], usernames: list[str], user_ids: list[str]
) -> list[Existing]:
    found: dict[str, Existing] = {}
    if conn.dialect == "postgresql":
        # A generic plan cached while the table was small (a fresh import target) scans it
        # whole; autovacuum's ANALYZE, which would replace it, may come late or never.
        await conn.execute(sa.text("SET LOCAL plan_cache_mode = force_custom_plan"))
    for column, keys in (("email", emails), ("username", usernames), ("user_id", user_ids)):
        if not keys:
            continue
        values: Any = orjson.dumps(keys).decode() if conn.dialect == "sqlite" else keys
        params = (values,) if column == "user_id" else (values, connection_id)
        rows = await conn.fetch_all(_EXISTING_SQL[(conn.dialect, column)], params)
        for user_id, email, username, password_hash in rows:
            found[user_id] = Existing(user_id, email, username, password_hash)
    return list(found.values())
