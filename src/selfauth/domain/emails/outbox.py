"""The outbox's model: a queued mail's record, its statuses, and when a failed one is retried.

A mail moves `queued` -> `sending` (a sender holds its lease) -> `sent`; a failed attempt puts
it back to `queued` with a later `next_attempt_at`, until `RetryPolicy.max_attempts` tries
have failed (`failed`, given up). With no enabled provider a due mail is `held`: kept, with
its bodies, for a developer to read through `GET /api/v2/emails/outbox`, and never sent.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from selfauth.domain.clock import iso
from selfauth.domain.emails.message import OutgoingMail

QUEUED = "queued"
SENDING = "sending"
SENT = "sent"
FAILED = "failed"  # gave up after the last attempt
HELD = "held"  # no provider was enabled when it fell due
STATUSES = (QUEUED, SENDING, SENT, FAILED, HELD)
NO_PROVIDER = "not sent: no provider"


@dataclass(frozen=True)
class StoredMail:
    id: str
    template: str
    user_id: str | None
    recipient: str
    from_address: str
    subject: str
    html: str
    text: str
    status: str
    attempts: int  # tries begun (counted when a sender claims the mail)
    next_attempt_at: datetime
    last_error: str | None
    lease_owner: str | None
    lease_until: datetime | None
    created_at: datetime
    sent_at: datetime | None


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff: `first_delay * 2**(n-1)` after the n-th failed try, at most `cap`;
    after `max_attempts` failed tries the mail is given up. The defaults retry for about six
    hours (10 s, 20 s, ... then hourly), so an SMTP relay down for a morning loses nothing."""

    max_attempts: int = 15
    first_delay: timedelta = timedelta(seconds=10)
    cap: timedelta = timedelta(hours=1)

    def retry_at(self, attempts: int, now: datetime) -> datetime | None:
        """When to try again after `attempts` tries have failed; None: give up."""
        if attempts >= self.max_attempts:
            return None
        exponent = min(max(attempts - 1, 0), 40)  # past 2**40 the cap has long applied
        return now + min(self.cap, self.first_delay * (1 << exponent))


def mail_view(mail: StoredMail) -> dict[str, Any]:
    """A mail as `GET /api/v2/emails/outbox` shows it, bodies included: with no provider, a
    developer reads verification and reset links there."""
    return {
        "id": mail.id,
        "template": mail.template,
        "user_id": mail.user_id,
        "recipient": mail.recipient,
        "from": mail.from_address,
        "subject": mail.subject,
        "status": mail.status,
        "attempts": mail.attempts,
        "last_error": mail.last_error,
        "created_at": iso(mail.created_at),
        "next_attempt_at": iso(mail.next_attempt_at),
        "sent_at": iso(mail.sent_at) if mail.sent_at else None,
        "text": mail.text,
        "html": mail.html,
    }


class OutboxStore(Protocol):
    """The outbox's storage as the sender and the listing use it (storage/outbox.py)."""

    async def queue(self, mail: OutgoingMail, now: datetime) -> str: ...
    async def claim(
        self, owner: str, now: datetime, until: datetime, limit: int
    ) -> list[StoredMail]: ...
    async def renew(self, ids: Sequence[str], owner: str, until: datetime) -> set[str]: ...
    async def mark_sent(self, mail_id: str, owner: str, now: datetime) -> bool: ...
    async def mark_failed(
        self, mail_id: str, owner: str, error: str, retry_at: datetime | None
    ) -> bool: ...
    async def release(self, mail_id: str, owner: str) -> bool: ...
    async def hold_due(self, reason: str, now: datetime) -> int: ...
    async def purge(self, before: datetime) -> int: ...
    async def next_due(self) -> datetime | None: ...
    async def listing(
        self,
        *,
        status: str | None = None,
        recipient: str | None = None,
        offset: int = 0,
        limit: int = 50,
    ) -> tuple[list[StoredMail], int]: ...
