"""The `scope` request parameter (RFC 6749 3.3)."""

from __future__ import annotations

from typing import Any

from selfauth.oauth.errors import InvalidRequest


def requested_scopes(value: Any) -> list[str] | None:
    """The scopes asked for, in order and without repeats; None when none are asked for."""
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise InvalidRequest("scope must be a space-separated string")
    return list(dict.fromkeys(value.split()))
