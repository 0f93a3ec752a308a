"""SqlLoginFailureRepository on every database: the brute-force counter behind
tests/api/test_brute_force.py. Slots are taken before a password check and given back after
it, atomically, so parallel guesses never get more checks than the limit."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from selfauth.domain.logins import Attempt
from selfauth.domain.users.model import User
from selfauth.storage.database import Database
from selfauth.storage.sessions import SqlLoginFailureRepository
from tests.support.storage import default_connection_id, now, stored_user, unique

LIMIT = 10
IP = "192.0.2.10"


@pytest.fixture
def failures(database: Database) -> SqlLoginFailureRepository:
    return SqlLoginFailureRepository(database)


@pytest.fixture
async def user(database: Database) -> User:
    return await stored_user(
        database, await default_connection_id(database), username=unique("guess").lower()
    )


async def fail(failures: SqlLoginFailureRepository, user: User, times: int, ip: str = IP) -> None:
    for _ in range(times):
        assert await failures.attempt(user.user_id, ip, LIMIT, now()) is Attempt.GRANTED
        await failures.settle(user.user_id, ip, succeeded=False, limit=LIMIT, now=now())


async def test_the_tenth_failure_blocks_the_address(
    failures: SqlLoginFailureRepository, user: User
) -> None:
    await fail(failures, user, LIMIT - 1)
    assert await failures.blocks([user.user_id]) == []
    await fail(failures, user, 1)
    assert await failures.attempt(user.user_id, IP, LIMIT, now()) is Attempt.BLOCKED
    (block,) = await failures.blocks([user.user_id])
    assert (block.user_id, block.ip, block.failures) == (user.user_id, IP, LIMIT)
    assert block.email == user.email and block.username == user.username
    assert block.connection == "Username-Password-Authentication"
    # Another address of the same user is not blocked.
    assert await failures.attempt(user.user_id, "192.0.2.11", LIMIT, now()) is Attempt.GRANTED


async def test_a_success_clears_the_count(failures: SqlLoginFailureRepository, user: User) -> None:
    await fail(failures, user, LIMIT - 1)
    assert await failures.attempt(user.user_id, IP, LIMIT, now()) is Attempt.GRANTED
    await failures.settle(user.user_id, IP, succeeded=True, limit=LIMIT, now=now())
    await fail(failures, user, LIMIT - 1)
    assert await failures.blocks([user.user_id]) == []


async def test_parallel_guesses_get_at_most_the_limit_of_slots(
    failures: SqlLoginFailureRepository, user: User
) -> None:
    """Twenty attempts at once: ten slots granted, the rest busy, until the checks settle."""
    results = await asyncio.gather(
        *(failures.attempt(user.user_id, IP, LIMIT, now()) for _ in range(20))
    )
    assert results.count(Attempt.GRANTED) == LIMIT
    assert set(results) == {Attempt.GRANTED, Attempt.BUSY}
    await asyncio.gather(
        *(
            failures.settle(user.user_id, IP, succeeded=False, limit=LIMIT, now=now())
            for _ in range(LIMIT)
        )
    )
    (block,) = await failures.blocks([user.user_id])
    assert block.failures == LIMIT and block.pending == 0


async def test_a_slot_left_by_a_dead_check_lapses(
    failures: SqlLoginFailureRepository, user: User
) -> None:
    for _ in range(LIMIT):
        assert await failures.attempt(user.user_id, IP, LIMIT, now()) is Attempt.GRANTED
    assert await failures.attempt(user.user_id, IP, LIMIT, now()) is Attempt.BUSY
    later = now() + timedelta(minutes=5)
    assert await failures.attempt(user.user_id, IP, LIMIT, later) is Attempt.GRANTED


async def test_unblocking_by_user_or_identifier(
    database: Database, failures: SqlLoginFailureRepository, user: User
) -> None:
    await fail(failures, user, LIMIT)
    assert user.email is not None and user.username is not None
    assert await failures.user_ids_for(user.email.upper()) == [user.user_id]
    assert await failures.user_ids_for(user.username) == [user.user_id]
    assert await failures.user_ids_for(f"{unique('nobody')}@example.com") == []
    await failures.unblock([user.user_id])
    assert await failures.blocks([user.user_id]) == []
    # Unblocked, the count starts afresh; a settle after the unblock finds no row and is lost.
    assert await failures.attempt(user.user_id, IP, LIMIT, now()) is Attempt.GRANTED
    await failures.unblock([user.user_id])
    await failures.settle(user.user_id, IP, succeeded=False, limit=LIMIT, now=now())
    await fail(failures, user, LIMIT - 1)
    assert await failures.blocks([user.user_id]) == []


async def test_deleting_the_user_deletes_the_counter(
    database: Database, failures: SqlLoginFailureRepository, user: User
) -> None:
    from selfauth.storage.users import SqlUserRepository

    await fail(failures, user, LIMIT)
    assert await SqlUserRepository(database).delete(user.user_id)
    assert await failures.blocks([user.user_id]) == []
