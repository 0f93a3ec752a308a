"""What the rest of the server does with the outbox: queue a mail (and wake this process's
sender once it is committed) and read the listing of `GET /api/v2/emails/outbox`.

A flow whose change causes a mail queues it with `storage.outbox.queue_in` inside its own write
transaction, then calls `queued()` once that transaction has committed: waking the sender
earlier would find nothing to send yet (the next poll would).
"""

from __future__ import annotations

from selfauth.domain.clock import Clock
from selfauth.domain.emails.message import OutgoingMail
from selfauth.domain.emails.outbox import STATUSES, OutboxStore, StoredMail
from selfauth.errors import InvalidQueryString
from selfauth.flows.mail_sender import MailSender


class MailOutbox:
    def __init__(self, outbox: OutboxStore, sender: MailSender, clock: Clock) -> None:
        self._outbox = outbox
        self._sender = sender
        self._clock = clock

    async def queue(self, mail: OutgoingMail) -> str:
        """Queue a mail that no other change goes with (its own transaction)."""
        mail_id = await self._outbox.queue(mail, self._clock())
        self._sender.wake()
        return mail_id

    def queued(self) -> None:
        """Mails were queued with `queue_in` in a transaction that has now committed."""
        self._sender.wake()

    async def listing(
        self, *, status: str | None, recipient: str | None, offset: int, limit: int
    ) -> tuple[list[StoredMail], int]:
        """A page of mails, newest first, and how many match in all."""
        if status is not None and status not in STATUSES:
            raise InvalidQueryString(
                f"Query validation error: 'Must be one of {', '.join(STATUSES)}' on property "
                "status."
            )
        return await self._outbox.listing(
            status=status, recipient=recipient, offset=offset, limit=limit
        )
