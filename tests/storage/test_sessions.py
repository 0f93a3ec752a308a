"""Short-lived protocol state on every database: refresh tokens (rotation that only one of many
racing requests wins, revocation of a family), authorization codes (single use, even raced;
expiry) and login sessions. These are the rows behind tests/api/test_refresh_and_userinfo.py and
tests/api/test_authorize.py."""

from __future__ import annotations

import asyncio
import dataclasses
import secrets
import uuid
from datetime import timedelta

import asyncpg
import pytest

from selfauth.domain.logins import AuthorizationCode, LoginSession, RefreshToken
from selfauth.domain.users.model import User
from selfauth.storage.database import Database
from selfauth.storage.sessions import (
    SqlCodeRepository,
    SqlRefreshTokenRepository,
    SqlSessionRepository,
)
from selfauth.storage.users import SqlUserRepository
from tests.support.storage import default_connection_id, now, stored_client, stored_user


@pytest.fixture
async def user(database: Database) -> User:
    return await stored_user(database, await default_connection_id(database))


@pytest.fixture
async def client_id(database: Database) -> str:
    return (await stored_client(database)).client_id


def refresh_token(client_id: str, user: User, family_id: str | None = None) -> RefreshToken:
    moment = now()
    return RefreshToken(
        id=uuid.uuid4().hex,
        token_hash=secrets.token_hex(32),
        family_id=family_id or uuid.uuid4().hex,
        client_id=client_id,
        user_id=user.user_id,
        audience="https://api.example.com/",
        scope=["openid", "offline_access"],
        auth_time=int(moment.timestamp()),
        created_at=moment,
        expires_at=moment + timedelta(days=30),
    )


def code(client_id: str, user: User, expires_in: float = 60) -> AuthorizationCode:
    moment = now()
    return AuthorizationCode(
        code_hash=secrets.token_hex(32),
        client_id=client_id,
        user_id=user.user_id,
        redirect_uri="https://app.example.com/callback",
        scope=["openid", "profile"],
        audience=None,
        nonce="n-0S6_WzA2Mj",
        code_challenge="E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
        code_challenge_method="S256",
        auth_time=int(moment.timestamp()),
        family_id=uuid.uuid4().hex,
        created_at=moment,
        expires_at=moment + timedelta(seconds=expires_in),
        hook_result={"claims": {"https://example.com/role": "admin"}, "scopes": []},
    )


# --- refresh tokens -----------------------------------------------------------------------------


async def test_a_refresh_token_is_found_by_its_hash(
    database: Database, client_id: str, user: User
) -> None:
    tokens = SqlRefreshTokenRepository(database)
    token = refresh_token(client_id, user)
    await tokens.add(token)
    assert await tokens.by_hash(token.token_hash) == token
    assert await tokens.by_hash(secrets.token_hex(32)) is None


async def test_rotation_marks_the_old_token_and_stores_the_new_one(
    database: Database, client_id: str, user: User
) -> None:
    tokens = SqlRefreshTokenRepository(database)
    old = refresh_token(client_id, user)
    new = refresh_token(client_id, user, old.family_id)
    await tokens.add(old)
    moment = now()
    assert await tokens.rotate(old, new, moment) is True
    assert await tokens.by_hash(old.token_hash) == dataclasses.replace(old, rotated_at=moment)
    assert await tokens.by_hash(new.token_hash) == new
    # A rotated token rotates no more.
    again = refresh_token(client_id, user, old.family_id)
    assert await tokens.rotate(old, again, now()) is False
    assert await tokens.by_hash(again.token_hash) is None


async def test_of_many_racing_rotations_exactly_one_wins(
    database: Database, client_id: str, user: User
) -> None:
    """Twenty requests present one token at once: one new token is stored, the others are told
    they lost (the row lock on PostgreSQL, the writer lock on SQLite)."""
    tokens = SqlRefreshTokenRepository(database)
    old = refresh_token(client_id, user)
    await tokens.add(old)
    successors = [refresh_token(client_id, user, old.family_id) for _ in range(20)]
    results = await asyncio.gather(*(tokens.rotate(old, new, now()) for new in successors))
    assert results.count(True) == 1
    stored = [await tokens.by_hash(new.token_hash) for new in successors]
    assert [t is not None for t in stored] == results


