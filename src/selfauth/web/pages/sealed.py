"""Short-lived string maps the browser carries and cannot alter: base64 JSON with an expiry,
signed with the server key under a purpose, so a value sealed for one use never opens in another.
"""

from __future__ import annotations

import base64
import binascii
import hmac
from collections.abc import Mapping
from datetime import datetime

import orjson

from selfauth.domain.clients.secrets import SecretHasher


def seal(
    values: Mapping[str, str], secrets: SecretHasher, now: datetime, *, purpose: str, lifetime: int
) -> str:
    expires = int(now.timestamp()) + lifetime
    body = base64.urlsafe_b64encode(orjson.dumps({"params": dict(values), "exp": expires})).decode()
    return f"{body}.{secrets.digest(f'{purpose}:{body}')}"


def open_sealed(
    value: str, secrets: SecretHasher, now: datetime, *, purpose: str
) -> dict[str, str] | None:
    """The values, or None when the value was altered, sealed for another purpose, or expired."""
    body, _, signature = value.partition(".")
    if not hmac.compare_digest(secrets.digest(f"{purpose}:{body}").encode(), signature.encode()):
        return None
    try:
        data = orjson.loads(base64.urlsafe_b64decode(body.encode()))
    except (binascii.Error, ValueError):
        return None
    if not isinstance(data, dict) or int(data.get("exp", 0)) < now.timestamp():
        return None
    values = data.get("params")
    if not isinstance(values, dict) or not all(isinstance(v, str) for v in values.values()):
        return None
    return values
