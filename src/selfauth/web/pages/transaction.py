"""The login page's transaction: the checked /authorize parameters, signed and short-lived,
carried in a hidden field so the form post can resume the request."""

from __future__ import annotations

import base64
import binascii
import hmac
import time
from collections.abc import Mapping

import orjson

from selfauth.domain.clients.secrets import SecretHasher

LIFETIME_SECONDS = 900


def seal(params: Mapping[str, str], secrets: SecretHasher) -> str:
    body = base64.urlsafe_b64encode(
        orjson.dumps({"params": dict(params), "exp": int(time.time()) + LIFETIME_SECONDS})
    ).decode()
    return f"{body}.{secrets.digest('tx:' + body)}"


def open_sealed(value: str, secrets: SecretHasher) -> dict[str, str] | None:
    """The parameters, or None when the value was altered or has expired."""
    body, _, signature = value.partition(".")
    if not hmac.compare_digest(secrets.digest("tx:" + body), signature):
        return None
    try:
        data = orjson.loads(base64.urlsafe_b64decode(body.encode()))
    except (binascii.Error, ValueError):
        return None
    if not isinstance(data, dict) or int(data.get("exp", 0)) < time.time():
        return None
    params = data.get("params")
    if not isinstance(params, dict) or not all(isinstance(v, str) for v in params.values()):
        return None
    return params
