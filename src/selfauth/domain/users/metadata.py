"""Auth0's metadata rules: first-level merge, `null` deletes, `{}` clears, names and sizes.

Every write of `user_metadata`, `app_metadata` or `client_metadata` goes through here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson

from selfauth.domain.metadata_history import SYSTEM, Author
from selfauth.errors import InvalidBody

JsonObject = dict[str, Any]

# Names Auth0 refuses at the root of app_metadata: they shadow profile fields in Rules.
RESERVED_APP_METADATA_KEYS = frozenset(
    {
        "__tenant",
        "_id",
        "blocked",
        "clientID",
        "created_at",
        "email_verified",
        "email",
        "globalClientID",
        "global_client_id",
        "identities",
        "lastIP",
        "lastLogin",
        "loginsCount",
        "metadata",
        "multifactor_last_modified",
        "multifactor",
        "updated_at",
        "user_id",
    }
)


def merge(current: JsonObject, patch: JsonObject) -> JsonObject:
    """Apply a PATCH: `{}` clears; otherwise root keys replace, `null` deletes."""
    if not patch:
        return {}
    merged = dict(current)
    for key, value in patch.items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = value
    return merged


def check_names(value: Any, field: str, *, max_depth: int, depth: int = 1) -> None:
    """Refuse `.` and `$` in any property name, and containers nested deeper than `max_depth`.

    The metadata object itself is depth 1.
    """
    if isinstance(value, dict | list) and depth > max_depth:
        raise InvalidBody(
            f"Payload validation error: '{field}' is nested deeper than {max_depth} levels."
        )
    if isinstance(value, dict):
        for key, inner in value.items():
            if "." in key or "$" in key:
                raise InvalidBody(
                    f'Payload validation error: \'Property names cannot contain "." or "$"\' '
                    f"on property {field} ({key})."
                )
            check_names(inner, field, max_depth=max_depth, depth=depth + 1)
    elif isinstance(value, list):
        for inner in value:
            check_names(inner, field, max_depth=max_depth, depth=depth + 1)


def check_app_metadata_keys(patch: JsonObject) -> None:
    reserved = sorted(RESERVED_APP_METADATA_KEYS.intersection(patch))
    if reserved:
        raise InvalidBody(
            "Payload validation error: 'The following properties are reserved and cannot be "
            f"set in app_metadata: {', '.join(reserved)}'."
        )


def check_size(user_metadata: JsonObject, app_metadata: JsonObject, *, limit: int) -> None:
    """The two objects together, as compact JSON, must fit the configured limit."""
    size = len(orjson.dumps(user_metadata)) + len(orjson.dumps(app_metadata))
    if size > limit:
        raise InvalidBody(
            f"Payload validation error: 'user_metadata and app_metadata together are {size} "
            f"bytes; the limit is {limit} bytes'."
        )


@dataclass(frozen=True)
class MetadataLimits:
    """The checks every write of user and app metadata makes (the Management API, sign-up,
    hooks, imports), with the configured limits, so that no path can drift from another."""

    max_bytes: int = 16_384
    max_depth: int = 10

    def check_object(self, value: JsonObject, field: str) -> None:
        """Names without `.` or `$`, nesting within `max_depth`, and, for app_metadata, none
        of the reserved root keys."""
        check_names(value, field, max_depth=self.max_depth)
        if field == "app_metadata":
            check_app_metadata_keys(value)

    def validate_patch(self, user_patch: JsonObject | None, app_patch: JsonObject | None) -> None:
        """What a write was given (a PATCH, a new user's objects, the hooks' changes), checked
        before it reads the user."""
        if user_patch is not None:
            self.check_object(user_patch, "user_metadata")
        if app_patch is not None:
            self.check_object(app_patch, "app_metadata")

    def validate_result(self, user_metadata: JsonObject, app_metadata: JsonObject) -> None:
        """What the write would store: both objects together within `max_bytes`."""
        check_size(user_metadata, app_metadata, limit=self.max_bytes)


CLIENT_METADATA_MAX_KEYS = 10
CLIENT_METADATA_MAX_LENGTH = 255


def check_client_metadata(value: JsonObject, prop: str = "client_metadata") -> None:
    """At most 10 keys; keys and string values at most 255 characters."""
    if len(value) > CLIENT_METADATA_MAX_KEYS:
        raise InvalidBody(
            "Payload validation error: 'Too many properties defined "
            f"({len(value)}), maximum {CLIENT_METADATA_MAX_KEYS}' on property {prop}."
        )
    for key, inner in value.items():
        if len(key) > CLIENT_METADATA_MAX_LENGTH or "." in key or "$" in key or not key:
            raise InvalidBody(
                f"Payload validation error: 'Invalid property name {key[:40]!r}' on property "
                f"{prop} (names are 1-255 characters without '.' or '$')."
            )
        if not isinstance(inner, str):
            raise InvalidBody(
                "Payload validation error: 'Expected type string but found type "
                f"{json_type(inner)}' on property {prop}.{key}."
            )
        if len(inner) > CLIENT_METADATA_MAX_LENGTH:
            raise InvalidBody(
                f"Payload validation error: 'String is too long ({len(inner)} chars), maximum "
                f"{CLIENT_METADATA_MAX_LENGTH}' on property {prop}.{key}."
            )


def json_type(value: Any) -> str:
    """The JSON Schema name of a value's type, for error messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


