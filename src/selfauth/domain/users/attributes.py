"""Validation of root attributes: email, username, names, phone, picture."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from selfauth.errors import InvalidBody

_EMAIL = re.compile(r"^[^\s@]+@[^\s@]+$")
_E164 = re.compile(r"^\+[0-9]{1,15}$")
_USERNAME_CHARS = re.compile(r"^[a-z0-9@^$!\-#.+'~_`]+$")

# Maximum lengths of the free-text root attributes (Auth0's profile structure).
TEXT_LIMITS = {"given_name": 150, "family_name": 150, "name": 150, "nickname": 350}
PICTURE_MAX_LENGTH = 2048
# The longest value the users table holds for each root attribute (storage/tables.py): what an
# upstream provider or a custom database script may set; a longer value is left out, not cut.
STORED_LIMITS = {
    "email": 254,
    "username": 128,
    "phone_number": 16,
    "given_name": 150,
    "family_name": 150,
    "name": 300,
    "nickname": 350,
    "picture": PICTURE_MAX_LENGTH,
}


def fitting(values: Mapping[str, Any], names: Iterable[str]) -> dict[str, str]:
    """Of `values`, the attributes `names` that are non-empty strings the table can hold (a
    value that is not is left out, so nothing half-true lands on the profile)."""
    found: dict[str, str] = {}
    for name in names:
        value = values.get(name)
        if isinstance(value, str) and 0 < len(value) <= STORED_LIMITS[name]:
            found[name] = value
    return found


def _error(message: str, prop: str) -> InvalidBody:
    return InvalidBody(f"Payload validation error: '{message}' on property {prop}.")


def normalize_email(email: str, *, lower_case: bool) -> str:
    """Check an email's shape and lengths; database connections store it lower-cased."""
    local, _, _domain = email.rpartition("@")
    if not _EMAIL.match(email) or len(local) > 64 or len(email) > 254:
        raise _error("Object didn't pass validation for format email: " + email[:80], "email")
    return email.lower() if lower_case else email


def normalize_username(username: str, *, min_length: int = 1, max_length: int = 15) -> str:
    lowered = username.lower()
    if not min_length <= len(lowered) <= max_length:
        raise _error(
            f"String length must be between {min_length} and {max_length} characters", "username"
        )
    if not _USERNAME_CHARS.match(lowered):
        raise _error("Username contains characters that are not allowed", "username")
    if _EMAIL.match(lowered):
        raise _error("An email address cannot be used as a username", "username")
    return lowered


def check_text(prop: str, value: str) -> str:
    limit = TEXT_LIMITS[prop]
    if not 1 <= len(value) <= limit:
        raise _error(f"String length must be between 1 and {limit} characters", prop)
    return value


def check_phone(value: str) -> str:
    if not _E164.match(value):
        raise _error("Object didn't pass validation for format E.164 phone number", "phone_number")
    return value


def check_picture(value: str) -> str:
    if not value.startswith(("http://", "https://")) or len(value) > PICTURE_MAX_LENGTH:
        raise _error("Object didn't pass validation for format absolute-uri", "picture")
    return value


def username_limits(options: dict[str, Any]) -> tuple[int, int]:
    """A database connection's `validation.username` bounds (default 1-15)."""
    validation = options.get("validation") or {}
    bounds = validation.get("username") or {} if isinstance(validation, dict) else {}
    return int(bounds.get("min", 1)), int(bounds.get("max", 15))
