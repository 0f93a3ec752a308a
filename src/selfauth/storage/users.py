"""Users in SQL: one row each, metadata and identities as JSON columns."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from selfauth.domain.emails.message import PendingMail
from selfauth.domain.search import Query
from selfauth.domain.users.model import User, inexistent_user
from selfauth.errors import Conflict
from selfauth.storage import search as user_search
from selfauth.storage.database import Database
from selfauth.storage.lookup import KeyLookup
from selfauth.storage.mail_queue import queue_pending_in
from selfauth.storage.tables import users

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


class SqlUserRepository:
    def __init__(self, database: Database) -> None:
        self._db = database

    async def get(self, user_id: str) -> User | None:
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

    async def update(self, user_id: str, change: Callable[[User], User]) -> User:
        """Read-modify-write under a row lock, so concurrent merges never lose a key."""
        try:
            async with self._db.write() as conn:
                found = await _BY_ID.locked(conn, user_id=user_id)
                if found is None:
                    raise inexistent_user()
                current = User(**found)
                updated = change(current)
                changed = {
                    name: getattr(updated, name)
                    for name in _FIELDS
                    if getattr(updated, name) != getattr(current, name)
                }
                if changed:
                    await conn.execute(
                        users.update().where(users.c.user_id == user_id).values(changed)
                    )
                if "user_metadata" in changed or "app_metadata" in changed:
                    await user_search.write_term_changes(conn, current, updated)
                return updated
        except sa.exc.IntegrityError as exc:
            raise user_exists() from exc

    async def delete(self, user_id: str) -> bool:
        async with self._db.write() as conn:
            result = await conn.execute(users.delete().where(users.c.user_id == user_id))
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
        query = users.select().where(users.c.email == email).order_by(users.c.user_id)
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
        query = users.select().order_by(order, tie).offset(offset).limit(limit)
        async with self._db.read() as conn:
            rows = (await conn.execute(query)).all()
            total = None
            if with_total:
                total = (
                    await conn.execute(sa.select(sa.func.count()).select_from(users))
                ).scalar_one()
        return [_user(row) for row in rows], total
