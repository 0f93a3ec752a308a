"""SqlLoginTicketRepository on every database: cross-origin authentication's tickets are looked
up without being spent (`/authorize` first checks the browser's verifier against the ticket's),
then redeemed once, by one of any number of racing redemptions."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from selfauth.domain.login_tickets import LoginTicket
from selfauth.storage.database import Database
from selfauth.storage.login_tickets import SqlLoginTicketRepository
from tests.support.storage import default_connection_id, now, stored_client, stored_user, unique


async def ticket(database: Database) -> LoginTicket:
    client = await stored_client(database)
    user = await stored_user(database, await default_connection_id(database))
    issued = now()
    return LoginTicket(
        ticket_hash=unique("ticket"),
        client_id=client.client_id,
        user_id=user.user_id,
        co_id=unique("co"),
        verifier_hash=unique("verifier"),
        created_at=issued,
        expires_at=issued + timedelta(minutes=5),
    )


async def test_pending_reads_the_ticket_without_spending_it(database: Database) -> None:
    tickets = SqlLoginTicketRepository(database)
    added = await ticket(database)
    await tickets.add(added)
    found = await tickets.pending(added.ticket_hash, added.client_id, now())
    assert found is not None
    assert (found.co_id, found.verifier_hash, found.user_id) == (
        added.co_id,
        added.verifier_hash,
        added.user_id,
    )
    assert found.used_at is None
    assert found.expires_at == added.expires_at
    assert await tickets.pending(added.ticket_hash, "another-client", now()) is None
    assert await tickets.pending(added.ticket_hash, added.client_id, added.expires_at) is None
    assert await tickets.redeem(added.ticket_hash, added.client_id, now()) == added.user_id
    assert await tickets.pending(added.ticket_hash, added.client_id, now()) is None


async def test_racing_redemptions_spend_the_ticket_once(database: Database) -> None:
    tickets = SqlLoginTicketRepository(database)
    added = await ticket(database)
    await tickets.add(added)
    answers = await asyncio.gather(
        *(tickets.redeem(added.ticket_hash, added.client_id, now()) for _ in range(5))
    )
    assert answers.count(added.user_id) == 1
    assert answers.count(None) == 4
