"""A mail ready to send: rendered from a template for one recipient, then queued in the outbox
in the transaction of the change that causes it (see storage/outbox.py)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from selfauth.domain.emails.tickets import EmailTicket


@dataclass(frozen=True)
class OutgoingMail:
    template: str  # Auth0's template name: verify_email, reset_email, ...
    recipient: str
    from_address: str
    subject: str
    html: str
    text: str  # the plain-text part, sent beside the HTML one
    user_id: str | None = None


@dataclass(frozen=True)
class PendingMail:
    """A mail to queue with the change that causes it, and the link's ticket it carries (stored
    in the same transaction, so a mail never points at a ticket that was not kept)."""

    mail: OutgoingMail
    ticket: EmailTicket | None = None


# Mails made only if a change turns out to need them (a brute-force block), inside its
# transaction.
MailsIfNeeded = Callable[[], Awaitable[Sequence[PendingMail]]]
