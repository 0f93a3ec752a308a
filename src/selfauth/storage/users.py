"""Users in SQL: one row each, metadata and identities as JSON columns."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from selfauth.domain.emails.message import PendingMail
from selfauth.domain.json_values import same_json
from selfauth.domain.metadata_history import Authors, KeyChange, key_changes
from selfauth.domain.search import Query
from selfauth.domain.users.model import User, inexistent_user
from selfauth.errors import Conflict
from selfauth.storage import metadata_history as history
from selfauth.storage import search as user_search
from selfauth.storage.database import Conn, Database
from selfauth.storage.keyed_locks import KeyedLocks
from selfauth.storage.lookup import KeyLookup
from selfauth.storage.mail_queue import queue_pending_in
from selfauth.storage.tables import users
from selfauth.storage.write_batches import Pending, WriteBatches

log = logging.getLogger(__name__)

USER_EXISTS = "The user already exists."
_FIELDS = [f.name for f in dataclasses.fields(User)]
_BY_ID = KeyLookup(users, "user_id")
_BY_EMAIL_IN = KeyLookup(users, "connection_id", "email")
_BY_USERNAME_IN = KeyLookup(users, "connection_id", "username")


def _user(row: sa.Row[Any]) -> User:
    return User(**row._mapping)


def _values(user: User) -> dict[str, Any]:
    return {name: getattr(user, name) for name in _FIELDS}


def user_exists() -> Conflict:
    return Conflict(USER_EXISTS, error_code="auth0_idp_error")


async def _write_changes(conn: Conn, current: User, updated: User) -> None:
    """The columns `updated` changed, and (SQLite) the search terms of changed metadata."""
    changed = {
        name: getattr(updated, name)
        for name in _FIELDS
        if not same_json(getattr(updated, name), getattr(current, name))
    }
    if changed:
        await conn.execute(users.update().where(users.c.user_id == current.user_id).values(changed))
    if "user_metadata" in changed or "app_metadata" in changed:
        await user_search.write_term_changes(conn, current, updated)


def metadata_changes(current: User, updated: User, by: Authors) -> list[KeyChange]:
    """Each root key of the two metadata objects that changed, with its author."""
    return [
        *key_changes("user_metadata", current.user_metadata, updated.user_metadata, by),
        *key_changes("app_metadata", current.app_metadata, updated.app_metadata, by),
    ]


_Change = tuple[Callable[[User], User], Authors]


class SqlUserRepository:
    def __init__(self, database: Database, *, history: bool = True) -> None:
        """`history`: whether metadata changes are recorded (SELFAUTH_METADATA_HISTORY)."""
        self._db = database
        self._history = history
        self._rows = KeyedLocks()  # this process's writers of one user queue here
        self._batches: WriteBatches[_Change, User] = WriteBatches(self._apply)

    async def get(self, user_id: str) -> User | None:
        """A user of their own: a linked secondary account is no user (account linking)."""
        found = await _BY_ID.one(self._db, user_id=user_id)
        return None if found is None or found["linked_to"] is not None else User(**found)

    async def get_any(self, user_id: str) -> User | None:
        """The row, whether a user of their own or a linked secondary (sign-in resolves it)."""
        found = await _BY_ID.one(self._db, user_id=user_id)
        return None if found is None else User(**found)

    async def insert(self, user: User, mails: Sequence[PendingMail] = ()) -> None:
        """The user, and the mails their creation sends (with their links' tickets), in one
        transaction: no user without their verification mail, no mail for a user not kept."""
        try:
            async with self._db.write() as conn:
                await conn.execute(users.insert().values(_values(user)))
                await user_search.write_terms(conn, user, replace=False)
                await queue_pending_in(conn, mails, user.created_at)
        except sa.exc.IntegrityError as exc:
            raise user_exists() from exc

    async def update(self, user_id: str, change: Callable[[User], User], by: Authors) -> User:
        """Read-modify-write under a row lock, so concurrent merges never lose a key. `by`:
        who makes the change, for the metadata history. Changes of one user that arrive
        while another is written are applied together, in turn, in one transaction
        (storage/write_batches.py)."""
        return await self._batches.submit(user_id, (change, by))

    async def _apply(self, user_id: str, batch: list[Pending[_Change, User]]) -> None:
        """One transaction for the batch; when the batch's combined write is refused (a
        unique email or username taken by one of its changes), each change alone. No change
        is answered before its transaction commits: a change refused in a batch that then
        failed is tried again alone, on the row as it really is."""
        try:
            outcomes = await self._apply_together(user_id, batch)
        except sa.exc.IntegrityError:
            if len(batch) == 1:
                batch[0].failed(user_exists())
                return
            log.debug("a batch of %d changes of one user refused, applied one by one", len(batch))
            outcomes = []
            for pending in batch:
                try:
                    outcomes += await self._apply_together(user_id, [pending])
                except sa.exc.IntegrityError:
                    outcomes.append((pending, user_exists()))
        for pending, outcome in outcomes:
            if isinstance(outcome, User):
                pending.done(outcome)
            else:
                pending.failed(outcome)

    async def _apply_together(
        self, user_id: str, batch: list[Pending[_Change, User]]
    ) -> list[tuple[Pending[_Change, User], User | Exception]]:
        """Each change's outcome (the user after it, or why it was refused), once committed."""
        outcomes: list[tuple[Pending[_Change, User], User | Exception]] = []
        async with self._rows.held(user_id), self._db.write() as conn:
            found = await _BY_ID.locked(conn, user_id=user_id)
            if found is None:
                return [(pending, inexistent_user()) for pending in batch]
            first = current = User(**found)
            for pending in batch:
                change, by = pending.change
                try:
                    updated = change(current)
                except Exception as error:  # refused (a 412, a 400): the others still apply
                    outcomes.append((pending, error))
                    continue
                await self._record(conn, current, updated, by)
                outcomes.append((pending, updated))
                current = updated
            await _write_changes(conn, first, current)
        return outcomes

    async def _record(self, conn: Conn, current: User, updated: User, by: Authors) -> None:
        """The metadata keys one change made, in the metadata history (when it is on)."""
        if self._history:
            changes = metadata_changes(current, updated, by)
            await history.record(conn, changes, updated.updated_at, user_id=current.user_id)

    async def update_pair(
        self,
        first_id: str,
        second_id: str,
        change: Callable[[User | None, User | None], tuple[User, User]],
        by: Authors,
    ) -> tuple[User, User]:
        """Read-modify-write of two users (linked or not) under both row locks, in one
        transaction: account linking changes the primary's identities and the secondary's
        `linked_to` together. The rows are locked in user_id order, so two such changes of the
        same pair never wait on each other in a cycle. `change` gets None for a row that is not
        there, and raises to refuse."""
        try:
            async with self._rows.held(first_id, second_id), self._db.write() as conn:
                found: dict[str, User | None] = {}
                for user_id in sorted({first_id, second_id}):
                    row = await _BY_ID.locked(conn, user_id=user_id)
                    found[user_id] = None if row is None else User(**row)
                before = (found[first_id], found[second_id])
                after = change(*before)
                for old, new in zip(before, after, strict=True):
                    assert old is not None, "change refuses a missing user"
                    await _write_changes(conn, old, new)
                    await self._record(conn, old, new, by)
                return after
        except sa.exc.IntegrityError as exc:
            raise user_exists() from exc

    async def delete(
        self, user_id: str, check: Callable[[User | None], None] | None = None
    ) -> bool:
        """A user and (by the foreign key's cascade) their linked secondary accounts. A linked
        secondary is no user of its own: deleting it by its id deletes nothing. `check` sees
        the row locked first (None: not there) and raises to keep it."""
        statement = users.delete().where(users.c.user_id == user_id, users.c.linked_to.is_(None))
        if check is None:
            async with self._db.write() as conn:
                result = await conn.execute(statement)
            return bool(result.rowcount)  # type: ignore[attr-defined]
        async with self._rows.held(user_id), self._db.write() as conn:
            found = await _BY_ID.locked(conn, user_id=user_id)
            check(None if found is None or found["linked_to"] is not None else User(**found))
            result = await conn.execute(statement)
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def find_login(self, connection_id: str, identifier: str) -> User | None:
        """The user of a database connection who signs in with this email or username."""
        lowered = identifier.lower()
        found = await _BY_EMAIL_IN.one(self._db, connection_id=connection_id, email=lowered)
        if found is None:
            found = await _BY_USERNAME_IN.one(
                self._db, connection_id=connection_id, username=lowered
            )
        return None if found is None else User(**found)

    async def record_login(self, user_id: str, ip: str, now: datetime) -> User | None:
        """Count a successful login in one statement, so concurrent logins all count."""
        statement = (
            users.update()
            .where(users.c.user_id == user_id)
            .values(
                logins_count=users.c.logins_count + 1, last_login=now, last_ip=ip, updated_at=now
            )
            .returning(*users.columns)
        )
        async with self._db.write() as conn:
            row = (await conn.execute(statement)).first()
        return None if row is None else _user(row)

    async def replace_password_hash(self, user_id: str, old: str, new: str) -> None:
        """Swap an imported hash for bcrypt, unless the password changed meanwhile."""
        statement = (
            users.update()
            .where(users.c.user_id == user_id, users.c.password_hash == old)
            .values(password_hash=new)
        )
        async with self._db.write() as conn:
            await conn.execute(statement)

    async def by_email(self, email: str) -> list[User]:
        """Users of their own with this email (linked secondary accounts are not)."""
        query = (
            users.select()
            .where(users.c.email == email, users.c.linked_to.is_(None))
            .order_by(users.c.user_id)
        )
        async with self._db.read() as conn:
            rows = (await conn.execute(query)).all()
        return [_user(row) for row in rows]

    async def search(
        self,
        query: Query,
        *,
        offset: int,
        limit: int,
        sort: str,
        descending: bool,
        count_up_to: int | None,
    ) -> tuple[list[User], int | None]:
        """Users matching `query` (domain/search), a page at a time; see storage/search.py."""
        return await user_search.page(
            self._db,
            query,
            offset=offset,
            limit=limit,
            sort=sort,
            descending=descending,
            count_up_to=count_up_to,
        )

    async def walk(self, query: Query, *, after: tuple[Any, str] | None, take: int) -> list[User]:
        """Matches in a stable order from a checkpoint (`from`/`take` paging)."""
        return await user_search.walk(self._db, query, after=after, take=take)

    async def page(
        self, *, offset: int, limit: int, sort: str, descending: bool, with_total: bool
    ) -> tuple[list[User], int | None]:
        column = users.c[sort]
        order = column.desc() if descending else column.asc()
        tie = users.c.user_id.desc() if descending else users.c.user_id.asc()
        own = users.c.linked_to.is_(None)
        query = users.select().where(own).order_by(order, tie).offset(offset).limit(limit)
        async with self._db.read() as conn:
            rows = (await conn.execute(query)).all()
            total = await _total(conn) if with_total else None
        return [_user(row) for row in rows], total


