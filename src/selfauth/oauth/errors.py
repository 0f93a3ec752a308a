"""OAuth errors (RFC 6749 section 5.2), rendered as `{error, error_description}`."""

from __future__ import annotations


class OAuthError(Exception):
    status_code = 400
    error = "invalid_request"

    def __init__(self, description: str) -> None:
        super().__init__(description)
        self.description = description


class InvalidRequest(OAuthError):
    error = "invalid_request"


class InvalidClient(OAuthError):
    status_code = 401
    error = "invalid_client"


class UnauthorizedClient(OAuthError):
    status_code = 403
    error = "unauthorized_client"


class UnsupportedGrantType(OAuthError):
    error = "unsupported_grant_type"


class AccessDenied(OAuthError):
    status_code = 403
    error = "access_denied"


class InvalidGrant(OAuthError):
    status_code = 403
    error = "invalid_grant"


class BlockedUser(OAuthError):
    status_code = 401
    error = "unauthorized"


class TooManyAttempts(OAuthError):
    status_code = 429
    error = "too_many_attempts"


class TooManyRequests(OAuthError):
    status_code = 429
    error = "too_many_requests"


class InvalidScope(OAuthError):
    error = "invalid_scope"
