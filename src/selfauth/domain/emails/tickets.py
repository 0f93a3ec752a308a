"""The single-use links of verification and password-change mails, and of the Management API's
tickets (`POST /api/v2/tickets/email-verification`, `/password-change`): the ticket is in the
link only; its keyed hash, what it does, for whom, until when and where it returns are stored."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

# Auth0's default link lifetime: five days.
DEFAULT_LIFETIME_SECONDS = 432_000


class TicketKind(StrEnum):
    EMAIL_VERIFICATION = "email_verification"
    PASSWORD_CHANGE = "password_change"  # noqa: S105 (a kind, not a secret)
    ACCOUNT_UNBLOCK = "account_unblock"  # the link of the blocked_account mail


@dataclass(frozen=True)
class EmailTicket:
    ticket_hash: str = field(repr=False)
    kind: TicketKind
    user_id: str
    client_id: str | None
    result_url: str | None
    include_email_in_redirect: bool
    mark_email_as_verified: bool
    created_at: datetime
    expires_at: datetime
    used_at: datetime | None = None
