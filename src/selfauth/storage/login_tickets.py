"""Login tickets of cross-origin authentication: kept as keyed hashes, redeemed once."""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa

from selfauth.domain.login_tickets import LoginTicket
from selfauth.storage._rows import from_row, to_values
from selfauth.storage.database import Database
from selfauth.storage.tables import login_tickets

# Spent and expired tickets are kept this long (for a look at what happened), then dropped
# by the next ticket's insert.
_KEEP = timedelta(days=1)


class SqlLoginTicketRepository:
    def __init__(self, database: Database) -> None:
        self._db = database

    async def add(self, ticket: LoginTicket) -> None:
        async with self._db.write() as conn:
            await conn.execute(
                login_tickets.delete().where(login_tickets.c.expires_at < ticket.created_at - _KEEP)
            )
            await conn.execute(login_tickets.insert().values(to_values(ticket, login_tickets)))

    async def pending(self, ticket_hash: str, client_id: str, now: datetime) -> LoginTicket | None:
        """The ticket, if it is this client's, unused and unexpired (nothing is spent)."""
        async with self._db.read() as conn:
            row = (
                await conn.execute(
                    sa.select(login_tickets).where(
                        login_tickets.c.ticket_hash == ticket_hash,
                        login_tickets.c.client_id == client_id,
                        login_tickets.c.used_at.is_(None),
                        login_tickets.c.expires_at > now,
                    )
                )
            ).first()
        return None if row is None else from_row(LoginTicket, row)

    async def redeem(self, ticket_hash: str, client_id: str, now: datetime) -> str | None:
        """Mark the ticket used and return its user; None when it is unknown, another
        client's, expired or used already (one UPDATE: of two racing redemptions one wins)."""
        async with self._db.write() as conn:
            result = await conn.execute(
                login_tickets.update()
                .where(
                    login_tickets.c.ticket_hash == ticket_hash,
                    login_tickets.c.client_id == client_id,
                    login_tickets.c.used_at.is_(None),
                    login_tickets.c.expires_at > now,
                )
                .values(used_at=now)
            )
            if not result.rowcount:  # type: ignore[attr-defined]
                return None
            row = (
                await conn.execute(
                    sa.select(login_tickets.c.user_id).where(
                        login_tickets.c.ticket_hash == ticket_hash
                    )
                )
            ).first()
        return None if row is None else str(row[0])