async def test_a_revocation_waits_for_a_rotation_under_way(
    database: Database, database_url: str, client_id: str, user: User
) -> None:
    """PostgreSQL: a revocation that starts while a rotation holds the old token (here held
    open by a trigger on this family's insert) still ends the rotation's new token. Under READ
    COMMITTED the revoking UPDATE alone would miss a row committed while it waited."""
    if database.dialect != "postgresql":
        pytest.skip("SQLite runs one writer at a time")
    tokens = SqlRefreshTokenRepository(database)
    old = refresh_token(client_id, user)
    await tokens.add(old)
    name = f"slow_rotation_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(database_url.replace("+asyncpg", ""))
    try:
        await admin.execute(
            f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN PERFORM pg_sleep(1); RETURN NEW; END $$; "
            f"CREATE TRIGGER {name} BEFORE INSERT ON refresh_tokens FOR EACH ROW "
            f"WHEN (NEW.family_id = '{old.family_id}') EXECUTE FUNCTION {name}()"
        )
        new = refresh_token(client_id, user, old.family_id)
        rotation = asyncio.create_task(tokens.rotate(old, new, now()))
        deadline = asyncio.get_running_loop().time() + 10
        while not await admin.fetchval(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND state = 'active' "
            "AND wait_event = 'PgSleep'"
        ):
            assert asyncio.get_running_loop().time() < deadline, "the rotation never started"
            await asyncio.sleep(0.01)
        await tokens.revoke_family(old.family_id, now())
        assert await rotation is True
        stored = await tokens.by_hash(new.token_hash)
        assert stored is not None and stored.revoked_at is not None
    finally:
        await admin.execute(
            f"DROP TRIGGER IF EXISTS {name} ON refresh_tokens; DROP FUNCTION IF EXISTS {name}()"
        )
        await admin.close()


async def test_revoking_a_family_ends_every_token_of_it_and_no_other(
    database: Database, client_id: str, user: User
) -> None:
    tokens = SqlRefreshTokenRepository(database)
    first = refresh_token(client_id, user)
    second = refresh_token(client_id, user, first.family_id)
    stranger = refresh_token(client_id, user)
    for token in (first, stranger):
        await tokens.add(token)
    assert await tokens.rotate(first, second, now())
    moment = now()
    await tokens.revoke_family(first.family_id, moment)
    for token in (first, second):
        found = await tokens.by_hash(token.token_hash)
        assert found is not None and found.revoked_at == moment
    assert await tokens.by_hash(stranger.token_hash) == stranger
    # A revoked token can no longer rotate; revoking again keeps the first revocation time.
    assert (
        await tokens.rotate(second, refresh_token(client_id, user, first.family_id), now()) is False
    )
    await tokens.revoke_family(first.family_id, moment + timedelta(hours=1))
    assert (await tokens.by_hash(second.token_hash)).revoked_at == moment  # type: ignore[union-attr]


async def test_a_users_live_tokens_are_the_latest_of_each_family_newest_first(
    database: Database, client_id: str, user: User
) -> None:
    tokens = SqlRefreshTokenRepository(database)
    other = await stored_user(database, await default_connection_id(database))
    moment = now()
    first = refresh_token(client_id, user)
    rotated = dataclasses.replace(
        refresh_token(client_id, user, first.family_id), created_at=moment + timedelta(seconds=2)
    )
    second = dataclasses.replace(refresh_token(client_id, user), created_at=moment + timedelta(1))
    revoked = refresh_token(client_id, user)
    expired = dataclasses.replace(refresh_token(client_id, user), expires_at=moment)
    for token in (first, second, revoked, expired, refresh_token(client_id, other)):
        await tokens.add(token)
    assert await tokens.rotate(first, rotated, moment)
    await tokens.revoke_family(revoked.family_id, moment)
    assert await tokens.live_of_user(user.user_id, moment) == [second, rotated]
    assert await tokens.live_of_user("auth0|nobody", moment) == []


