"""Client authentication at the token endpoint (RFC 6749 section 2.3.1)."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from selfauth.oauth.errors import InvalidClient, InvalidRequest


@dataclass(frozen=True)
class ClientCredentials:
    client_id: str
    client_secret: str | None
    method: str  # client_secret_basic | client_secret_post | none


def read_credentials(params: dict[str, Any], authorization: str | None) -> ClientCredentials:
    """Credentials from HTTP Basic or from the body; using both at once is refused."""
    body_id = params.get("client_id")
    body_secret = params.get("client_secret")
    if authorization and authorization[:6].lower() == "basic ":
        if body_secret is not None:
            raise InvalidRequest("Use either HTTP Basic or client_secret in the body, not both.")
        client_id, secret = _parse_basic(authorization[6:].strip())
        if body_id is not None and body_id != client_id:
            raise InvalidRequest("client_id in the body differs from the one in HTTP Basic.")
        return ClientCredentials(client_id, secret, "client_secret_basic")
    if not isinstance(body_id, str) or not body_id:
        raise InvalidRequest("Missing required parameter: client_id")
    if body_secret is not None and not isinstance(body_secret, str):
        raise InvalidRequest("client_secret must be a string")
    method = "client_secret_post" if body_secret is not None else "none"
    return ClientCredentials(body_id, body_secret, method)


def _parse_basic(token: str) -> tuple[str, str]:
    try:
        decoded = base64.b64decode(token, validate=True).decode()
    except ValueError as exc:  # binascii.Error, UnicodeDecodeError, or non-ASCII (Latin-1) input
        raise InvalidClient("Malformed HTTP Basic credentials.") from exc
    client_id, sep, secret = decoded.partition(":")
    if not sep or not client_id:
        raise InvalidClient("Malformed HTTP Basic credentials.")
    # RFC 6749 2.3.1: both parts are form-urlencoded before base64.
    client_id, secret = unquote(client_id.replace("+", " ")), unquote(secret.replace("+", " "))
    if "\x00" in client_id or "\x00" in secret:  # PostgreSQL text cannot hold NUL
        raise InvalidClient("Malformed HTTP Basic credentials.")
    return client_id, secret
