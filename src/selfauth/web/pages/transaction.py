"""The login page's transaction: the checked /authorize parameters, signed and short-lived,
carried in a hidden field so the form post can resume the request; and the form's CSRF token,
bound to that transaction and to the browser."""

from __future__ import annotations

import hmac
import re
import secrets as secrets_module
from collections.abc import Mapping
from datetime import datetime

from selfauth.domain.clients.secrets import SecretHasher
from selfauth.web.pages import sealed

LIFETIME_SECONDS = 900


def seal(params: Mapping[str, str], secrets: SecretHasher, now: datetime) -> str:
    return sealed.seal(params, secrets, now, purpose="tx", lifetime=LIFETIME_SECONDS)


def open_sealed(value: str, secrets: SecretHasher, now: datetime) -> dict[str, str] | None:
    """The parameters, or None when the value was altered or has expired."""
    return sealed.open_sealed(value, secrets, now, purpose="tx")


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
