"""auth0-python 4.13's `Users.list(q=...)` against selfauth's user search.

These check what a client library sees on the wire; the api and storage tests cover each
database: this module runs on SQLite."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from auth0.exceptions import Auth0Error
from auth0.management import Users

from tests.support.api import unique

pytestmark = pytest.mark.sqlite_only


def test_users_list_searches_with_q(users: Users, new_user: Callable[..., dict[str, Any]]) -> None:
    marker = unique("sdk-search")
    gold = new_user(app_metadata={"marker": marker}, user_metadata={"plan": "gold"})
    new_user(app_metadata={"marker": marker}, user_metadata={"plan": "silver"})
    body = users.list(
        q=f'app_metadata.marker:"{marker}" AND user_metadata.plan:"gold"',
        search_engine="v3",
        fields=["user_id", "user_metadata"],
    )
    assert (body["total"], body["start"], body["length"]) == (1, 0, 1)
    assert body["users"] == [{"user_id": gold["user_id"], "user_metadata": {"plan": "gold"}}]
    every = users.list(q=f"app_metadata.marker:{marker}", sort="created_at:-1", per_page=1)
    assert every["total"] == 2
    assert every["users"][0]["user_metadata"] == {"plan": "silver"}


def test_a_bad_query_raises_auth0_error_with_its_code(users: Users) -> None:
    with pytest.raises(Auth0Error) as caught:
        users.list(q="user_metadata.plan:(gold", search_engine="v3")
    assert caught.value.status_code == 400
    assert caught.value.error_code == "invalid_query_string"
    assert "character" in caught.value.message