async def test_rotation_racing_a_revocation_leaves_the_family_revoked(
    database: Database, client_id: str, user: User
) -> None:
    """A revocation (`/oauth/revoke`) while the token is being exchanged must not leave the
    exchange's new token valid."""
    tokens = SqlRefreshTokenRepository(database)
    old = refresh_token(client_id, user)
    await tokens.add(old)
    successors = [refresh_token(client_id, user, old.family_id) for _ in range(5)]
    moment = now()
    await asyncio.gather(
        *(tokens.rotate(old, new, moment) for new in successors),
        tokens.revoke_family(old.family_id, moment),
    )
    for token in (old, *successors):
        found = await tokens.by_hash(token.token_hash)
        assert found is None or found.revoked_at is not None


async def test_deleting_the_user_deletes_their_tokens_codes_and_sessions(
    database: Database, client_id: str, user: User
) -> None:
    tokens, codes = SqlRefreshTokenRepository(database), SqlCodeRepository(database)
    sessions = SqlSessionRepository(database)
    token, issued, session = refresh_token(client_id, user), code(client_id, user), login(user)
    await tokens.add(token)
    await codes.add(issued)
    await sessions.add(session)
    assert await SqlUserRepository(database).delete(user.user_id)
    assert await tokens.by_hash(token.token_hash) is None
    assert await codes.by_hash(issued.code_hash) is None
    assert await sessions.by_hash(session.token_hash) is None


# --- authorization codes ------------------------------------------------------------------------


async def test_a_code_round_trips_with_its_hook_result(
    database: Database, client_id: str, user: User
) -> None:
    codes = SqlCodeRepository(database)
    issued = code(client_id, user)
    await codes.add(issued)
    assert await codes.by_hash(issued.code_hash) == issued
    assert await codes.by_hash(secrets.token_hex(32)) is None


async def test_a_code_is_redeemed_once_even_by_racing_exchanges(
    database: Database, client_id: str, user: User
) -> None:
    codes = SqlCodeRepository(database)
    issued = code(client_id, user)
    await codes.add(issued)
    results = await asyncio.gather(*(codes.redeem(issued.code_hash, now()) for _ in range(10)))
    assert results.count(True) == 1
    found = await codes.by_hash(issued.code_hash)
    assert found is not None and found.used_at is not None
    assert await codes.redeem(issued.code_hash, now()) is False


async def test_an_expired_or_unknown_code_is_not_redeemed(
    database: Database, client_id: str, user: User
) -> None:
    codes = SqlCodeRepository(database)
    expired = code(client_id, user, expires_in=-1)
    await codes.add(expired)
    assert await codes.redeem(expired.code_hash, now()) is False
    assert (await codes.by_hash(expired.code_hash)).used_at is None  # type: ignore[union-attr]
    assert await codes.redeem(secrets.token_hex(32), now()) is False


# --- login sessions -----------------------------------------------------------------------------


def login(user: User) -> LoginSession:
    moment = now()
    return LoginSession(
        id=uuid.uuid4().hex,
        token_hash=secrets.token_hex(32),
        user_id=user.user_id,
        auth_time=int(moment.timestamp()),
        created_at=moment,
        expires_at=moment + timedelta(days=7),
    )


async def test_a_session_is_found_by_its_hash_until_revoked(database: Database, user: User) -> None:
    sessions = SqlSessionRepository(database)
    session, other = login(user), login(user)
    await sessions.add(session)
    await sessions.add(other)
    assert await sessions.by_hash(session.token_hash) == session
    moment = now()
    await sessions.revoke(session.id, moment)
    await sessions.revoke(session.id, moment + timedelta(minutes=1))
    assert await sessions.by_hash(session.token_hash) == dataclasses.replace(
        session, revoked_at=moment
    )
    assert await sessions.by_hash(other.token_hash) == other


async def test_a_users_live_sessions_newest_first(database: Database, user: User) -> None:
    sessions = SqlSessionRepository(database)
    other = await stored_user(database, await default_connection_id(database))
    moment = now()
    older = login(user)
    newer = dataclasses.replace(login(user), created_at=moment + timedelta(seconds=5))
    ended = login(user)
    expired = dataclasses.replace(login(user), expires_at=moment)
    for session in (older, newer, ended, expired, login(other)):
        await sessions.add(session)
    await sessions.revoke(ended.id, moment)
    assert await sessions.live_of_user(user.user_id, moment) == [newer, older]
    assert await sessions.live_of_user("auth0|nobody", moment) == []
