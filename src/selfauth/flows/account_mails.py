"""The mails a user's account sends, and when: the verification mail on sign-up, on `POST
/users` and as a job (`verify_email`), the password-reset mail (`reset_email`,
`/dbconnections/change_password` and the login page), the welcome mail once the email is
verified (`welcome_email`, off until a tenant enables it), and the brute-force block's mail
(`blocked_account`, made inside the block's transaction). Each link's ticket is queued in one
transaction with its mail; the background sender is woken once the mail is kept."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from selfauth.domain.clients.model import Client
from selfauth.domain.clock import Clock
from selfauth.domain.connections.model import Connection
from selfauth.domain.emails.message import OutgoingMail, PendingMail
from selfauth.domain.emails.templates import EmailTemplate
from selfauth.domain.emails.tickets import TicketKind
from selfauth.domain.jobs.model import COMPLETED, FAILED, VERIFICATION_EMAIL, Job
from selfauth.domain.users.model import User
from selfauth.domain.users.service import MailsFor
from selfauth.flows.email_links import EmailLinks
from selfauth.flows.jobs.queue import new_job_id

BLOCKED_ACCOUNT = "blocked_account"
VERIFY_EMAIL = "verify_email"
RESET_EMAIL = "reset_email"
WELCOME_EMAIL = "welcome_email"


class Composer(Protocol):
    async def compose(
        self,
        template_name: str,
        *,
        user: User,
        variables: dict[str, Any],
        client: Client | None = None,
        connection_name: str | None = None,
    ) -> OutgoingMail | None: ...


class Templates(Protocol):
    async def stored(self, name: str) -> EmailTemplate | None: ...


class MailQueue(Protocol):
    async def queue(self, mails: Sequence[PendingMail], now: datetime) -> None: ...


class ClientFinder(Protocol):
    async def get(self, client_id: str) -> Client | None: ...


class ConnectionFinder(Protocol):
    async def get(self, connection_id: str) -> Connection | None: ...


class UsersByEmail(Protocol):
    async def by_email_in(self, connection_id: str, email: str) -> list[User]: ...
    async def reset_candidates(self, connection: Connection, email: str) -> list[User]: ...


class JobRecorder(Protocol):
    async def create_with_mails(self, job: Job, mails: Sequence[PendingMail]) -> None: ...


@dataclass
class AccountMails:
    composer: Composer
    templates: Templates
    links: EmailLinks
    queue: MailQueue
    clients: ClientFinder
    connections: ConnectionFinder
    users: UsersByEmail
    jobs: JobRecorder
    clock: Clock
    wake_sender: Callable[[], None]

    async def _link_mail(
        self,
        template_name: str,
        kind: TicketKind,
        user: User,
        connection: Connection,
        client_id: str | None,
        extra: dict[str, Any] | None = None,
        **ticket_options: Any,
    ) -> list[PendingMail]:
        """The mail and its link's ticket (lifetime and result URL from the tenant's template),
        or nothing when the template is off or the user has no email."""
        if not user.email:
            return []
        settings = await self.templates.stored(template_name)
        client = await self.clients.get(client_id) if client_id else None
        link = self.links.new_link(
            kind,
            user,
            client_id=client_id,
            result_url=settings.result_url if settings else None,
            lifetime_seconds=settings.url_lifetime_in_seconds if settings else None,
            include_email_in_redirect=settings.include_email_in_redirect if settings else True,
            **ticket_options,
        )
        mail = await self.composer.compose(
            template_name,
            user=user,
            variables={"url": link.url, **(extra or {})},
            client=client,
            connection_name=connection.name,
        )
        return [] if mail is None else [PendingMail(mail, link.ticket)]

    async def verification(
        self, user: User, connection: Connection, client_id: str | None = None
    ) -> list[PendingMail]:
        """The verification mail of a new user whose email is not verified yet."""
        if user.email_verified:
            return []
        return await self._link_mail(
            VERIFY_EMAIL, TicketKind.EMAIL_VERIFICATION, user, connection, client_id
        )

    def for_signup(self, client_id: str | None) -> MailsFor:
        """`UserService.create`'s `mails`: the verification mail, made once the user exists."""

        async def mails(user: User, connection: Connection) -> list[PendingMail]:
            return await self.verification(user, connection, client_id)

        return mails

    def wake(self) -> None:
        """Mails were queued with another change (a new user): send them now."""
        self.wake_sender()

    async def send(self, mails: Sequence[PendingMail]) -> None:
        if mails:
            await self.queue.queue(mails, self.clock())
            self.wake_sender()

    async def verification_job(self, user: User, client_id: str | None) -> Job:
        """`POST /api/v2/jobs/verification-email`: a job whose work, queueing the mail, is done
        in the transaction that records it (the mail then goes out as any other)."""
        connection = await self.connections.get(user.connection_id)
        mails = (
            []
            if connection is None
            else await self._link_mail(
                VERIFY_EMAIL, TicketKind.EMAIL_VERIFICATION, user, connection, client_id
            )
        )
        now = self.clock()
        job = Job(
            id=new_job_id(),
            type=VERIFICATION_EMAIL,
            status=COMPLETED if mails else FAILED,
            connection_id=user.connection_id,
            created_at=now,
            updated_at=now,
            completed_at=now,
            status_details=None if mails else "The verification email template is disabled.",
        )
        await self.jobs.create_with_mails(job, mails)
        self.wake_sender()
        return job

    async def blocked_account(self, user: User, ip: str) -> list[PendingMail]:
        """The mail telling a user brute-force protection blocked an address, with a link that
        lifts the block (queued by the block itself, in its transaction)."""
        connection = await self.connections.get(user.connection_id)
        if connection is None:
            return []
        return await self._link_mail(
            BLOCKED_ACCOUNT,
            TicketKind.ACCOUNT_UNBLOCK,
            user,
            connection,
            None,
            {"user": {"source_ip": ip}},
        )

    async def password_reset_requested(
        self, email: str, connection: Connection, client_id: str
    ) -> None:
        """A forgotten password (`/dbconnections/change_password`, the login page): the reset
        mail goes to the connection's user with that email, if there is one; the caller answers
        the same either way, so no one learns who has an account. A custom database's user
        not here yet is found by its `get_user` script."""
        for user in await self.users.reset_candidates(connection, email):
            await self.password_reset(user, connection, client_id)

    async def password_reset(
        self, user: User, connection: Connection, client_id: str | None
    ) -> None:
        await self.send(
            await self._link_mail(
                RESET_EMAIL, TicketKind.PASSWORD_CHANGE, user, connection, client_id
            )
        )

    async def welcome(self, user: User) -> None:
        """After the email is verified (the welcome template is off until a tenant turns it
        on: the composer then answers None)."""
        connection = await self.connections.get(user.connection_id)
        mail = await self.composer.compose(
            WELCOME_EMAIL,
            user=user,
            variables={},
            connection_name=connection.name if connection else None,
        )
        if mail is not None:
            await self.send([PendingMail(mail)])
