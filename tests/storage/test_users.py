"""SqlUserRepository on every database: what a row keeps, which keys are unique, the locked
read-modify-write that concurrent merges rely on, login counting, listing and deletion.

The HTTP tests of users (tests/api/test_users*.py) check the wire; these check what they rely on
from each database."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from selfauth.domain.metadata_history import SYSTEM, Author
from selfauth.domain.users.model import User
from selfauth.errors import Conflict, InvalidBody, NotFound
from selfauth.storage.database import Database
from selfauth.storage.users import SqlUserRepository
from tests.support.storage import (
    changed,
    default_connection_id,
    new_user,
    now,
    stored_connection,
    stored_user,
    unique,
)

TEST = Author(SYSTEM, name="storage test")


@pytest.fixture
def users(database: Database) -> SqlUserRepository:
    return SqlUserRepository(database)


@pytest.fixture
async def connection_id(database: Database) -> str:
    return await default_connection_id(database)


async def test_every_field_round_trips(users: SqlUserRepository, connection_id: str) -> None:
    moment = datetime(2024, 5, 6, 7, 8, 9, 123456, tzinfo=UTC)
    user = new_user(
        connection_id,
        created_at=moment,
        updated_at=moment + timedelta(seconds=1),
        email_verified=True,
        username=unique("name").lower(),
        phone_number="+15551234567",
        phone_verified=True,
        given_name="Ada",
        family_name="Lovelace",
        name="Ada Lovelace",
        nickname="ada",
        picture="https://example.com/ada.png",
        blocked=True,
        password_hash="$2b$04$" + "a" * 53,
        identities=[{"connection": "db", "provider": "auth0", "user_id": "x", "isSocial": False}],
        user_metadata={"theme": "dark", "nested": {"list": [1, 2.5, "three", None, True]}},
        app_metadata={"plan": "gold", "roles": ["admin"], "émoji": "✓"},
        last_login=moment + timedelta(days=1),
        last_ip="203.0.113.7",
        logins_count=3,
        last_password_reset=moment + timedelta(days=2),
    )
    await users.insert(user)
    stored = await users.get(user.user_id)
    assert stored == user
    assert stored is not None and stored.password_hash == user.password_hash
    assert stored.created_at.tzinfo is not None


async def test_an_unknown_user_is_none(users: SqlUserRepository) -> None:
    assert await users.get("auth0|nobody") is None


async def test_one_email_per_connection(
    database: Database, users: SqlUserRepository, connection_id: str
) -> None:
    first = await stored_user(database, connection_id)
    with pytest.raises(Conflict):
        await users.insert(new_user(connection_id, email=first.email))
    other = await stored_connection(database)
    # Another connection may hold the same address: another identity.
    elsewhere = await stored_user(database, other.id, email=first.email)
    assert {u.user_id for u in await users.by_email(first.email or "")} == {
        first.user_id,
        elsewhere.user_id,
    }


async def test_concurrent_inserts_of_one_email_store_exactly_one(
    users: SqlUserRepository, connection_id: str
) -> None:
    email = f"{unique('race')}@example.com"
    results = await asyncio.gather(
        *(users.insert(new_user(connection_id, email=email)) for _ in range(10)),
        return_exceptions=True,
    )
    assert [r for r in results if r is not None and not isinstance(r, Conflict)] == []
    assert sum(r is None for r in results) == 1
    assert len(await users.by_email(email)) == 1


async def test_one_username_per_connection(
    database: Database, users: SqlUserRepository, connection_id: str
) -> None:
    name = unique("user").lower()
    await stored_user(database, connection_id, username=name)
    with pytest.raises(Conflict):
        await users.insert(new_user(connection_id, username=name))


async def test_a_user_id_is_taken_once(users: SqlUserRepository, connection_id: str) -> None:
    user = new_user(connection_id)
    await users.insert(user)
    with pytest.raises(Conflict):
        await users.insert(new_user(connection_id, user_id=user.user_id))


async def test_users_without_email_or_username_do_not_clash(
    database: Database, users: SqlUserRepository, connection_id: str
) -> None:
    first = await stored_user(database, connection_id, email=None, phone_number="+15550000001")
    second = await stored_user(database, connection_id, email=None, phone_number="+15550000002")
    assert await users.get(first.user_id) == first
    assert await users.get(second.user_id) == second


async def test_find_login_by_email_or_username_in_its_connection(
    database: Database, users: SqlUserRepository, connection_id: str
) -> None:
    name = unique("login").lower()
    user = await stored_user(database, connection_id, username=name)
    assert user.email is not None
    assert await users.find_login(connection_id, user.email.upper()) == user
    assert await users.find_login(connection_id, name.upper()) == user
    other = await stored_connection(database)
    assert await users.find_login(other.id, user.email) is None
    assert await users.find_login(connection_id, f"{unique('nobody')}@example.com") is None


async def test_update_applies_the_change_to_the_stored_row(
    database: Database, users: SqlUserRepository, connection_id: str
) -> None:
    user = await stored_user(database, connection_id, user_metadata={"a": 1})
    updated = await users.update(
        user.user_id,
        lambda u: changed(u, user_metadata={**u.user_metadata, "b": 2}, name="B"),
        TEST,
    )
    assert updated.user_metadata == {"a": 1, "b": 2}
    assert await users.get(user.user_id) == updated


async def test_update_of_an_unknown_user_is_not_found(users: SqlUserRepository) -> None:
    with pytest.raises(NotFound):
        await users.update("auth0|nobody", lambda u: u, TEST)


async def test_a_change_that_refuses_leaves_the_row_as_it_was(
    database: Database, users: SqlUserRepository, connection_id: str
) -> None:
    user = await stored_user(database, connection_id, user_metadata={"keep": "me"})

    def refuse(current: User) -> User:
        raise InvalidBody("Payload validation error: 'too big' on property user_metadata.")

    with pytest.raises(InvalidBody):
        await users.update(user.user_id, refuse, TEST)
    assert await users.get(user.user_id) == user


async def test_an_email_taken_by_another_user_conflicts_and_changes_nothing(
    database: Database, users: SqlUserRepository, connection_id: str
) -> None:
    first = await stored_user(database, connection_id)
    second = await stored_user(database, connection_id, user_metadata={"x": 1})
    with pytest.raises(Conflict):
        await users.update(
            second.user_id,
            lambda u: changed(u, email=first.email, user_metadata={"x": 2}),
            TEST,
        )
    assert await users.get(second.user_id) == second


async def test_concurrent_merges_of_different_keys_all_survive(
    database: Database, users: SqlUserRepository, connection_id: str
) -> None:
    """The locked read-modify-write: 20 merges at once, none lost (PostgreSQL's FOR UPDATE,
    SQLite's writer lock). At most 20: every test server's pools draw on PostgreSQL's 100
    connections too."""
    user = await stored_user(database, connection_id, user_metadata={"existing": True})

    def merge(key: str) -> Callable[[User], User]:
        return lambda u: changed(u, user_metadata={**u.user_metadata, key: key})

    await asyncio.gather(*(users.update(user.user_id, merge(f"k{i}"), TEST) for i in range(20)))
    stored = await users.get(user.user_id)
    assert stored is not None
    assert stored.user_metadata == {"existing": True, **{f"k{i}": f"k{i}" for i in range(20)}}


async def test_a_refused_change_in_a_batch_leaves_the_others_applied(
    database: Database, users: SqlUserRepository, connection_id: str
) -> None:
    """Concurrent changes of one user go to the database together (write_batches.py): one
    that the database refuses (an email another user has) fails alone, and one that its own
    check refuses fails alone; every other is applied, each with its own answer."""
    taken = await stored_user(database, connection_id)
    user = await stored_user(database, connection_id, user_metadata={})

    def merge(key: str) -> Callable[[User], User]:
        return lambda u: changed(u, user_metadata={**u.user_metadata, key: True})

    def refuse(current: User) -> User:
        raise InvalidBody("refused")

    def steal(current: User) -> User:
        return changed(current, email=taken.email)

    changes = [merge("a"), steal, merge("b"), refuse, merge("c")]
    outcomes = await asyncio.gather(
        *(users.update(user.user_id, change, TEST) for change in changes),
        return_exceptions=True,
    )
    assert isinstance(outcomes[1], Conflict)
    assert isinstance(outcomes[3], InvalidBody)
    answered = [o for o in outcomes if isinstance(o, User)]
    assert len(answered) == 3
    stored = await users.get(user.user_id)
    assert stored is not None
    assert stored.user_metadata == {"a": True, "b": True, "c": True}
    assert stored.email == user.email


async def test_a_change_refused_in_a_failed_batch_is_tried_again_on_the_real_row(
    database: Database, users: SqlUserRepository, connection_id: str
) -> None:
    """In one batch, the second change saw the first's new email and refused; the first was
    then refused by the database. The second is answered by the row as it really is."""
    taken = await stored_user(database, connection_id)
    user = await stored_user(database, connection_id, user_metadata={})

    def steal(current: User) -> User:
        return changed(current, email=taken.email)

    def only_with_own_email(current: User) -> User:
        if current.email != user.email:
            raise InvalidBody("the email changed")
        return changed(current, user_metadata={"ok": True})

    outcomes = await asyncio.gather(
        users.update(user.user_id, steal, TEST),
        users.update(user.user_id, only_with_own_email, TEST),
        return_exceptions=True,
    )
    assert isinstance(outcomes[0], Conflict)
    assert isinstance(outcomes[1], User) and outcomes[1].user_metadata == {"ok": True}


async def test_a_change_whose_caller_went_away_is_still_applied(
    database: Database, users: SqlUserRepository, connection_id: str
) -> None:
    user = await stored_user(database, connection_id, user_metadata={})

    def merge(key: str) -> Callable[[User], User]:
        return lambda u: changed(u, user_metadata={**u.user_metadata, key: True})

    first = asyncio.create_task(users.update(user.user_id, merge("first"), TEST))
    gone = asyncio.create_task(users.update(user.user_id, merge("gone"), TEST))
    await asyncio.sleep(0)
    gone.cancel()
    await first
    # Batches of one user run in order: once a later change is answered, "gone" was applied.
    await users.update(user.user_id, merge("last"), TEST)
    assert gone.cancelled()
    stored = await users.get(user.user_id)
    assert stored is not None
    assert stored.user_metadata == {"first": True, "gone": True, "last": True}


async def test_concurrent_logins_are_all_counted(
    database: Database, users: SqlUserRepository, connection_id: str
) -> None:
    user = await stored_user(database, connection_id)
    moment = now()
    await asyncio.gather(
        *(users.record_login(user.user_id, "198.51.100.1", moment) for _ in range(20))
    )
    stored = await users.get(user.user_id)
    assert stored is not None
    assert stored.logins_count == 20
    assert stored.last_ip == "198.51.100.1"
    assert stored.last_login == moment
    assert await users.record_login("auth0|nobody", "198.51.100.1", moment) is None


async def test_an_imported_hash_is_replaced_only_while_it_is_current(
    database: Database, users: SqlUserRepository, connection_id: str
) -> None:
    user = await stored_user(database, connection_id, password_hash="imported-1")
    await users.replace_password_hash(user.user_id, "not-the-current-one", "bcrypt-1")
    assert (await users.get(user.user_id)).password_hash == "imported-1"  # type: ignore[union-attr]
    await users.replace_password_hash(user.user_id, "imported-1", "bcrypt-1")
    assert (await users.get(user.user_id)).password_hash == "bcrypt-1"  # type: ignore[union-attr]


async def test_pages_follow_the_sort_with_the_user_id_breaking_ties(
    users: SqlUserRepository, connection_id: str
) -> None:
    """Users created in the year 3000 sort after every other test's users."""
    base = datetime(3000, 1, 1, tzinfo=UTC)
    made = [
        new_user(connection_id, created_at=base + timedelta(seconds=n // 2), updated_at=base)
        for n in range(5)
    ]
    for user in made:
        await users.insert(user)
    ascending = sorted(made, key=lambda u: (u.created_at, u.user_id))
    found, total = await users.page(
        offset=0, limit=5, sort="created_at", descending=True, with_total=True
    )
    assert [u.user_id for u in found] == [u.user_id for u in reversed(ascending)]
    assert total is not None and total >= 5
    whole, _ = await users.page(
        offset=0, limit=100_000, sort="created_at", descending=False, with_total=False
    )
    ours = [u.user_id for u in whole if u.created_at >= base]
    assert ours == [u.user_id for u in ascending]
    tail, none = await users.page(
        offset=len(whole) - 2, limit=5, sort="created_at", descending=False, with_total=False
    )
    assert [u.user_id for u in tail] == [u.user_id for u in ascending[-2:]]
    assert none is None


async def test_text_sorts_follow_code_points_with_the_user_id_breaking_ties(
    database: Database, users: SqlUserRepository
) -> None:
    """`sort=email:1` and `sort=name:-1`: in code-point order on both databases (the test
    databases' collation; a linguistic one would order case and punctuation differently)."""
    connection = await stored_connection(database)
    names = ["zoe", "Zoe", "a.b", "a_b", "a-b", "ab", "Ab", "é", "~", "zoe"]
    made = [
        await stored_user(
            database,
            connection.id,
            email=f"{name.lower()}{n}.{connection.id.lower()}@example.com",
            name=f"{name} {connection.name}",
        )
        for n, name in enumerate(names)
    ]
    ours = {u.user_id for u in made}
    for sort, descending in (("email", False), ("name", True)):
        found, _ = await users.page(
            offset=0, limit=100_000, sort=sort, descending=descending, with_total=False
        )
        mine = [u for u in found if u.user_id in ours]
        expected = sorted(made, key=lambda u: (getattr(u, sort), u.user_id), reverse=descending)
        assert [u.user_id for u in mine] == [u.user_id for u in expected]


async def test_delete_says_whether_there_was_a_user(
    database: Database, users: SqlUserRepository, connection_id: str
) -> None:
    user = await stored_user(database, connection_id)
    assert await users.delete(user.user_id) is True
    assert await users.get(user.user_id) is None
    assert await users.delete(user.user_id) is False
    # The email and id are free again.
    await users.insert(new_user(connection_id, user_id=user.user_id, email=user.email))
