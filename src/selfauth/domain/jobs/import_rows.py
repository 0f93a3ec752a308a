"""One user object of an import file: Auth0's bulk-import schema, checked row by row.

A bad row fails alone with Auth0's error codes (`OBJECT_REQUIRED`, `INVALID_TYPE`, `FORMAT`,
`PATTERN`, `MAX_LENGTH`, ...); the file goes on.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import orjson

from selfauth.domain import password_hashes
from selfauth.domain.connections.model import Connection
from selfauth.domain.jobs.model import RowError
from selfauth.domain.json_values import holds_nul
from selfauth.domain.metadata_schemas.service import NONE, Applied
from selfauth.domain.users import attributes
from selfauth.domain.users.metadata import MetadataLimits, json_type
from selfauth.errors import InvalidBody

ID_PREFIX = "auth0|"
ALLOWED = frozenset(
    {
        "email",
        "email_verified",
        "phone_number",
        "phone_verified",
        "user_id",
        "username",
        "given_name",
        "family_name",
        "name",
        "nickname",
        "picture",
        "blocked",
        "password_hash",
        "custom_password_hash",
        "app_metadata",
        "user_metadata",
        "mfa_factors",
    }
)
# What an upsert may change on an existing user (Auth0's list).
UPSERTABLE = (
    "email_verified",
    "given_name",
    "family_name",
    "name",
    "nickname",
    "picture",
    "user_metadata",
    "app_metadata",
)
_BOOLEANS = ("email_verified", "phone_verified", "blocked")
_QUOTED = re.compile(r"'(.*)'")
_TOTP = re.compile(r"^[A-Z2-7]+$")
_PHONE = re.compile(r"^\+[0-9]{1,15}$")


@dataclass
class ImportRow:
    """A valid row, normalized: what to insert, or what an upsert overwrites."""

    email: str
    local_id: str | None
    username: str | None
    values: dict[str, Any]
    password_hash: str | None
    custom_hash: bool
    given: frozenset[str] = field(default_factory=frozenset)

    def identifiers(self) -> list[str]:
        """Keys that make two rows of one file the same user."""
        keys = [f"e:{self.email}"]
        if self.local_id is not None:
            keys.append(f"i:{self.local_id}")
        if self.username is not None:
            keys.append(f"u:{self.username}")
        return keys


@dataclass(frozen=True)
class RowRules:
    connection: Connection
    metadata: MetadataLimits
    schemas: Applied = NONE  # the connection's metadata schemas (domain/metadata_schemas)
    upsert: bool = False


def check_row(raw: Any, rules: RowRules) -> ImportRow | list[RowError]:
    if not isinstance(raw, dict):
        return [
            RowError("INVALID_TYPE", f"Expected type object but found type {json_type(raw)}", "")
        ]
    if holds_nul(raw):
        return [RowError("FORMAT", "Strings cannot contain the NUL character", "")]
    errors: list[RowError] = []
    extra = sorted(set(raw) - ALLOWED)
    if extra:
        errors.append(
            RowError(
                "OBJECT_ADDITIONAL_PROPERTIES",
                f"Additional properties not allowed: {','.join(extra)}",
                extra[0],
            )
        )
    values: dict[str, Any] = {}
    for key in _BOOLEANS:
        if key in raw:
            if isinstance(raw[key], bool):
                values[key] = raw[key]
            else:
                errors.append(_type_error("boolean", raw[key], key))
    email = _email(raw, errors)
    username = _username(raw, rules.connection, errors)
    local_id = _local_id(raw, errors)
    for key, limit in attributes.TEXT_LIMITS.items():
        if key in raw:
            values[key] = _text(raw[key], key, limit, errors)
    if "phone_number" in raw:
        values["phone_number"] = _checked(raw["phone_number"], "phone_number", "FORMAT", errors)
    if "picture" in raw:
        values["picture"] = _checked(raw["picture"], "picture", "FORMAT", errors)
    for key in ("user_metadata", "app_metadata"):
        if key in raw:
            values[key] = _metadata(raw[key], key, rules, errors)
    if not errors and ("user_metadata" in values or "app_metadata" in values):
        _size(values.get("user_metadata"), values.get("app_metadata"), rules, errors)
    if not errors:
        _schemas(values, rules, errors)
    password_hash, custom = _password(raw, errors)
    if "mfa_factors" in raw:
        _mfa_factors(raw["mfa_factors"], errors)
    if errors or email is None:
        return errors
    return ImportRow(
        email=email,
        local_id=local_id,
        username=username,
        values=values,
        password_hash=password_hash,
        custom_hash=custom,
        given=frozenset(raw),
    )


def _type_error(expected: str, value: Any, path: str) -> RowError:
    return RowError(
        "INVALID_TYPE", f"Expected type {expected} but found type {json_type(value)}", path
    )


def _reason(exc: InvalidBody) -> str:
    found = _QUOTED.search(exc.message)
    return found.group(1) if found else exc.message


def _email(raw: dict[str, Any], errors: list[RowError]) -> str | None:
    if "email" not in raw:
        errors.append(RowError("OBJECT_REQUIRED", "Missing required property: email", "email"))
        return None
    value = raw["email"]
    if not isinstance(value, str):
        errors.append(_type_error("string", value, "email"))
        return None
    try:
        return attributes.normalize_email(value, lower_case=True)
    except InvalidBody as exc:
        errors.append(RowError("FORMAT", _reason(exc), "email"))
        return None


def _username(raw: dict[str, Any], connection: Connection, errors: list[RowError]) -> str | None:
    """A row without a username is inserted even where the connection requires one, as Auth0
    does: the user signs in with the email until a username is set."""
    value = raw.get("username")
    if value is None:
        return None
    if not isinstance(value, str):
        errors.append(_type_error("string", value, "username"))
        return None
    low, high = attributes.username_limits(connection.options)
    if len(value) < low:
        errors.append(RowError("MIN_LENGTH", f"String is too short, minimum {low}", "username"))
    elif len(value) > high:
        errors.append(RowError("MAX_LENGTH", f"String is too long, maximum {high}", "username"))
    else:
        try:
            return attributes.normalize_username(value, min_length=low, max_length=high)
        except InvalidBody as exc:
            errors.append(RowError("PATTERN", _reason(exc), "username"))
    return None


def _local_id(raw: dict[str, Any], errors: list[RowError]) -> str | None:
    value = raw.get("user_id")
    if value is None:
        return None
    if not isinstance(value, str):
        errors.append(_type_error("string", value, "user_id"))
        return None
    local = value.removeprefix(ID_PREFIX)
    if not local or len(local) > 255 or "|" in local:
        errors.append(RowError("FORMAT", "Invalid user_id", "user_id"))
        return None
    return local


def _text(value: Any, key: str, limit: int, errors: list[RowError]) -> str | None:
    if not isinstance(value, str):
        errors.append(_type_error("string", value, key))
        return None
    if not value:
        errors.append(RowError("MIN_LENGTH", "String is too short (0 chars), minimum 1", key))
    elif len(value) > limit:
        message = f"String is too long ({len(value)} chars), maximum {limit}"
        errors.append(RowError("MAX_LENGTH", message, key))
    return value


def _checked(value: Any, key: str, code: str, errors: list[RowError]) -> str | None:
    if not isinstance(value, str):
        errors.append(_type_error("string", value, key))
        return None
    try:
        if key == "phone_number":
            return attributes.check_phone(value)
        return attributes.check_picture(value)
    except InvalidBody as exc:
        errors.append(RowError(code, _reason(exc), key))
        return None


def _metadata(
    value: Any, key: str, rules: RowRules, errors: list[RowError]
) -> dict[str, Any] | None:
    if not isinstance(value, dict):
        errors.append(_type_error("object", value, key))
        return None
    try:
        rules.metadata.check_object(value, key)
    except InvalidBody as exc:
        errors.append(RowError("NOT_PASSED", _reason(exc), key))
        return None
    # Stored as given, minus `null` values, as POST /users stores them.
    return {name: inner for name, inner in value.items() if inner is not None}


def _size(
    user_metadata: dict[str, Any] | None,
    app_metadata: dict[str, Any] | None,
    rules: RowRules,
    errors: list[RowError],
) -> None:
    size = len(orjson.dumps(user_metadata or {})) + len(orjson.dumps(app_metadata or {}))
    limit = rules.metadata.max_bytes
    if size > limit:
        message = f"Metadata is {size} bytes; the limit is {limit} bytes"
        errors.append(RowError("MAX_LENGTH", message, "user_metadata"))


def _schemas(values: dict[str, Any], rules: RowRules, errors: list[RowError]) -> None:
    """The metadata a row stores obeys its schema: the objects it gives, and the `{}` a new
    user starts with when it gives none (an upsert keeps a matched user's, so it is not
    checked then). The error's code is the rule broken (`minimum` -> MINIMUM)."""
    for key in ("user_metadata", "app_metadata"):
        schema = rules.schemas.get(key)
        if schema is None or (key not in values and rules.upsert):
            continue
        found = schema.violation(values.get(key) or {})
        if found is not None:
            errors.append(
                RowError(found.code, f"Metadata schema violation: {found.text}", found.path)
            )


