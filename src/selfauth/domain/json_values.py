"""Facts about JSON values as clients send them."""

from __future__ import annotations

from typing import Any

import orjson


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


def same_json(old: Any, new: Any) -> bool:
    """Whether two values are the same JSON. Python holds 1 == True and 1 == 1.0, which JSON
    tells apart; values that compare equal are compared again as JSON text (a merge keeps
    untouched values as the same objects, which costs nothing)."""
    return old is new or (old == new and orjson.dumps(old) == orjson.dumps(new))
