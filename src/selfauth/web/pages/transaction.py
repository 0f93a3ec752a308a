"""The login page's transaction: the checked /authorize parameters, signed and short-lived,
carried in a hidden field so the form post can resume the request; and the form's CSRF token,
bound to that transaction and to the browser."""

from __future__ import annotations

import base64
import binascii
import hmac
import re
import secrets as secrets_module
from collections.abc import Mapping
from datetime import datetime

import orjson

from selfauth.domain.clients.secrets import SecretHasher

LIFETIME_SECONDS = 900


def seal(params: Mapping[str, str], secrets: SecretHasher, now: datetime) -> str:
    expires = int(now.timestamp()) + LIFETIME_SECONDS
    body = base64.urlsafe_b64encode(orjson.dumps({"params": dict(params), "exp": expires})).decode()
    return f"{body}.{secrets.digest('tx:' + body)}"


def open_sealed(value: str, secrets: SecretHasher, now: datetime) -> dict[str, str] | None:
    """The parameters, or None when the value was altered or has expired."""
    body, _, signature = value.partition(".")
    if not hmac.compare_digest(secrets.digest("tx:" + body), signature):
        return None
    try:
        data = orjson.loads(base64.urlsafe_b64decode(body.encode()))
    except (binascii.Error, ValueError):
        return None
    if not isinstance(data, dict) or int(data.get("exp", 0)) < now.timestamp():
        return None
    params = data.get("params")
    if not isinstance(params, dict) or not all(isinstance(v, str) for v in params.values()):
        return None
    return params


# A browser key as `new_browser_key` makes it; anything else a cookie holds is replaced.
_BROWSER_KEY = re.compile(r"[A-Za-z0-9_-]{32}")


def new_browser_key() -> str:
    return secrets_module.token_urlsafe(24)


def is_browser_key(value: str | None) -> bool:
    return value is not None and _BROWSER_KEY.fullmatch(value) is not None


def csrf_token(browser_key: str, tx: str, secrets: SecretHasher) -> str:
    """The form's token: a server-keyed MAC of the browser's cookie and the transaction.

    A plain double submit (field equals cookie) accepts any pair an attacker sets; this one
    cannot be made without the server's key, and a token is good for one transaction in one
    browser only."""
    return secrets.digest(f"csrf|{browser_key}|{tx}")


def csrf_matches(browser_key: str | None, tx: str, given: str, secrets: SecretHasher) -> bool:
    if not is_browser_key(browser_key) or not tx:
        return False
    assert browser_key is not None
    return hmac.compare_digest(csrf_token(browser_key, tx, secrets).encode(), given.encode())
