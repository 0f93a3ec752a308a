"""Mails queued together with the tickets of the links they carry, in the caller's transaction
(a new user, a job, a brute-force block) or in one of their own (a reset request)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from selfauth.domain.emails.message import PendingMail
from selfauth.domain.emails.tickets import EmailTicket
from selfauth.storage._rows import to_values
from selfauth.storage.database import Conn, Database
from selfauth.storage.outbox import queue_in
from selfauth.storage.tables import email_tickets

# Spent and expired tickets are kept this long, then dropped by a later insert.
_KEEP = timedelta(days=7)


async def add_ticket_in(conn: Conn, ticket: EmailTicket) -> None:
    """Store the ticket in the caller's transaction (with the mail that carries it)."""
    await conn.execute(
        email_tickets.delete().where(email_tickets.c.expires_at < ticket.created_at - _KEEP)
    )
    values = to_values(ticket, email_tickets)
    values["kind"] = ticket.kind.value
    await conn.execute(email_tickets.insert().values(values))


async def queue_pending_in(conn: Conn, mails: Sequence[PendingMail], now: datetime) -> None:
    """Queue the mails, and keep the tickets of their links, in the caller's transaction."""
    for pending in mails:
        if pending.ticket is not None:
            await add_ticket_in(conn, pending.ticket)
        await queue_in(conn, pending.mail, now)


class SqlMailQueue:
    """Mails with their links' tickets, queued together when no other change carries them
    (a password-reset request, a resent verification)."""

    def __init__(self, database: Database) -> None:
        self._db = database

    async def queue(self, mails: Sequence[PendingMail], now: datetime) -> None:
        async with self._db.write() as conn:
            await queue_pending_in(conn, mails, now)
