"""Account linking's persistence on every database (SqlUserRepository): a row with `linked_to`
is hidden from get, by_email, page, search and delete but found by sign-in (`find_login`,
`get_any`); the primary's deletion cascades to it; `update_pair` changes both rows under both
locks, so concurrent links to one primary all land and one secondary is linked once.

tests/api/test_account_linking.py checks the wire; this checks what it relies on from each
database."""

from __future__ import annotations

import asyncio
import dataclasses

import pytest

from selfauth.domain import search
from selfauth.domain.metadata_history import ACCOUNT_LINKING
from selfauth.domain.users import linking
from selfauth.domain.users.model import User
from selfauth.errors import SelfauthError
from selfauth.storage.database import Database
from selfauth.storage.users import SqlUserRepository
from tests.support.storage import default_connection_id, new_user, now


@pytest.fixture
def users(database: Database) -> SqlUserRepository:
    return SqlUserRepository(database)


@pytest.fixture
async def connection_id(database: Database) -> str:
    return await default_connection_id(database)


def _with_identity(user: User) -> User:
    local = user.user_id.removeprefix("auth0|")
    identity = {"connection": "db", "provider": "auth0", "user_id": local, "isSocial": False}
    return dataclasses.replace(user, identities=[identity])


async def _linked_pair(users: SqlUserRepository, connection_id: str) -> tuple[User, User]:
    primary = _with_identity(new_user(connection_id))
    secondary = _with_identity(new_user(connection_id, user_metadata={"theme": "dark"}))
    await users.insert(primary)
    await users.insert(secondary)
    await _link(users, primary.user_id, secondary.user_id)
    return primary, secondary


async def _link(users: SqlUserRepository, primary_id: str, secondary_id: str) -> User:
    moment = now()

    def change(p: User | None, s: User | None) -> tuple[User, User]:
        return linking.linked(*linking.check_link(p, s, None), moment)

    linked, _ = await users.update_pair(primary_id, secondary_id, change, ACCOUNT_LINKING)
    return linked


async def test_a_linked_row_is_hidden_but_signs_in(
    users: SqlUserRepository, connection_id: str
) -> None:
    _, before = await users.page(
        offset=0, limit=1, sort="created_at", descending=True, with_total=True
    )
    primary, secondary = await _linked_pair(users, connection_id)
    assert await users.get(secondary.user_id) is None
    assert await users.by_email(secondary.email or "") == []
    found = await users.get_any(secondary.user_id)
    assert found is not None and found.linked_to == primary.user_id
    assert found.user_metadata == {}  # discarded at link time
    login = await users.find_login(connection_id, secondary.email or "")
    assert login is not None and login.user_id == secondary.user_id
    listed, total = await users.page(
        offset=0, limit=1000, sort="created_at", descending=True, with_total=True
    )
    assert secondary.user_id not in {u.user_id for u in listed}
    assert primary.user_id in {u.user_id for u in listed}
    assert total == (before or 0) + 1  # two rows inserted, one of them a user
    query = search.parse(f'email:"{secondary.email}"')
    page, count = await users.search(
        query, offset=0, limit=10, sort="created_at", descending=False, count_up_to=100
    )
    assert (page, count) == ([], 0)
    assert await users.walk(query, after=None, take=10) == []
    # The primary carries the identity; deleting the secondary by its id deletes nothing.
    stored = await users.get(primary.user_id)
    assert stored is not None and len(stored.identities) == 2
    assert not await users.delete(secondary.user_id)
    assert await users.get_any(secondary.user_id) is not None


async def test_deleting_the_primary_deletes_its_secondaries(
    users: SqlUserRepository, connection_id: str
) -> None:
    primary, secondary = await _linked_pair(users, connection_id)
    assert await users.delete(primary.user_id)
    assert await users.get_any(secondary.user_id) is None
    # Its email is free again in its connection.
    await users.insert(new_user(connection_id, email=secondary.email))


async def test_concurrent_links_to_one_primary_all_land(
    users: SqlUserRepository, connection_id: str
) -> None:
    primary = _with_identity(new_user(connection_id))
    await users.insert(primary)
    secondaries = [_with_identity(new_user(connection_id)) for _ in range(10)]
    for secondary in secondaries:
        await users.insert(secondary)
    await asyncio.gather(*(_link(users, primary.user_id, s.user_id) for s in secondaries))
    stored = await users.get(primary.user_id)
    assert stored is not None
    assert {i["user_id"] for i in stored.identities[1:]} == {
        s.identities[0]["user_id"] for s in secondaries
    }


async def test_one_secondary_raced_to_several_primaries_is_linked_once(
    users: SqlUserRepository, connection_id: str
) -> None:
    primaries = [_with_identity(new_user(connection_id)) for _ in range(5)]
    secondary = _with_identity(new_user(connection_id))
    for user in [*primaries, secondary]:
        await users.insert(user)
    results = await asyncio.gather(
        *(_link(users, p.user_id, secondary.user_id) for p in primaries), return_exceptions=True
    )
    assert len([r for r in results if isinstance(r, User)]) == 1
    assert all(isinstance(r, User | SelfauthError) for r in results)
    found = await users.get_any(secondary.user_id)
    assert found is not None
    holders = []
    for primary in primaries:
        stored = await users.get(primary.user_id)
        assert stored is not None
        if stored.identities[1:]:
            holders.append(primary.user_id)
    assert holders == [found.linked_to]


async def test_update_pair_refusing_changes_nothing(
    users: SqlUserRepository, connection_id: str
) -> None:
    primary, secondary = await _linked_pair(users, connection_id)
    with pytest.raises(SelfauthError):
        await _link(users, primary.user_id, secondary.user_id)  # already linked
    stored = await users.get(primary.user_id)
    assert stored is not None and len(stored.identities) == 2
