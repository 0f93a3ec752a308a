"""Errors the product raises: one hierarchy for every API.

Each error knows its HTTP status, its code, the headers it needs and whether `/authorize` may
send it back to the application. `web/errors.py` renders it in the shape of the API that was
called, in one place:

- Management API (`/api/v2`): `{statusCode, error, message, errorCode}`
- OAuth endpoints (`/oauth/*`, `/userinfo`, `/authorize`'s redirects): `{error,
  error_description}`, where `error` is the code
- Authentication API (`/dbconnections/*`, read by auth0.js and Lock): `{name, code,
  description, statusCode}`
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

_NO_HEADERS: Mapping[str, str] = MappingProxyType({})


class SelfauthError(Exception):
    status_code = 400
    error_code = "invalid_body"  # Management `errorCode`, OAuth `error`, Authentication `code`
    name = "BadRequestError"  # the Authentication API's `name`
    # RFC 6749 4.1.2.1: an error about the request (not about the client or its redirect URI)
    # goes back to the application's redirect URI; anything else gets an error page.
    redirect = False
    # Further fields of the error body (a script's `line` and `column`), after Auth0's four.
    details: dict[str, object] | None = None

    def __init__(
        self, message: str, *, error_code: str | None = None, redirect: bool | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        if error_code is not None:
            self.error_code = error_code
        if redirect is not None:
            self.redirect = redirect

    @property
    def headers(self) -> Mapping[str, str]:
        """Headers the answer needs whatever its shape (a challenge on a 401)."""
        return _NO_HEADERS

    # OAuth's names for the same two facts (RFC 6749 5.2).
    @property
    def error(self) -> str:
        return self.error_code

    @property
    def description(self) -> str:
        return self.message


class InvalidBody(SelfauthError):
    status_code = 400
    error_code = "invalid_body"


class InvalidQueryString(SelfauthError):
    status_code = 400
    error_code = "invalid_query_string"


class OperationNotSupported(SelfauthError):
    status_code = 400
    error_code = "operation_not_supported"


class PasswordStrengthError(SelfauthError):
    """`policy` describes what the connection asks of a password (sign-up forms show it)."""

    status_code = 400
    error_code = "invalid_body"
    name = "PasswordStrengthError"

    def __init__(self, message: str, *, policy: str) -> None:
        super().__init__(message)
        self.policy = policy


class Unauthorized(SelfauthError):
    """A bearer token is missing or does not verify (RFC 6750 3.1)."""

    status_code = 401
    error_code = "invalid_token"
    name = "UnauthorizedError"

    @property
    def headers(self) -> Mapping[str, str]:
        reason = self.message.replace("\\", "").replace('"', "'")
        challenge = f'Bearer error="invalid_token", error_description="{reason}"'
        return {"WWW-Authenticate": challenge}


class Forbidden(SelfauthError):
    status_code = 403
    error_code = "insufficient_scope"
    name = "ForbiddenError"


class NotFound(SelfauthError):
    status_code = 404
    error_code = "inexistent_resource"


class Conflict(SelfauthError):
    status_code = 409
    error_code = "conflict"


class PayloadTooLarge(SelfauthError):
    status_code = 413
    error_code = "payload_too_large"


class TooManyRequests(SelfauthError):
    status_code = 429
    error_code = "too_many_requests"


class ServiceUnavailable(SelfauthError):
    """The database would not give a connection (full, restarting, unreachable): a moment's
    wait and a retry may succeed, so the caller is told so rather than given a 500."""

    status_code = 503
    error_code = "temporarily_unavailable"
    name = "ServiceUnavailableError"

    @property
    def headers(self) -> Mapping[str, str]:
        return {"Retry-After": "1"}


class ConfigurationError(Exception):
    """A setting is missing or malformed; the message names the variable."""
