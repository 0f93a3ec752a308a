"""The mails a user's account sends, and when: the verification mail on sign-up, on `POST
/users` and as a job (`verify_email`), the password-reset mail (`reset_email`,
`/dbconnections/change_password` and the login page), the welcome mail once the email is
verified (`welcome_email`, off until a tenant enables it), and the brute-force block's mail
(`blocked_account`, made inside the block's transaction). Each link's ticket is queued in one
transaction with its mail; the background sender is woken once the mail is kept."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from selfauth.domain.clients.model import Client
from selfauth.domain.clock import Clock
from selfauth.domain.connections.model import Connection
from selfauth.domain.emails.message import OutgoingMail, PendingMail
from selfauth.domain.emails.templates import EmailTemplate
from selfauth.domain.emails.tickets import TicketKind
from selfauth.domain.jobs.model import COMPLETED, FAILED, VERIFICATION_EMAIL, Job
from selfauth.domain.logs import LogSink, NoLogs
from selfauth.domain.users.model import User
from selfauth.domain.users.service import MailsFor
from selfauth.flows.email_links import EmailLinks
from selfauth.flows.jobs.queue import new_job_id
from selfauth.flows.tenant_logs import about
from selfauth.hooks.runner import RequestFacts

NO_SUCH_USER = "No user of this connection has this email."
RESET_DISABLED = "No reset mail: the template is disabled or the user has no email."
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
    # `svr`/`fvr` (a verification mail queued, or not), `scpr`/`fcpr` (a reset mail asked for)
    logs: LogSink = field(default_factory=NoLogs)

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

    def for_signup(self, client_id: str | None, facts: RequestFacts | None = None) -> MailsFor:
        """`UserService.create`'s `mails`: the verification mail, made once the user exists
        (logged as `svr` by `wake(mails)`, once the user and the mail are stored; `facts`, the
        sign-up's request, say from where)."""
        return SignupMails(self, client_id, facts)

    def wake(self, mails: MailsFor | None = None) -> None:
        """Mails were queued with another change (a new user, now stored): send them now.
        `mails`, the change's `for_signup`, has its verification mail logged."""
        if isinstance(mails, SignupMails):
            for user, connection in mails.made:
                self._requested("svr", user, connection, mails.client_id, mails.facts)
        self.wake_sender()

    def _requested(
        self,
        code: str,
        user: User,
        connection: Connection | None,
        client_id: str | None,
        facts: RequestFacts | None = None,
        error: str | None = None,
    ) -> None:
        details = None if error is None else {"error": {"message": error}}
        self.logs.record(
            code,
            client_id=client_id,
            details=details,
            **about(user=user, connection=connection, facts=facts),
        )

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
        if mails:
            self._requested("svr", user, connection, client_id)
        else:
            self._requested("fvr", user, connection, client_id, error=job.status_details)
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
        self,
        email: str,
        connection: Connection,
        client_id: str,
        facts: RequestFacts | None = None,
    ) -> None:
        """A forgotten password (`/dbconnections/change_password`, the login page): the reset
        mail goes to the connection's user with that email, if there is one; the caller answers
        the same either way, so no one learns who has an account (only the tenant's logs say:
        `scpr` per mail queued, `fcpr` when there was no one or no mail to send). A custom
        database's user not here yet is found by its `get_user` script."""
        candidates = await self.users.reset_candidates(connection, email)
        if not candidates:
            self.logs.record(
                "fcpr",
                client_id=client_id,
                user_name=email[:512],
                details={"error": {"message": NO_SUCH_USER}},
                **about(connection=connection, facts=facts),
            )
        for user in candidates:
            sent = await self.password_reset(user, connection, client_id)
            error = None if sent else RESET_DISABLED
            self._requested("scpr" if sent else "fcpr", user, connection, client_id, facts, error)

    async def password_reset(
        self, user: User, connection: Connection, client_id: str | None
    ) -> bool:
        """Whether a mail was queued (not when the template is off or the user has no email)."""
        mails = await self._link_mail(
            RESET_EMAIL, TicketKind.PASSWORD_CHANGE, user, connection, client_id
        )
        await self.send(mails)
        return bool(mails)

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


@dataclass
class SignupMails:
    """`for_signup`'s answer: makes a new user's verification mail (inside the transaction
    that stores the user) and remembers whom it made one for, for `wake` to log once the
    transaction is committed (a failed sign-up logs no request)."""

    owner: AccountMails
    client_id: str | None
    facts: RequestFacts | None = None
    made: list[tuple[User, Connection]] = field(default_factory=list)

    async def __call__(self, user: User, connection: Connection) -> list[PendingMail]:
        mails = await self.owner.verification(user, connection, self.client_id)
        if mails:
            self.made.append((user, connection))
        return mails
