"""SQLite user search picks a plan per query (drive from few matches, or read users in page
order and check each); every plan must give exactly the users a plain filter gives, in order.

A tenant of a few thousand users makes each plan happen: values held by most users (read in
order), by few (driven), and ANDs of common tests that few users pass together (intersected).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from selfauth.config import Settings
from selfauth.domain.search.parser import parse
from selfauth.domain.users.model import User
from selfauth.storage import search
from selfauth.storage.bootstrap import bootstrap
from selfauth.storage.database import Database
from selfauth.storage.migrate import upgrade
from selfauth.storage.users import SqlUserRepository

USERS = 5000
START = datetime(2024, 1, 1, tzinfo=UTC)


def metadata_of(n: int) -> tuple[dict[str, Any], dict[str, Any]]:
    plan = "enterprise" if n % 97 == 0 else ("free" if n % 10 < 7 else "pro")
    tags = [t for t, every in (("even", 2), ("third", 3), ("vip", 50)) if n % every == 0]
    user_metadata = {
        "age": 18 + n % 60,
        "tags": tags,
        "address": {"city": ["Vienna", "Paris", "Venice", "Oslo"][n % 4]},
        "code": f"C{n:05d}",
    }
    return user_metadata, {"plan": plan}


# (query, the same test in Python)
CASES: list[tuple[str, Callable[[dict[str, Any], dict[str, Any]], bool]]] = [
    ('app_metadata.plan:"free"', lambda u, a: a["plan"] == "free"),
    ('app_metadata.plan:"enterprise"', lambda u, a: a["plan"] == "enterprise"),
    ('user_metadata.tags:"vip"', lambda u, a: "vip" in u["tags"]),
    ('user_metadata.tags:"even"', lambda u, a: "even" in u["tags"]),
    (
        'user_metadata.tags:"even" AND user_metadata.tags:"third"',
        lambda u, a: "even" in u["tags"] and "third" in u["tags"],
    ),
    (
        'user_metadata.tags:"even" AND app_metadata.plan:"free"',
        lambda u, a: "even" in u["tags"] and a["plan"] == "free",
    ),
    (
        'app_metadata.plan:"enterprise" OR user_metadata.tags:"vip"',
        lambda u, a: a["plan"] == "enterprise" or "vip" in u["tags"],
    ),
    ('NOT app_metadata.plan:"free"', lambda u, a: a["plan"] != "free"),
    ("user_metadata.age:[30 TO 32]", lambda u, a: 30 <= u["age"] <= 32),
    ("user_metadata.age:{70 TO *]", lambda u, a: u["age"] > 70),
    ("user_metadata.address.city:V*", lambda u, a: u["address"]["city"].startswith("V")),
    ("user_metadata.code:*99*", lambda u, a: "99" in u["code"]),
    ("user_metadata.code:C0001*", lambda u, a: u["code"].startswith("C0001")),
    (
        '(user_metadata.tags:"third" AND NOT user_metadata.tags:"even") '
        'OR app_metadata.plan:"enterprise"',
        lambda u, a: (
            ("third" in u["tags"] and "even" not in u["tags"]) or a["plan"] == "enterprise"
        ),
    ),
]


@pytest.fixture(scope="module")
def tenant(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, list[User]]:
    path = Path(tmp_path_factory.mktemp("search-plans")) / "selfauth.db"
    url = f"sqlite:///{path}"

    async def build() -> list[User]:
        database = Database(Settings(database_url=url).database)
        try:
            await upgrade(database)
            await bootstrap(
                database,
                audience="http://127.0.0.1:8080/api/v2/",
                clock=lambda: START,
                client_id=None,
                client_secret=None,
            )
            repository = SqlUserRepository(database)
            made = []
            for n in range(USERS):
                user_metadata, app_metadata = metadata_of(n)
                # Creation times run against the numbering, so page order is not insert order.
                moment = START + timedelta(seconds=(USERS - n) * 7 % USERS)
                user = User(
                    user_id=f"auth0|plan{n:06d}",
                    connection_id="con_unused",
                    created_at=moment,
                    updated_at=moment,
                    email=f"u{n}@example.com",
                    user_metadata=user_metadata,
                    app_metadata=app_metadata,
                )
                made.append(user)
            await _insert(database, repository, made)
            return made
        finally:
            await database.dispose()

    return url, asyncio.run(build())


async def _insert(database: Database, repository: SqlUserRepository, made: list[User]) -> None:
    connection_id = await _default_connection(database)
    for user in made:
        object.__setattr__(user, "connection_id", connection_id)
        await repository.insert(user)


async def _default_connection(database: Database) -> str:
    from selfauth.storage.connections import SqlConnectionRepository

    found = await SqlConnectionRepository(database).list()
    return found[0].id


@pytest.fixture
async def database(tenant: tuple[str, list[User]]) -> AsyncIterator[Database]:
    found = Database(Settings(database_url=tenant[0]).database)
    try:
        yield found
    finally:
        await found.dispose()


def expected(made: list[User], test: Callable[[dict[str, Any], dict[str, Any]], bool]) -> list[str]:
    matching = [u for u in made if test(u.user_metadata, u.app_metadata)]
    return [u.user_id for u in sorted(matching, key=lambda u: (u.created_at, u.user_id))]


@pytest.mark.parametrize(("q", "test"), CASES, ids=[q for q, _ in CASES])
async def test_every_plan_gives_the_filtered_users_in_page_order(
    database: Database,
    tenant: tuple[str, list[User]],
    q: str,
    test: Callable[[dict[str, Any], dict[str, Any]], bool],
) -> None:
    want = expected(tenant[1], test)
    query = parse(q)
    for offset in (0, 40):
        found, total = await search.page(
            database,
            query,
            offset=offset,
            limit=50,
            sort="created_at",
            descending=False,
            count_up_to=1000,
        )
        assert [u.user_id for u in found] == want[offset : offset + 50]
        assert total == min(len(want), 1000)


@pytest.mark.parametrize(("q", "test"), CASES[:6], ids=[q for q, _ in CASES[:6]])
async def test_walking_with_checkpoints_visits_every_match_once(
    database: Database,
    tenant: tuple[str, list[User]],
    q: str,
    test: Callable[[dict[str, Any], dict[str, Any]], bool],
) -> None:
    want = expected(tenant[1], test)
    query, after, seen = parse(q), None, []
    while True:
        batch = await search.walk(database, query, after=after, take=700)
        if not batch:
            break
        seen.extend(u.user_id for u in batch)
        after = (batch[-1].created_at, batch[-1].user_id)
    assert seen == want


def test_the_cases_cover_each_plan(tenant: tuple[str, list[User]]) -> None:
    """Guards the tenant's shape: common values, rare ones, and common pairs rare together."""
    made = tenant[1]
    counts = {q: len(expected(made, test)) for q, test in CASES}
    assert counts['app_metadata.plan:"free"'] > search.FEW
    assert counts['user_metadata.tags:"even"'] > search.FEW
    assert counts['app_metadata.plan:"enterprise"'] < search.FEW
    # Each test common, the pair rare: the intersection plan.
    pair = 'user_metadata.tags:"even" AND app_metadata.plan:"free"'
    assert counts[pair] < search.FEW