SIGNUP_METADATA_MAX_KEYS = 10
SIGNUP_METADATA_MAX_NAME = 100
SIGNUP_METADATA_MAX_VALUE = 500


def check_signup_metadata(value: JsonObject) -> None:
    """What a user may set at sign-up: at most 10 string values (names 100, values 500 chars)."""
    if len(value) > SIGNUP_METADATA_MAX_KEYS:
        raise InvalidBody(f"user_metadata holds at most {SIGNUP_METADATA_MAX_KEYS} properties")
    for key, inner in value.items():
        if len(key) > SIGNUP_METADATA_MAX_NAME:
            raise InvalidBody(
                f"user_metadata property names are at most {SIGNUP_METADATA_MAX_NAME} characters"
            )
        if not isinstance(inner, str) or len(inner) > SIGNUP_METADATA_MAX_VALUE:
            raise InvalidBody(
                "user_metadata values must be strings of at most "
                f"{SIGNUP_METADATA_MAX_VALUE} characters"
            )


class MetadataChange:
    """What a login's hooks asked of one metadata object, in call order, as one change, and
    which hook asked for each key (for the metadata history).

    Actions set one root key at a time (`null` removes it); Rules' `updateXMetadata` merges a
    whole object at the root, where `{}` clears everything (the PATCH rule above).
    """

    def __init__(self) -> None:
        self.clear = False
        self.patch: JsonObject = {}
        self._authors: dict[str, Author] = {}
        self._cleared_by: Author | None = None

    def __bool__(self) -> bool:
        return self.clear or bool(self.patch)

    def set(self, key: str, value: Any, by: Author | None = None) -> None:
        self.patch[key] = value
        if by is not None:
            self._authors[key] = by

    def merge(self, value: JsonObject, by: Author | None = None) -> None:
        if not value:
            self.clear, self.patch = True, {}
            self._authors, self._cleared_by = {}, by
        else:
            self.patch.update(value)
            if by is not None:
                self._authors.update(dict.fromkeys(value, by))

    def author_of(self, key: str) -> Author:
        """The hook that set `key` last, or the one that cleared the object."""
        return self._authors.get(key) or self._cleared_by or Author(SYSTEM, name="hooks")

    def applied_to(self, current: JsonObject) -> JsonObject:
        result = {} if self.clear else dict(current)
        for key, value in self.patch.items():
            if value is None:
                result.pop(key, None)
            else:
                result[key] = value
        return result


class HookAuthors:
    """The author of each key one login's hooks changed."""

    def __init__(self, user_change: MetadataChange, app_change: MetadataChange) -> None:
        self._changes = {"user_metadata": user_change, "app_metadata": app_change}

    def of(self, field: str, key: str) -> Author:
        return self._changes[field].author_of(key)
