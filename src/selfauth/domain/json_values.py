"""Facts about JSON values as clients send them."""

from __future__ import annotations

from typing import Any


def holds_nul(value: Any) -> bool:
    """Whether a NUL character stands in any string, key or value: no field holds one, and
    PostgreSQL's text and JSONB cannot store it."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any("\x00" in key or holds_nul(inner) for key, inner in value.items())
    if isinstance(value, list):
        return any(holds_nul(inner) for inner in value)
    return False
