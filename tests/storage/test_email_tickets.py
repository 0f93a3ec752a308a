"""SqlEmailTicketRepository on every database: a link's ticket is read without being spent,
spent once by one of any number of racing uses, and its change (email verified; new password
with the user's sessions and refresh tokens ended) is made in the same transaction."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta

from selfauth.domain.emails.tickets import EmailTicket, TicketKind
from selfauth.domain.logins import LoginSession, RefreshToken
from selfauth.domain.users.model import User
from selfauth.storage.database import Database
from selfauth.storage.email_tickets import SqlEmailTicketRepository
from selfauth.storage.sessions import SqlRefreshTokenRepository, SqlSessionRepository
from selfauth.storage.users import SqlUserRepository
from tests.support.storage import default_connection_id, now, stored_client, stored_user, unique


async def new_ticket(
    database: Database, kind: TicketKind, **fields: object
) -> tuple[User, EmailTicket]:
    user = await stored_user(database, await default_connection_id(database))
    issued = now()
    values: dict[str, object] = {
        "ticket_hash": unique("ticket"),
        "kind": kind,
        "user_id": user.user_id,
        "client_id": None,
        "result_url": None,
        "include_email_in_redirect": True,
        "mark_email_as_verified": False,
        "created_at": issued,
        "expires_at": issued + timedelta(days=5),
        **fields,
    }
    ticket = EmailTicket(**values)  # type: ignore[arg-type]
    await SqlEmailTicketRepository(database).add(ticket)
    return user, ticket


async def test_pending_reads_without_spending_and_checks_the_kind(database: Database) -> None:
    tickets = SqlEmailTicketRepository(database)
    _, ticket = await new_ticket(database, TicketKind.EMAIL_VERIFICATION)
    found = await tickets.pending(ticket.ticket_hash, TicketKind.EMAIL_VERIFICATION, now())
    assert found == ticket
    assert await tickets.pending(ticket.ticket_hash, TicketKind.PASSWORD_CHANGE, now()) is None
    assert await tickets.pending(ticket.ticket_hash, ticket.kind, ticket.expires_at) is None
    assert await tickets.spend(ticket.ticket_hash, ticket.kind, now()) is True
    assert await tickets.pending(ticket.ticket_hash, ticket.kind, now()) is None


async def test_verify_email_spends_and_verifies_in_one_go(database: Database) -> None:
    tickets = SqlEmailTicketRepository(database)
    user, ticket = await new_ticket(database, TicketKind.EMAIL_VERIFICATION)
    assert user.email_verified is False
    assert await tickets.verify_email(ticket.ticket_hash, now()) is not None
    stored = await SqlUserRepository(database).get(user.user_id)
    assert stored is not None and stored.email_verified is True
    assert await tickets.verify_email(ticket.ticket_hash, now()) is None


async def test_racing_uses_spend_a_ticket_once(database: Database) -> None:
    tickets = SqlEmailTicketRepository(database)
    _, ticket = await new_ticket(database, TicketKind.EMAIL_VERIFICATION)
    answers = await asyncio.gather(
        *(tickets.verify_email(ticket.ticket_hash, now()) for _ in range(5))
    )
    assert sum(answer is not None for answer in answers) == 1


async def test_reset_password_sets_the_hash_and_ends_sessions_and_tokens(
    database: Database,
) -> None:
    tickets = SqlEmailTicketRepository(database)
    user, ticket = await new_ticket(
        database, TicketKind.PASSWORD_CHANGE, mark_email_as_verified=True
    )
    client = await stored_client(database)
    moment = now()
    session = LoginSession(
        id=uuid.uuid4().hex,
        token_hash=unique("session"),
        user_id=user.user_id,
        auth_time=0,
        created_at=moment,
        expires_at=moment + timedelta(days=1),
    )
    await SqlSessionRepository(database).add(session)
    refresh = RefreshToken(
        id=uuid.uuid4().hex,
        token_hash=unique("refresh"),
        family_id=uuid.uuid4().hex,
        client_id=client.client_id,
        user_id=user.user_id,
        audience=None,
        scope=["openid"],
        auth_time=0,
        created_at=moment,
        expires_at=moment + timedelta(days=1),
    )
    await SqlRefreshTokenRepository(database).add(refresh)

    assert await tickets.reset_password(ticket.ticket_hash, "new-hash", now()) is not None
    stored = await SqlUserRepository(database).get(user.user_id)
    assert stored is not None
    assert stored.password_hash == "new-hash"
    assert stored.email_verified is True
    assert stored.last_password_reset is not None
    ended = await SqlSessionRepository(database).by_hash(session.token_hash)
    assert ended is not None and ended.revoked_at is not None
    revoked = await SqlRefreshTokenRepository(database).by_hash(refresh.token_hash)
    assert revoked is not None and revoked.revoked_at is not None
    assert await tickets.reset_password(ticket.ticket_hash, "again", now()) is None
    unchanged = await SqlUserRepository(database).get(user.user_id)
    assert unchanged is not None and unchanged.password_hash == "new-hash"
