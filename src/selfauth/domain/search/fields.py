"""Which fields a search may name, and how a query's text becomes a value of each field's type.

Case rules follow Auth0: email, name, given_name, family_name and nickname compare without
regard to case; every other field, metadata included, is case-sensitive.
"""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime, timedelta

from selfauth.domain.search.ast import Field, FieldKind, ValueType

T = ValueType
ROOT_FIELDS: dict[str, ValueType] = {
    "user_id": T.TEXT,
    "email": T.FOLDED_TEXT,
    "email_verified": T.BOOLEAN,
    "username": T.TEXT,
    "phone_number": T.TEXT,
    "phone_verified": T.BOOLEAN,
    "given_name": T.FOLDED_TEXT,
    "family_name": T.FOLDED_TEXT,
    "name": T.FOLDED_TEXT,
    "nickname": T.FOLDED_TEXT,
    "picture": T.TEXT,
    "blocked": T.BOOLEAN,
    "created_at": T.DATE,
    "updated_at": T.DATE,
    "last_login": T.DATE,
    "last_ip": T.TEXT,
    "logins_count": T.NUMBER,
    "last_password_reset": T.DATE,
}
IDENTITY_KEYS: dict[str, ValueType] = {
    "connection": T.TEXT,
    "provider": T.TEXT,
    "user_id": T.TEXT,
    "isSocial": T.BOOLEAN,
}
METADATA_COLUMNS = ("user_metadata", "app_metadata")
# A term without a field searches these (never metadata, as in Auth0).
UNFIELDED = ("email", "name", "given_name", "family_name", "nickname", "username", "user_id")
EXISTS = "_exists_"


def quote(text: str) -> str:
    """A piece of the query for an error message: quoted, and short."""
    return json.dumps(text if len(text) <= 40 else text[:40] + "...")


class FieldError(ValueError):
    """The text names no field, or is not a value of the field's type."""


def resolve(name: str, *, for_exists: bool = False) -> Field:
    """The field a query names: `email`, `email.domain`, `identities.connection`,
    `user_metadata.a.b`, ..."""
    if name in ROOT_FIELDS:
        return Field(FieldKind.ROOT, name, ROOT_FIELDS[name])
    if name == "email.domain":
        return Field(FieldKind.EMAIL_DOMAIN, "email", T.FOLDED_TEXT)
    head, _, rest = name.partition(".")
    if head == "identities" and rest in IDENTITY_KEYS:
        return Field(FieldKind.IDENTITY, rest, IDENTITY_KEYS[rest])
    if head in METADATA_COLUMNS:
        path = tuple(rest.split(".")) if rest else ()
        if any(not key for key in path) or (not path and not for_exists):
            raise FieldError(f"{head} needs a key path such as {head}.plan")
        return Field(FieldKind.METADATA, head, T.ANY, path)
    raise FieldError(f"unknown field {quote(name)}")


def number(text: str) -> float | None:
    """The number a text spells, if it spells one (no nan, infinity or 1_000)."""
    if "_" in text:
        return None
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def boolean(text: str) -> bool | None:
    lowered = text.lower()
    return True if lowered == "true" else False if lowered == "false" else None


def interval(text: str) -> tuple[datetime, datetime]:
    """The instants a date names, as [start, end): `2017`, `2017-12`, `2017-12-31`, or a full
    ISO 8601 timestamp (without offset: UTC)."""
    parts = text.split("-")
    try:
        if len(parts) == 1 and len(text) == 4 and text.isdigit():
            start = datetime(int(text), 1, 1, tzinfo=UTC)
            return start, start.replace(year=start.year + 1)
        if len(parts) == 2 and len(text) == 7 and parts[0].isdigit() and parts[1].isdigit():
            start = datetime(int(parts[0]), int(parts[1]), 1, tzinfo=UTC)
            following = (start + timedelta(days=32)).replace(day=1)
            return start, following
        if len(text) == 10:
            start = datetime.fromisoformat(text).replace(tzinfo=UTC)
            return start, start + timedelta(days=1)
        instant = datetime.fromisoformat(text)
    except (ValueError, OverflowError):
        raise FieldError(
            f"{quote(text)} is not a date (2017, 2017-12, 2017-12-31 or ISO 8601)"
        ) from None
    instant = instant.replace(tzinfo=UTC) if instant.tzinfo is None else instant.astimezone(UTC)
    return instant, instant + timedelta(microseconds=1)


def typed(field: Field, text: str) -> float | bool | str:
    """A root or identity field's value (dates go through `interval`)."""
    if field.type is T.NUMBER:
        found = number(text)
        if found is None:
            raise FieldError(f"{field.label} takes a number, not {quote(text)}")
        return found
    if field.type is T.BOOLEAN:
        flag = boolean(text)
        if flag is None:
            raise FieldError(f"{field.label} takes true or false, not {quote(text)}")
        return flag
    return text


def metadata_values(text: str) -> tuple[str | float | bool, ...]:
    """A metadata value may be stored as a string, a number or a boolean: `30` matches the
    number 30 and the string "30"; `true` matches the boolean and the string."""
    values: list[str | float | bool] = [text]
    found = number(text)
    if found is not None:
        values.append(found)
    flag = boolean(text) if text in ("true", "false") else None
    if flag is not None:
        values.append(flag)
    return tuple(values)
