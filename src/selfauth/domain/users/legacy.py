"""The tenant's own user store behind a custom database connection
(domain/connections/custom_database.py), as the user service sees it: the scripts' calls
(`LegacyStore`, run in the sandbox by flows/custom_database.py), the errors they answer, and
how a profile a script returned becomes a stored user."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Any, Protocol

from selfauth.domain.connections.model import Connection
from selfauth.domain.users.attributes import STORED_LIMITS, fitting
from selfauth.domain.users.model import User
from selfauth.domain.users.views import default_picture
from selfauth.errors import SelfauthError

WRONG_CREDENTIALS_ERROR = "WrongUsernameOrPasswordError"
VALIDATION_ERROR = "ValidationError"
UNAUTHORIZED_ERROR = "UnauthorizedError"
ID_PREFIX = "auth0|"
# What a script's profile may set besides the email.
_TEXT = ("username", "phone_number", "given_name", "family_name", "name", "nickname", "picture")
_MAX_ID = 255


class ScriptError(Exception):
    """A custom database script answered an error (`kind`: Auth0's error type, `code` a
    ValidationError's) or could not answer (threw, timed out, never called back: "Error")."""

    def __init__(self, script: str, message: str, kind: str = "Error", code: str | None = None):
        super().__init__(message)
        self.script = script
        self.message = message
        self.kind = kind
        self.code = code

    @property
    def wrong_credentials(self) -> bool:
        return self.kind == WRONG_CREDENTIALS_ERROR

    @property
    def unauthorized(self) -> bool:
        return self.kind == UNAUTHORIZED_ERROR

    @property
    def user_exists(self) -> bool:
        return self.kind == VALIDATION_ERROR and self.code == "user_exists"

    def described(self) -> str:
        """`Script {name} failed: {why}`, what a user or an API caller reads."""
        why = self.message.removeprefix(f"The {self.script} script failed: ")
        return f"Script {self.script} failed: {why}"


class ScriptRefused(SelfauthError):
    """A script's error where an API answers it (sign-up, PATCH, DELETE, reset)."""

    status_code = 400
    error_code = "invalid_body"

    @classmethod
    def of(cls, error: ScriptError) -> ScriptRefused:
        if error.unauthorized:
            refused = cls(error.message, error_code="unauthorized")
            refused.status_code = 401
            return refused
        return cls(error.described())


class LegacyStore(Protocol):
    """Each call runs one of the connection's scripts; `ScriptError` when it fails."""

    async def login(
        self, connection: Connection, identifier: str, password: str
    ) -> dict[str, Any] | None: ...
    async def get_user(self, connection: Connection, email: str) -> dict[str, Any] | None: ...
    async def create(self, connection: Connection, user: dict[str, Any]) -> None: ...
    async def change_password(self, connection: Connection, email: str, password: str) -> Any: ...
    async def verify(self, connection: Connection, email: str) -> Any: ...
    async def delete(self, connection: Connection, local_id: str) -> None: ...
    async def change_email(
        self, connection: Connection, email: str, new_email: str, verified: bool
    ) -> Any: ...


def local_id(script: str, profile: dict[str, Any]) -> str:
    """The profile's `user_id` without a given `auth0|` prefix (Auth0 adds its own)."""
    raw = profile.get("user_id", profile.get("id"))
    if isinstance(raw, bool) or not isinstance(raw, str | int) or str(raw) == "":
        raise ScriptError(script, "the profile has no user_id")
    local = str(raw).removeprefix(ID_PREFIX)
    if not local or len(local) > _MAX_ID:
        raise ScriptError(script, "the profile's user_id is empty or too long")
    return local


def _root(profile: dict[str, Any]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    email = profile.get("email")
    if isinstance(email, str) and 0 < len(email.strip()) <= STORED_LIMITS["email"]:
        values["email"] = email.strip().lower()
    if isinstance(profile.get("email_verified"), bool):
        values["email_verified"] = profile["email_verified"]
    values |= fitting(profile, _TEXT)
    if isinstance(values.get("username"), str):
        values["username"] = values["username"].lower()
    return values


def _metadata(profile: dict[str, Any], key: str) -> dict[str, Any] | None:
    value = profile.get(key)
    return value if isinstance(value, dict) else None


def new_legacy_user(
    connection: Connection,
    script: str,
    profile: dict[str, Any],
    now: datetime,
    password_hash: str | None,
) -> User:
    """The user a profile from `login` or `get_user` makes (`auth0|{user_id}`)."""
    local = local_id(script, profile)
    root = _root(profile)
    email = root.get("email")
    nickname = root.get("nickname") or (
        email.split("@")[0] if email else root.get("username") or local
    )
    root["nickname"] = nickname
    root["name"] = root.get("name") or email or root.get("username") or local
    root["picture"] = root.get("picture") or default_picture(email, nickname)
    return User(
        user_id=f"{ID_PREFIX}{local}",
        connection_id=connection.id,
        created_at=now,
        updated_at=now,
        **root,
        password_hash=password_hash,
        identities=[
            {
                "connection": connection.name,
                "provider": "auth0",
                "user_id": local,
                "isSocial": False,
            }
        ],
        user_metadata=_metadata(profile, "user_metadata") or {},
        app_metadata=_metadata(profile, "app_metadata") or {},
    )


def refreshed(
    current: User, profile: dict[str, Any], now: datetime, password_hash: str | None
) -> User:
    """The cached profile after another login: what the script returned replaces what it
    returned before; metadata it did not return is kept."""
    updated = dataclasses.replace(current, **_root(profile), updated_at=now)
    user_metadata = _metadata(profile, "user_metadata")
    if user_metadata is not None:
        updated = dataclasses.replace(updated, user_metadata=user_metadata)
    app_metadata = _metadata(profile, "app_metadata")
    if app_metadata is not None:
        updated = dataclasses.replace(updated, app_metadata=app_metadata)
    if password_hash is not None:
        updated = dataclasses.replace(updated, password_hash=password_hash)
    return updated
