"""The dashboard's administrators and sign-ins on every database: a grant is made once (even
raced), revoked, and goes with its user; a sign-in opens only with its token, ends at logout,
after its lifetime, or when idle, and is swept as later ones start. The clock is moved by hand;
tests/browser/test_dashboard_signin.py drives the same through the server."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

from selfauth.domain.admins.service import AdministratorService
from selfauth.domain.admins.sessions import AdminSessionService
from selfauth.domain.clients.secrets import SecretHasher
from selfauth.storage.admin_sessions import SqlAdminSessionRepository
from selfauth.storage.administrators import SqlAdministratorRepository
from selfauth.storage.database import Database
from selfauth.storage.users import SqlUserRepository
from tests.support.storage import default_connection_id, now, stored_user


class Clock:
    def __init__(self) -> None:
        self.at = now()

    def __call__(self) -> datetime:
        return self.at


def sessions(database: Database, clock: Clock) -> AdminSessionService:
    return AdminSessionService(
        SqlAdminSessionRepository(database),
        SecretHasher(b"k" * 32),
        clock,
        lifetime=timedelta(hours=8),
        idle=timedelta(minutes=30),
    )


async def test_a_grant_is_made_once_even_raced_and_revoked(database: Database) -> None:
    user = await stored_user(database, await default_connection_id(database))
    admins = AdministratorService(SqlAdministratorRepository(database), now)
    assert not await admins.is_admin(user.user_id)
    first, second = await asyncio.gather(
        admins.grant(user.user_id, "test"), admins.grant(user.user_id, "test")
    )
    assert sorted([first, second]) == [False, True]
    assert await admins.is_admin(user.user_id)
    assert user.user_id in [a.user_id for a in await admins.list()]
    assert await admins.revoke(user.user_id)
    assert not await admins.revoke(user.user_id)
    assert not await admins.is_admin(user.user_id)


async def test_the_role_and_the_sign_ins_go_with_the_user(database: Database) -> None:
    user = await stored_user(database, await default_connection_id(database))
    admins = AdministratorService(SqlAdministratorRepository(database), now)
    await admins.grant(user.user_id, "test")
    signins = sessions(database, Clock())
    token = await signins.start(user.user_id)
    await SqlUserRepository(database).delete(user.user_id)
    assert not await admins.is_admin(user.user_id)
    assert await signins.resume(token) is None


async def test_a_sign_in_opens_only_with_its_token_and_ends_at_logout(database: Database) -> None:
    user = await stored_user(database, await default_connection_id(database))
    signins = sessions(database, Clock())
    token = await signins.start(user.user_id)
    found = await signins.resume(token)
    assert found is not None and found.user_id == user.user_id
    assert await signins.resume(token + "x") is None
    assert signins.csrf_matches(token, signins.csrf_token(token))
    assert not signins.csrf_matches(token, signins.csrf_token(token + "x"))
    assert not signins.csrf_matches(token, "")
    await signins.end(token)
    assert await signins.resume(token) is None


async def test_a_sign_in_ends_when_idle_and_after_its_lifetime(database: Database) -> None:
    user = await stored_user(database, await default_connection_id(database))
    clock = Clock()
    signins = sessions(database, clock)
    idle_one = await signins.start(user.user_id)
    busy_one = await signins.start(user.user_id)
    # Used every 20 minutes, the busy one outlives the idle timeout; the idle one does not.
    for _ in range(3):
        clock.at += timedelta(minutes=20)
        assert await signins.resume(busy_one) is not None
    assert await signins.resume(idle_one) is None
    # However busy, a sign-in ends after its lifetime.
    for _ in range(24):
        clock.at += timedelta(minutes=20)
        if await signins.resume(busy_one) is None:
            break
    assert clock.at - now() <= timedelta(hours=8, minutes=20)
    assert await signins.resume(busy_one) is None


async def test_ended_sign_ins_are_swept_as_new_ones_start(database: Database) -> None:
    user = await stored_user(database, await default_connection_id(database))
    clock = Clock()
    signins = sessions(database, clock)
    repository = SqlAdminSessionRepository(database)
    old = await signins.start(user.user_id)
    old_hash = SecretHasher(b"k" * 32).digest(f"admin-session:{old}")
    assert await repository.find(old_hash) is not None
    clock.at += timedelta(hours=9)
    await signins.start(user.user_id)
    assert await repository.find(old_hash) is None
