"""OAuth errors (RFC 6749 sections 4.1.2.1 and 5.2), in the product's one error hierarchy.

`error_code` is OAuth's `error`, `message` its `error_description`; `web/errors.py` renders
them, and `/authorize` redirects the ones that may go back to the application.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from selfauth.errors import SelfauthError

_BASIC_CHALLENGE = MappingProxyType({"WWW-Authenticate": 'Basic realm="selfauth"'})


class OAuthError(SelfauthError):
    status_code = 400
    error_code = "invalid_request"
    redirect = True

    def __init__(self, description: str, *, redirect: bool | None = None) -> None:
        super().__init__(description, redirect=redirect)


class InvalidRequest(OAuthError):
    error_code = "invalid_request"


class InvalidClient(OAuthError):
    """The client could not authenticate (5.2): the Basic scheme is named for it to retry."""

    status_code = 401
    error_code = "invalid_client"

    @property
    def headers(self) -> Mapping[str, str]:
        return _BASIC_CHALLENGE


class UnauthorizedClient(OAuthError):
    status_code = 403
    error_code = "unauthorized_client"


class UnsupportedGrantType(OAuthError):
    error_code = "unsupported_grant_type"


class AccessDenied(OAuthError):
    status_code = 403
    error_code = "access_denied"


class InvalidGrant(OAuthError):
    status_code = 403
    error_code = "invalid_grant"


class BlockedUser(OAuthError):
    status_code = 401
    error_code = "unauthorized"


class RuleUnauthorized(AccessDenied):
    """A Rule called back with `UnauthorizedError` (Auth0 answers `unauthorized`)."""

    error_code = "unauthorized"


class TooManyAttempts(OAuthError):
    status_code = 429
    error_code = "too_many_attempts"


class InvalidScope(OAuthError):
    error_code = "invalid_scope"


class AuthorizeError(OAuthError):
    """An `/authorize` error by its OAuth code, e.g. `AuthorizeError("invalid_request", ...)`.
    `redirect=False` for errors that must never reach the redirect URI (an unknown client, an
    unregistered redirect URI): they get an error page."""

    def __init__(self, error: str, description: str, *, redirect: bool = True) -> None:
        super().__init__(description, redirect=redirect)
        self.error_code = error