def _password(raw: dict[str, Any], errors: list[RowError]) -> tuple[str | None, bool]:
    if "password_hash" in raw and "custom_password_hash" in raw:
        errors.append(
            RowError(
                "NOT_PASSED",
                "password_hash and custom_password_hash cannot be used together",
                "custom_password_hash",
            )
        )
        return None, False
    try:
        if "password_hash" in raw:
            return password_hashes.check_bcrypt(raw["password_hash"]), False
        if "custom_password_hash" in raw:
            return password_hashes.from_custom(raw["custom_password_hash"]), True
    except password_hashes.HashProblem as problem:
        errors.append(RowError(problem.code, problem.message, problem.path))
    return None, False


def _mfa_factors(value: Any, errors: list[RowError]) -> None:
    """Checked for shape as Auth0 does; selfauth has no MFA yet, so they are not stored."""
    if not isinstance(value, list):
        errors.append(_type_error("array", value, "mfa_factors"))
        return
    if not 1 <= len(value) <= 10:
        code = "ARRAY_LENGTH_SHORT" if not value else "ARRAY_LENGTH_LONG"
        errors.append(RowError(code, "mfa_factors holds 1 to 10 factors", "mfa_factors"))
        return
    for index, factor in enumerate(value):
        path = f"mfa_factors.{index}"
        if not isinstance(factor, dict) or len(factor) != 1:
            errors.append(RowError("MFA_FACTORS_FAILED", "Expected exactly one factor", path))
            continue
        kind, inner = next(iter(factor.items()))
        checks = {"totp": ("secret", _TOTP), "phone": ("value", _PHONE), "email": ("value", None)}
        if kind not in checks or not isinstance(inner, dict):
            errors.append(RowError("MFA_FACTORS_FAILED", f"Unknown factor {kind}", path))
            continue
        prop, pattern = checks[kind]
        found = inner.get(prop)
        if not isinstance(found, str) or (pattern is not None and not pattern.match(found)):
            errors.append(RowError("PATTERN", f"Invalid {kind} {prop}", f"{path}.{kind}.{prop}"))
