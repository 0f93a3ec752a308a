"""Errors the product raises; the web layer renders them in the API's wire shape."""

from __future__ import annotations


class SelfauthError(Exception):
    """An error with an HTTP status and Auth0's `errorCode`."""

    status_code = 400
    error_code = "invalid_body"
    # Further fields of the error body (a script's `line` and `column`), after Auth0's four.
    details: dict[str, object] | None = None

    def __init__(self, message: str, *, error_code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if error_code is not None:
            self.error_code = error_code


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
    status_code = 400
    error_code = "invalid_body"


class Unauthorized(SelfauthError):
    status_code = 401
    error_code = "invalid_token"


class Forbidden(SelfauthError):
    status_code = 403
    error_code = "insufficient_scope"


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


class ConfigurationError(Exception):
    """A setting is missing or malformed; the message names the variable."""
