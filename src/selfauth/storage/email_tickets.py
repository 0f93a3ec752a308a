"""Tickets of verification and password-change links: kept as keyed hashes, spent once."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa

from selfauth.domain.emails.tickets import EmailTicket, TicketKind
from selfauth.storage.database import Conn, Database
from selfauth.storage.mail_queue import add_ticket_in
from selfauth.storage.sessions import end_sessions_in, revoke_refresh_tokens_in
from selfauth.storage.tables import email_tickets, login_failures, users


def _good(ticket_hash: str, kind: TicketKind, now: datetime) -> sa.ColumnElement[bool]:
    """The ticket, of this kind, neither used nor expired."""
    return sa.and_(
        email_tickets.c.ticket_hash == ticket_hash,
        email_tickets.c.kind == kind.value,
        email_tickets.c.used_at.is_(None),
        email_tickets.c.expires_at > now,
    )


def _ticket(row: sa.Row[Any]) -> EmailTicket:
    values = dict(row._mapping)
    values["kind"] = TicketKind(values["kind"])
    return EmailTicket(**values)


class SqlEmailTicketRepository:
    def __init__(self, database: Database) -> None:
        self._db = database

    async def add(self, ticket: EmailTicket) -> None:
        async with self._db.write() as conn:
            await add_ticket_in(conn, ticket)

    async def pending(
        self, ticket_hash: str, kind: TicketKind, now: datetime
    ) -> EmailTicket | None:
        """The ticket when it is still good (unused, unexpired); nothing is spent."""
        async with self._db.read() as conn:
            row = (
                await conn.execute(sa.select(email_tickets).where(_good(ticket_hash, kind, now)))
            ).first()
        return None if row is None else _ticket(row)

    async def spend(self, ticket_hash: str, kind: TicketKind, now: datetime) -> bool:
        """Mark the ticket used; False when it was not good any more (one UPDATE: of two
        racing uses, one wins)."""
        async with self._db.write() as conn:
            result = await conn.execute(
                email_tickets.update().where(_good(ticket_hash, kind, now)).values(used_at=now)
            )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def verify_email(self, ticket_hash: str, now: datetime) -> EmailTicket | None:
        """Spend an email-verification ticket and mark its user's email verified, in one
        transaction; None when the ticket is not good (unknown, used, expired)."""
        async with self._db.write() as conn:
            ticket = await _spend_in(conn, ticket_hash, TicketKind.EMAIL_VERIFICATION, now)
            if ticket is not None:
                await conn.execute(
                    users.update()
                    .where(users.c.user_id == ticket.user_id)
                    .values(email_verified=True, updated_at=now)
                )
        return ticket

    async def reset_password(
        self, ticket_hash: str, password_hash: str | None, now: datetime
    ) -> EmailTicket | None:
        """Spend a password-change ticket, set the new password's hash, and end the user's
        sessions and refresh tokens, all in one transaction (a failure leaves the ticket
        good and the old password in place); None when the ticket is not good. No hash (a custom
        database's script took the password) leaves the user without one."""
        async with self._db.write() as conn:
            ticket = await _spend_in(conn, ticket_hash, TicketKind.PASSWORD_CHANGE, now)
            if ticket is None:
                return None
            changes: dict[str, Any] = {
                "password_hash": password_hash,
                "last_password_reset": now,
                "updated_at": now,
            }
            if ticket.mark_email_as_verified:
                changes["email_verified"] = True
            await conn.execute(
                users.update().where(users.c.user_id == ticket.user_id).values(changes)
            )
            await end_sessions_in(conn, ticket.user_id, now)
            await revoke_refresh_tokens_in(conn, ticket.user_id, now)
        return ticket

    async def unblock(self, ticket_hash: str, now: datetime) -> EmailTicket | None:
        """Spend an unblock ticket and lift every brute-force block of its user, in one
        transaction; None when the ticket is not good."""
        async with self._db.write() as conn:
            ticket = await _spend_in(conn, ticket_hash, TicketKind.ACCOUNT_UNBLOCK, now)
            if ticket is not None:
                await conn.execute(
                    login_failures.delete().where(login_failures.c.user_id == ticket.user_id)
                )
        return ticket


async def _spend_in(
    conn: Conn, ticket_hash: str, kind: TicketKind, now: datetime
) -> EmailTicket | None:
    result = await conn.execute(
        email_tickets.update().where(_good(ticket_hash, kind, now)).values(used_at=now)
    )
    if not result.rowcount:  # type: ignore[attr-defined]
        return None
    row = (
        await conn.execute(
            sa.select(email_tickets).where(email_tickets.c.ticket_hash == ticket_hash)
        )
    ).first()
    return None if row is None else _ticket(row)
