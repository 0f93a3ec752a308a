"""The bodies of `POST /api/v2/tickets/email-verification` and `/password-change`, as Auth0's
schema types them (node-auth0's `PostEmailVerificationRequest`, `PostPasswordChangeRequest`)."""

from __future__ import annotations

from pydantic import Field

from selfauth.domain.body_models import Closed, optional

# Auth0 caps `ttl_sec` at 30 days.
_MAX_TTL = 2_592_000


class Identity(Closed):
    user_id: str = Field(min_length=1)
    provider: str = Field(min_length=1)


class EmailVerificationTicket(Closed):
    user_id: str = Field(min_length=1)
    result_url: str | None = optional(max_length=2048)
    client_id: str | None = optional(min_length=1)
    organization_id: str | None = optional(min_length=1)
    ttl_sec: int | None = optional(ge=0, le=_MAX_TTL)
    includeEmailInRedirect: bool | None = optional()
    identity: Identity | None = optional()


class PasswordChangeTicket(Closed):
    result_url: str | None = optional(max_length=2048)
    user_id: str | None = optional(min_length=1)
    client_id: str | None = optional(min_length=1)
    organization_id: str | None = optional(min_length=1)
    connection_id: str | None = optional(min_length=1)
    email: str | None = optional(min_length=1, max_length=254)
    ttl_sec: int | None = optional(ge=0, le=_MAX_TTL)
    mark_email_as_verified: bool | None = optional()
    includeEmailInRedirect: bool | None = optional()
