"""Refresh tokens and brute-force counters: short-lived protocol state, in the database so
every worker shares it."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from selfauth.domain.emails.message import MailsIfNeeded
from selfauth.domain.logins import (
    Attempt,
    AuthorizationCode,
    LoginBlock,
    LoginSession,
    RefreshToken,
)
from selfauth.storage._locks import serialize
from selfauth.storage._rows import from_row, to_values
from selfauth.storage.database import Conn, Database
from selfauth.storage.lookup import KeyLookup
from selfauth.storage.mail_queue import queue_pending_in
from selfauth.storage.tables import (
    authorization_codes,
    connections,
    login_failures,
    login_sessions,
    refresh_tokens,
    users,
)

_BY_HASH = KeyLookup(refresh_tokens, "token_hash")
_COUNTER = KeyLookup(login_failures, "user_id", "ip")
_PENDING_LAPSE = timedelta(seconds=60)


class SqlRefreshTokenRepository:
    def __init__(self, database: Database) -> None:
        self._db = database

    async def add(self, token: RefreshToken) -> None:
        async with self._db.write() as conn:
            await conn.execute(refresh_tokens.insert().values(to_values(token, refresh_tokens)))

    async def by_hash(self, token_hash: str) -> RefreshToken | None:
        found = await _BY_HASH.one(self._db, token_hash=token_hash)
        return None if found is None else RefreshToken(**found)

    async def rotate(self, old: RefreshToken, new: RefreshToken, now: datetime) -> bool:
        """Mark `old` used and store `new`, unless another request rotated `old` first."""
        async with self._db.write() as conn:
            await serialize(conn, _family_lock(old.family_id))
            result = await conn.execute(
                refresh_tokens.update()
                .where(
                    refresh_tokens.c.id == old.id,
                    refresh_tokens.c.rotated_at.is_(None),
                    refresh_tokens.c.revoked_at.is_(None),
                )
                .values(rotated_at=now)
            )
            if not result.rowcount:  # type: ignore[attr-defined]
                return False
            await conn.execute(refresh_tokens.insert().values(to_values(new, refresh_tokens)))
        return True

    async def live_of_user(self, user_id: str, now: datetime) -> list[RefreshToken]:
        """The user's usable refresh tokens, newest first: one per family (its latest
        rotation), neither revoked nor expired. For an administrator's view of one user."""
        query = (
            refresh_tokens.select()
            .where(
                refresh_tokens.c.user_id == user_id,
                refresh_tokens.c.rotated_at.is_(None),
                refresh_tokens.c.revoked_at.is_(None),
                refresh_tokens.c.expires_at > now,
            )
            .order_by(refresh_tokens.c.created_at.desc(), refresh_tokens.c.id)
        )
        async with self._db.read() as conn:
            rows = (await conn.execute(query)).all()
        return [from_row(RefreshToken, row) for row in rows]

    async def revoke_family(self, family_id: str, now: datetime) -> None:
        async with self._db.write() as conn:
            # A rotation and a revocation of one family take turns: under READ COMMITTED the
            # revoking UPDATE would miss a successor a rotation inserts while it waits.
            await serialize(conn, _family_lock(family_id))
            await conn.execute(
                refresh_tokens.update()
                .where(
                    refresh_tokens.c.family_id == family_id, refresh_tokens.c.revoked_at.is_(None)
                )
                .values(revoked_at=now)
            )


def _family_lock(family_id: str) -> str:
    return f"refresh-family:{family_id}"


def _upsert(dialect: str) -> Any:
    return sqlite_insert if dialect == "sqlite" else pg_insert


class SqlLoginFailureRepository:
    """Counters that concurrent requests and workers update atomically (one upsert each)."""

    def __init__(self, database: Database) -> None:
        self._db = database

    async def attempt(self, user_id: str, ip: str, limit: int, now: datetime) -> Attempt:
        """Take one of the `limit` slots before the password is checked.

        Failures so far plus checks under way never exceed `limit`, so a burst of parallel
        guesses gets no more password checks than the same guesses made one after another.
        A slot left by a process that died mid-check lapses after `_PENDING_LAPSE`.
        """
        async with self._db.write() as conn:
            row = await self._locked_row(conn, user_id, ip, now)
            if row["blocked_at"] is not None:
                return Attempt.BLOCKED
            pending = row["pending"] if row["updated_at"] > now - _PENDING_LAPSE else 0
            if row["failures"] + pending >= limit:
                return Attempt.BUSY
            await conn.execute(
                login_failures.update()
                .where(login_failures.c.user_id == user_id, login_failures.c.ip == ip)
                .values(pending=pending + 1, updated_at=now)
            )
        return Attempt.GRANTED

    async def settle(
        self,
        user_id: str,
        ip: str,
        *,
        succeeded: bool,
        limit: int,
        now: datetime,
        mails_if_blocked: MailsIfNeeded | None = None,
    ) -> bool:
        """Give the slot back: a success clears the failures, a failure counts one more and
        blocks the address when it reaches `limit`. The block's mails (`blocked_account`)
        are queued in the same transaction; True when this call blocked the address."""
        async with self._db.write() as conn:
            # attempt() made the row; an administrator's unblock may have deleted it since.
            row = await _COUNTER.locked(conn, user_id=user_id, ip=ip)
            if row is None:
                return False
            failures = 0 if succeeded else row["failures"] + 1
            newly = row["blocked_at"] is None and failures >= limit
            blocked = row["blocked_at"] or (now if newly else None)
            await conn.execute(
                login_failures.update()
                .where(login_failures.c.user_id == user_id, login_failures.c.ip == ip)
                .values(
                    failures=failures,
                    pending=max(0, row["pending"] - 1),
                    blocked_at=blocked,
                    updated_at=now,
                )
            )
            if newly and mails_if_blocked is not None:
                await queue_pending_in(conn, await mails_if_blocked(), now)
        return newly

    async def _locked_row(self, conn: Conn, user_id: str, ip: str, now: datetime) -> dict[str, Any]:
        insert = _upsert(self._db.dialect)(login_failures).values(
            user_id=user_id, ip=ip, failures=0, pending=0, blocked_at=None, updated_at=now
        )
        await conn.execute(insert.on_conflict_do_nothing(index_elements=["user_id", "ip"]))
        row = await _COUNTER.locked(conn, user_id=user_id, ip=ip)
        assert row is not None
        return row

    async def blocks(self, user_ids: list[str]) -> list[LoginBlock]:
        query = (
            sa.select(
                login_failures,
                users.c.email,
                users.c.username,
                connections.c.name.label("connection"),
            )
            .join(users, users.c.user_id == login_failures.c.user_id)
            .join(connections, connections.c.id == users.c.connection_id)
            .where(login_failures.c.user_id.in_(user_ids), login_failures.c.blocked_at.is_not(None))
            .order_by(login_failures.c.blocked_at)
        )
        async with self._db.read() as conn:
            rows = (await conn.execute(query)).all()
        return [from_row(LoginBlock, row) for row in rows]

    async def user_ids_for(self, identifier: str) -> list[str]:
        """Users who sign in with this email, username or phone number."""
        query = sa.select(users.c.user_id).where(
            sa.or_(
                users.c.email == identifier.lower(),
                users.c.username == identifier.lower(),
                users.c.phone_number == identifier,
            )
        )
        async with self._db.read() as conn:
            return list((await conn.execute(query)).scalars().all())

    async def unblock(self, user_ids: list[str]) -> None:
        async with self._db.write() as conn:
            await conn.execute(
                login_failures.delete().where(login_failures.c.user_id.in_(user_ids))
            )


