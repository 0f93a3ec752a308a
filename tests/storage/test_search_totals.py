"""A search's `total` counts each matching user once (storage/search.py `_count`): on SQLite a
common metadata test leads the count through its (path, value) index, where one user may hold
several matching terms and a linked secondary may hold one too. FEW is lowered so that a
handful of users takes the plan a common value takes at scale."""

from __future__ import annotations

import uuid

import pytest

from selfauth.domain.search import parse
from selfauth.storage import search
from selfauth.storage.database import Database
from tests.support.storage import default_connection_id, stored_user


async def _total(database: Database, q: str) -> int | None:
    _, total = await search.page(
        database,
        parse(q),
        offset=0,
        limit=50,
        sort="created_at",
        descending=False,
        count_up_to=1000,
    )
    return total


async def test_each_user_counts_once_and_linked_secondaries_not_at_all(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(search, "FEW", 1)
    connection_id = await default_connection_id(database)
    marker = uuid.uuid4().hex[:12]
    tags = {"tags": [f"{marker}-a", f"{marker}-b"]}  # both match the pattern below
    holders = [await stored_user(database, connection_id, user_metadata=tags) for _ in range(3)]
    await stored_user(database, connection_id, user_metadata=tags, linked_to=holders[0].user_id)
    assert await _total(database, f"user_metadata.tags:{marker}*") == 3
    assert await _total(database, f'user_metadata.tags:"{marker}-a"') == 3
    one = f'user_metadata.tags:{marker}* AND email:"{holders[1].email}"'
    assert await _total(database, one) == 1
    either = f'user_metadata.tags:{marker}* OR email:"{holders[1].email}"'
    assert await _total(database, either) == 3
