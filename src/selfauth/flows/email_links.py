"""The links verification and password-change mails carry (and the Management API's tickets):
made here, and followed here when the user opens them.

A link is `{issuer}u/email-verification?ticket=...#` or `{issuer}u/reset-password?ticket=...#`,
as Auth0 writes them. Following one spends its ticket, once, before it expires; the change
(the email verified, the new password with the user's sessions and refresh tokens ended) is
made in the same transaction (storage/email_tickets.py). Where the ticket names a result URL,
the browser is sent there with Auth0's `success` and `message` (and `email` when asked)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol
from urllib.parse import urlencode

from selfauth.domain.clients.secrets import SecretHasher
from selfauth.domain.clock import Clock
from selfauth.domain.connections import custom_database
from selfauth.domain.connections.model import Connection
from selfauth.domain.connections.password_policy import PasswordPolicy
from selfauth.domain.emails.tickets import DEFAULT_LIFETIME_SECONDS, EmailTicket, TicketKind
from selfauth.domain.passwords import PasswordHasher
from selfauth.domain.users.model import User

_PATHS = {
    TicketKind.EMAIL_VERIFICATION: "u/email-verification",
    TicketKind.PASSWORD_CHANGE: "u/reset-password",
    TicketKind.ACCOUNT_UNBLOCK: "u/unblock",
}
# Auth0's words for the result URL's `message`.
VERIFIED = "Your email was verified. You can continue using the application."
PASSWORD_CHANGED = "Your password has been changed successfully."  # noqa: S105
EXPIRED = "Access expired."
USED = "This URL can be used only once"
UNBLOCKED = "Your account has been unblocked."


class TicketStore(Protocol):
    async def add(self, ticket: EmailTicket) -> None: ...
    async def pending(
        self, ticket_hash: str, kind: TicketKind, now: datetime
    ) -> EmailTicket | None: ...
    async def verify_email(self, ticket_hash: str, now: datetime) -> EmailTicket | None: ...
    async def reset_password(
        self, ticket_hash: str, password_hash: str | None, now: datetime
    ) -> EmailTicket | None: ...
    async def unblock(self, ticket_hash: str, now: datetime) -> EmailTicket | None: ...


class UserFinder(Protocol):
    async def get_or_none(self, user_id: str) -> User | None: ...
    # A custom database's scripts (change_password, verify); `ScriptRefused` when they fail.
    async def legacy_password(self, connection: Connection, user: User, password: str) -> None: ...
    async def legacy_verify(self, connection: Connection, user: User) -> None: ...


class ConnectionFinder(Protocol):
    async def get(self, connection_id: str) -> Connection | None: ...


@dataclass(frozen=True)
class NewLink:
    url: str
    ticket: EmailTicket  # to store beside the mail that carries it


@dataclass(frozen=True)
class Followed:
    """What following a link did: the user, and where to send the browser (None: show our
    own page)."""

    ok: bool
    message: str
    user: User | None
    redirect: str | None


@dataclass
class EmailLinks:
    tickets: TicketStore
    users: UserFinder
    connections: ConnectionFinder
    passwords: PasswordHasher
    secrets: SecretHasher
    clock: Clock
    issuer_url: str

    def new_link(
        self,
        kind: TicketKind,
        user: User,
        *,
        client_id: str | None = None,
        result_url: str | None = None,
        lifetime_seconds: int | None = None,
        include_email_in_redirect: bool = True,
        mark_email_as_verified: bool = False,
    ) -> NewLink:
        """A link and its ticket, not stored yet (the caller stores it with its mail)."""
        value = secrets.token_urlsafe(24)
        now = self.clock()
        ticket = EmailTicket(
            ticket_hash=self.secrets.digest(value),
            kind=kind,
            user_id=user.user_id,
            client_id=client_id,
            result_url=result_url,
            include_email_in_redirect=include_email_in_redirect,
            mark_email_as_verified=mark_email_as_verified,
            created_at=now,
            expires_at=now + timedelta(seconds=lifetime_seconds or DEFAULT_LIFETIME_SECONDS),
        )
        return NewLink(f"{self.issuer_url}{_PATHS[kind]}?{urlencode({'ticket': value})}#", ticket)

    async def store(self, link: NewLink) -> str:
        """Store a link's ticket on its own (the Management API's tickets); its URL."""
        await self.tickets.add(link.ticket)
        return link.url

    async def pending(self, kind: TicketKind, value: str) -> EmailTicket | None:
        return await self.tickets.pending(self.secrets.digest(value), kind, self.clock())

    async def policy_for(self, ticket: EmailTicket) -> PasswordPolicy | None:
        """The password policy of the ticket's user's connection (None: the user is gone)."""
        user = await self.users.get_or_none(ticket.user_id)
        if user is None:
            return None
        connection = await self.connections.get(user.connection_id)
        return PasswordPolicy.from_options(connection.options if connection else {})

    async def _scripted(self, ticket: EmailTicket, name: str) -> tuple[User, Connection] | None:
        """The ticket's user and connection when `name` goes to a custom database's script."""
        user = await self.users.get_or_none(ticket.user_id)
        connection = None if user is None else await self.connections.get(user.connection_id)
        if user is None or connection is None or not custom_database.scripted(connection, name):
            return None
        if name == "verify" and custom_database.script(connection, name) is None:
            return None  # nothing to tell the store: the email is verified here
        return user, connection

    async def verify_email(self, value: str) -> Followed:
        """A custom database's `verify` script hears of it first (its failure leaves the
        ticket good, and the page says why)."""
        pending = await self.pending(TicketKind.EMAIL_VERIFICATION, value)
        scripted = None if pending is None else await self._scripted(pending, "verify")
        if scripted is not None:
            await self.users.legacy_verify(scripted[1], scripted[0])
        ticket = await self.tickets.verify_email(self.secrets.digest(value), self.clock())
        if ticket is None:
            return Followed(False, EXPIRED, None, None)
        user = await self.users.get_or_none(ticket.user_id)
        return Followed(True, VERIFIED, user, _result(ticket, user, True, VERIFIED))

    async def unblock(self, value: str) -> Followed:
        ticket = await self.tickets.unblock(self.secrets.digest(value), self.clock())
        if ticket is None:
            return Followed(False, EXPIRED, None, None)
        user = await self.users.get_or_none(ticket.user_id)
        return Followed(True, UNBLOCKED, user, _result(ticket, user, True, UNBLOCKED))

    async def reset_password(self, value: str, password: str) -> Followed:
        """Raises `PasswordStrengthError` when the password breaks the connection's policy
        (the ticket stays good for another try)."""
        ticket = await self.pending(TicketKind.PASSWORD_CHANGE, value)
        policy = None if ticket is None else await self.policy_for(ticket)
        if ticket is None or policy is None:
            return Followed(False, EXPIRED, None, None)
        policy.check(password)
        scripted = await self._scripted(ticket, "change_password")
        hashed: str | None = None
        if scripted is not None:  # the legacy store keeps the password, not selfauth
            await self.users.legacy_password(scripted[1], scripted[0], password)
        else:
            hashed = await self.passwords.hash(password)
        spent = await self.tickets.reset_password(ticket.ticket_hash, hashed, self.clock())
        if spent is None:  # used or expired between the check and now
            return Followed(False, USED, None, None)
        user = await self.users.get_or_none(spent.user_id)
        return Followed(True, PASSWORD_CHANGED, user, _result(spent, user, True, PASSWORD_CHANGED))


def _result(ticket: EmailTicket, user: User | None, success: bool, message: str) -> str | None:
    """The result URL with Auth0's query (`email` first when the ticket asks for it)."""
    if not ticket.result_url:
        return None
    query: dict[str, str] = {}
    if ticket.include_email_in_redirect and user is not None and user.email:
        query["email"] = user.email
    query |= {"message": message, "success": "true" if success else "false"}
    separator = "&" if "?" in ticket.result_url else "?"
    return f"{ticket.result_url}{separator}{urlencode(query)}"