_CODE = KeyLookup(authorization_codes, "code_hash")
_SESSION = KeyLookup(login_sessions, "token_hash")


class SqlCodeRepository:
    def __init__(self, database: Database) -> None:
        self._db = database

    async def add(self, code: AuthorizationCode) -> None:
        async with self._db.write() as conn:
            await conn.execute(
                authorization_codes.insert().values(to_values(code, authorization_codes))
            )

    async def by_hash(self, code_hash: str) -> AuthorizationCode | None:
        found = await _CODE.one(self._db, code_hash=code_hash)
        return None if found is None else AuthorizationCode(**found)

    async def redeem(self, code_hash: str, now: datetime) -> bool:
        """Mark the code used; False when it was used already or has expired (single use,
        even against two exchanges racing)."""
        async with self._db.write() as conn:
            result = await conn.execute(
                authorization_codes.update()
                .where(
                    authorization_codes.c.code_hash == code_hash,
                    authorization_codes.c.used_at.is_(None),
                    authorization_codes.c.expires_at > now,
                )
                .values(used_at=now)
            )
        return bool(result.rowcount)  # type: ignore[attr-defined]


class SqlSessionRepository:
    def __init__(self, database: Database) -> None:
        self._db = database

    async def add(self, session: LoginSession) -> None:
        async with self._db.write() as conn:
            await conn.execute(login_sessions.insert().values(to_values(session, login_sessions)))

    async def by_hash(self, token_hash: str) -> LoginSession | None:
        found = await _SESSION.one(self._db, token_hash=token_hash)
        return None if found is None else LoginSession(**found)

    async def live_of_user(self, user_id: str, now: datetime) -> list[LoginSession]:
        """The user's sign-in sessions neither ended nor expired, newest first."""
        query = (
            login_sessions.select()
            .where(
                login_sessions.c.user_id == user_id,
                login_sessions.c.revoked_at.is_(None),
                login_sessions.c.expires_at > now,
            )
            .order_by(login_sessions.c.created_at.desc(), login_sessions.c.id)
        )
        async with self._db.read() as conn:
            rows = (await conn.execute(query)).all()
        return [from_row(LoginSession, row) for row in rows]

    async def revoke(self, session_id: str, now: datetime) -> None:
        async with self._db.write() as conn:
            await conn.execute(
                login_sessions.update()
                .where(login_sessions.c.id == session_id, login_sessions.c.revoked_at.is_(None))
                .values(revoked_at=now)
            )


async def end_sessions_in(conn: Conn, user_id: str, now: datetime) -> None:
    """End every browser session of the user (a password reset), in the caller's transaction."""
    await conn.execute(
        login_sessions.update()
        .where(login_sessions.c.user_id == user_id, login_sessions.c.revoked_at.is_(None))
        .values(revoked_at=now)
    )


async def revoke_refresh_tokens_in(conn: Conn, user_id: str, now: datetime) -> None:
    """Revoke every refresh token of the user, in the caller's transaction. Each family is
    locked first, as `revoke_family` does, so a rotation racing this cannot slip a live
    successor past it."""
    families = (
        await conn.execute(
            sa.select(refresh_tokens.c.family_id)
            .where(refresh_tokens.c.user_id == user_id, refresh_tokens.c.revoked_at.is_(None))
            .distinct()
        )
    ).all()
    for (family_id,) in sorted(families):  # one order everywhere: no deadlock between two
        await serialize(conn, _family_lock(family_id))
    await conn.execute(
        refresh_tokens.update()
        .where(refresh_tokens.c.user_id == user_id, refresh_tokens.c.revoked_at.is_(None))
        .values(revoked_at=now)
    )
