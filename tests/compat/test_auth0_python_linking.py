"""auth0-python 4.13's account linking, unchanged: `Users.link_user_account(user_id, body)` and
`Users.unlink_user_account(id, provider, user_id)` (which sends the primary's id and the
identity's user_id unencoded in the path), and the `Auth0Error` our refusals become.

What an SDK sees on the wire; tests/api/test_account_linking.py covers each database: this
module runs on SQLite."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from auth0.exceptions import Auth0Error
from auth0.management import Users, UsersByEmail

pytestmark = pytest.mark.sqlite_only

NewUser = Callable[..., dict[str, Any]]


def test_link_and_unlink_through_the_sdk(
    users: Users, users_by_email: UsersByEmail, new_user: NewUser
) -> None:
    primary = new_user(user_metadata={"kept": True})
    secondary = new_user(given_name="Second", user_metadata={"dropped": True})
    local = secondary["identities"][0]["user_id"]
    identities = users.link_user_account(
        primary["user_id"], {"provider": "auth0", "user_id": local}
    )
    assert [i["user_id"] for i in identities] == [primary["identities"][0]["user_id"], local]
    assert identities[1]["profileData"]["given_name"] == "Second"
    assert identities[1]["profileData"]["email"] == secondary["email"]
    with pytest.raises(Auth0Error) as missing:
        users.get(secondary["user_id"])
    assert (missing.value.status_code, missing.value.error_code) == (404, "inexistent_user")
    assert users_by_email.search_users_by_email(secondary["email"]) == []
    assert users.get(primary["user_id"])["user_metadata"] == {"kept": True}

    remaining = users.unlink_user_account(primary["user_id"], "auth0", local)
    assert remaining == primary["identities"]
    back = users.get(secondary["user_id"])
    assert back["given_name"] == "Second"
    assert "user_metadata" not in back


def test_refusals_reach_the_sdk_as_auth0_errors(users: Users, new_user: NewUser) -> None:
    primary = new_user()
    own = primary["identities"][0]["user_id"]
    with pytest.raises(Auth0Error) as itself:
        users.link_user_account(primary["user_id"], {"provider": "auth0", "user_id": own})
    assert itself.value.status_code == 400
    assert itself.value.error_code == "operation_not_supported"
    with pytest.raises(Auth0Error) as main:
        users.unlink_user_account(primary["user_id"], "auth0", own)
    assert main.value.status_code == 400
    with pytest.raises(Auth0Error) as unknown:
        users.link_user_account(primary["user_id"], {"provider": "auth0", "user_id": "nobody"})
    assert (unknown.value.status_code, unknown.value.error_code) == (404, "inexistent_user")