# `include_totals` on the plain list (no `q`). Counting a million rows exactly takes
# PostgreSQL ~0.4 s (a scan of the table: `linked_to` is in no index it could count instead),
# so past this many users its `total` is the planner's estimate of the table's rows (as
# PostgreSQL's own row estimates are made: the last VACUUM/ANALYZE's rows per page times the
# table's pages now, so it follows growth), less the linked secondaries. Below it, and on
# SQLite at any size, the total is exact.
EXACT_TOTAL_UP_TO = 10_000
_LINKED = sa.select(sa.func.count()).select_from(users).where(users.c.linked_to.is_not(None))
_ESTIMATE = sa.text(
    "SELECT c.reltuples / c.relpages"
    " * (pg_relation_size(c.oid) / current_setting('block_size')::int)"
    " FROM pg_class c WHERE c.oid = CAST(:name AS regclass) AND c.relpages > 0"
    " AND c.reltuples >= 0"
).bindparams(name=users.name)


async def _total(conn: Conn) -> int:
    """The users of their own (linked secondaries are none): see EXACT_TOTAL_UP_TO."""
    linked = (await conn.execute(_LINKED)).scalar_one()
    if conn.dialect == "sqlite":
        # A count(*) without WHERE counts the entries of the smallest index page by page: 19 ms
        # at a million users, against 480 ms testing `linked_to IS NULL` on each row. The
        # linked ones are counted through their partial index.
        everyone = (await conn.execute(sa.select(sa.func.count()).select_from(users))).scalar_one()
        return int(everyone - linked)
    some = sa.select(sa.literal(1)).select_from(users).where(users.c.linked_to.is_(None))
    capped = sa.select(sa.func.count()).select_from(some.limit(EXACT_TOTAL_UP_TO).subquery())
    exact = int((await conn.execute(capped)).scalar_one())
    if exact < EXACT_TOTAL_UP_TO:
        return exact
    estimate = (await conn.execute(_ESTIMATE)).scalar_one_or_none()
    if estimate is None:  # never vacuumed nor analyzed: no statistics to estimate from
        everyone = (await conn.execute(sa.select(sa.func.count()).select_from(users))).scalar_one()
        return int(everyone - linked)
    return max(EXACT_TOTAL_UP_TO, round(float(estimate)) - int(linked))
