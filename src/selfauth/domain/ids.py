"""Identifiers in Auth0's shapes. Randomness comes from `secrets`; tests may inject their own."""

from __future__ import annotations

import secrets
import string
import time
import uuid

_ALNUM = string.ascii_letters + string.digits


def _alnum(length: int) -> str:
    return "".join(secrets.choice(_ALNUM) for _ in range(length))


def object_id() -> str:
    """24 hex digits, time first like a MongoDB ObjectId, as Auth0's database user ids are."""
    return f"{int(time.time()):08x}{secrets.token_hex(8)}"


def connection_id() -> str:
    return f"con_{_alnum(16)}"


def rule_id() -> str:
    return f"rul_{_alnum(16)}"


def random_uuid() -> str:
    """Actions, their versions and bindings are named by random UUIDs, as on Auth0."""
    return str(uuid.uuid4())


def client_grant_id() -> str:
    return f"cgr_{_alnum(16)}"


def client_id() -> str:
    return _alnum(32)


def client_secret() -> str:
    return secrets.token_urlsafe(48)
