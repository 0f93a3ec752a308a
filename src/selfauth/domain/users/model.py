"""The stored user profile."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from selfauth.errors import NotFound

JsonObject = dict[str, Any]
USER_NOT_FOUND = "The user does not exist."
# The fields a user listing may be sorted by (`sort=field:1|-1`, Auth0's list).
SORTABLE = frozenset(
    {
        "created_at",
        "updated_at",
        "last_login",
        "email",
        "name",
        "nickname",
        "given_name",
        "family_name",
        "username",
        "user_id",
        "logins_count",
    }
)


def inexistent_user() -> NotFound:
    return NotFound(USER_NOT_FOUND, error_code="inexistent_user")


@dataclass(frozen=True)
class User:
    """A user as stored: one row. `password_hash` never leaves the server (see views.py)."""

    user_id: str
    connection_id: str
    created_at: datetime
    updated_at: datetime
    email: str | None = None
    email_verified: bool = False
    username: str | None = None
    phone_number: str | None = None
    phone_verified: bool = False
    given_name: str | None = None
    family_name: str | None = None
    name: str | None = None
    nickname: str | None = None
    picture: str | None = None
    blocked: bool = False
    password_hash: str | None = field(default=None, repr=False)
    identities: list[JsonObject] = field(default_factory=list)
    user_metadata: JsonObject = field(default_factory=dict)
    app_metadata: JsonObject = field(default_factory=dict)
    last_login: datetime | None = None
    last_ip: str | None = None
    logins_count: int = 0
    last_password_reset: datetime | None = None
    # Set on a secondary account linked to another user (domain/users/linking.py): the
    # primary's user_id. Such a user is hidden from the Management API; signing in through
    # it signs the primary in.
    linked_to: str | None = None
