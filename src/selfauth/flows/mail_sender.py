"""The outbox's sender: a background task that delivers queued mails over SMTP.

It wakes when a mail is queued in this process (`wake()`), when the earliest waiting mail
falls due, and every `poll_seconds` in any case (mails queued by another process). Each round
it reads the enabled provider: with none, every due mail is held ("not sent: no provider") and
stays readable through `GET /api/v2/emails/outbox`; with one, it claims due mails under a lease
and hands them to the SMTP server one by one over one connection. A failed try is recorded with
the server's answer and retried with exponential backoff, until the mail is given up (a 5xx
answer to the mail itself gives up at once). Requests never wait for any of this: they only
queue (storage/outbox.py `queue_in`).

What survives a crash or a restart (kill -9 included):
- Never lost: a mail is in the database from the commit of the change that caused it, and is
  only ever marked sent after the SMTP server has accepted it (250 to its data).
- Never sent by two senders at once: a mail is sent only while its sender holds the lease on
  it, renewed so that it outlasts the longest a delivery may take.
- At least once, not exactly once: if the process dies after the SMTP server accepted a mail
  and before the next statement (a single-row UPDATE) recorded it, the mail is sent again once
  its lease runs out. No sender can close that window, since SMTP has no way to ask whether a
  message was received (RFC 1047); it is kept to that one statement, and the copy carries the
  same Message-ID, by which mail systems may recognise it. A mail whose delivery was cut off
  before acceptance (the SMTP server stalled, the process killed) is delivered exactly once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import ssl
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from selfauth.background import cancel
from selfauth.domain.clock import Clock
from selfauth.domain.emails.outbox import NO_PROVIDER, OutboxStore, RetryPolicy, StoredMail
from selfauth.domain.logs import LogSink, NoLogs
from selfauth.flows.smtp_delivery import DeliveryFailure, SmtpSession, SmtpSettings, tls_context

log = logging.getLogger("selfauth.mail")
OUTBOX_PATH = "/api/v2/emails/outbox"
VERIFY_EMAIL = "verify_email"  # the verification mail's template (account_mails.py)
_PURGE_EVERY = timedelta(hours=1)


class ProviderSource(Protocol):
    async def for_sending(self) -> SmtpSettings | None:
        """The enabled provider's SMTP settings; None when none is set or it is disabled."""
        ...


@dataclass(frozen=True)
class SenderSettings:
    poll_seconds: float = 5.0
    timeout_seconds: float = 20.0  # per SMTP command; a whole delivery is bounded at 3x
    lease_seconds: float = 120.0
    batch: int = 20
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    tls_ca_file: str | None = None
    keep: timedelta | None = timedelta(days=30)  # finished mails older than this are deleted


class MailSender:
    def __init__(
        self,
        outbox: OutboxStore,
        providers: ProviderSource,
        settings: SenderSettings,
        clock: Clock,
        logs: LogSink | None = None,
    ) -> None:
        self._outbox = outbox
        self._logs: LogSink = logs or NoLogs()  # `fv`: a verification mail given up
        self._providers = providers
        self._settings = settings
        self._clock = clock
        self._owner = secrets.token_hex(8)
        self._lease = timedelta(seconds=settings.lease_seconds)
        # Renewed before a delivery when less than this is left: a delivery takes at most
        # 3 timeouts (connecting is bounded at 2, and done before the lease is checked).
        self._margin = timedelta(seconds=settings.timeout_seconds * 3 + 1)
        self._wake = asyncio.Event()
        self._stopping = False
        self._task: asyncio.Task[None] | None = None
        self._tls: ssl.SSLContext | None = None
        self._held_logged = False
        self._purged_at: datetime | None = None

    def wake(self) -> None:
        """A mail was queued (its transaction committed): look for due mails now."""
        self._wake.set()

    async def start(self) -> None:
        self._tls = tls_context(self._settings.tls_ca_file)
        self._task = asyncio.create_task(self._run(), name="mail-sender")

    async def stop(self) -> None:
        """Let the delivery under way finish (then give back what is left), or cut it off
        after the longest a delivery may take."""
        if self._task is None:
            return
        self._stopping = True
        self._wake.set()
        with contextlib.suppress(TimeoutError, asyncio.CancelledError):
            async with asyncio.timeout(self._settings.timeout_seconds * 3 + 1):
                await asyncio.shield(self._task)
        if not self._task.done():
            await cancel(self._task)
        self._task = None

    async def _run(self) -> None:
        while not self._stopping:
            self._wake.clear()
            try:
                await self.deliver_due()
            except Exception:  # the database or the provider failed: try again later
                log.exception("mail sender: a round failed; trying again")
            if self._stopping:
                return
            await self._sleep()

    async def _sleep(self) -> None:
        delay = self._settings.poll_seconds
        try:
            due = await self._outbox.next_due()
        except Exception:
            log.exception("mail sender: cannot read the outbox")
            due = None
        if due is not None:
            delay = min(delay, max((due - self._clock()).total_seconds(), 0.0) + 0.01)
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(delay):
                await self._wake.wait()

    async def _purge(self) -> None:
        """At most hourly: delete finished mails past the retention (the outbox keeps bodies)."""
        now = self._clock()
        keep = self._settings.keep
        if keep is None or (self._purged_at and now - self._purged_at < _PURGE_EVERY):
            return
        self._purged_at = now
        deleted = await self._outbox.purge(now - keep)
        if deleted:
            log.info("deleted %d finished mail(s) older than %s", deleted, keep)

    async def deliver_due(self) -> None:
        """One round: hold or deliver every mail due now, a batch at a time."""
        await self._purge()
        provider = await self._providers.for_sending()
        if provider is None:
            held = await self._outbox.hold_due(NO_PROVIDER, self._clock())
            if held and not self._held_logged:
                self._held_logged = True  # once per process: make run's log stays readable
                log.warning(
                    "%d mail(s) not sent: no email provider is enabled; read them (links "
                    "included) at GET %s, or configure one at /api/v2/emails/provider",
                    held,
                    OUTBOX_PATH,
                )
            return
        self._held_logged = False
        while not self._stopping:
            now = self._clock()
            batch = await self._outbox.claim(
                self._owner, now, now + self._lease, self._settings.batch
            )
            if not batch:
                return
            await self._deliver(provider, batch)
            if len(batch) < self._settings.batch:
                return

    async def _deliver(self, provider: SmtpSettings, batch: list[StoredMail]) -> None:
        assert self._tls is not None
        pending = list(batch)
        lease_until = self._clock() + self._lease
        try:
            async with SmtpSession(provider, self._settings.timeout_seconds, self._tls) as smtp:
                while pending and not self._stopping and smtp.usable:
                    if lease_until - self._clock() < self._margin:
                        lease_until = self._clock() + self._lease
                        held = await self._outbox.renew(
                            [m.id for m in pending], self._owner, lease_until
                        )
                        pending = [m for m in pending if m.id in held]
                        if not pending:
                            break
                    mail = pending.pop(0)
                    try:
                        await smtp.send(mail)
                    except DeliveryFailure as failure:
                        await self._failed(mail, failure)
                        continue
                    # Accepted: record it before anything else (the at-least-once window).
                    await self._outbox.mark_sent(mail.id, self._owner, self._clock())
                    log.info("mail %s (%s) sent to %s", mail.id, mail.template, mail.recipient)
        except DeliveryFailure as failure:  # no connection: every mail of the batch failed
            failed, pending = pending, []
            for mail in failed:
                await self._failed(mail, failure)
        finally:
            # Untried mails go back at once (stopping, the connection ended, or the delivery
            # under way was cut off); the one cut off keeps its lease, since the SMTP server
            # may have accepted it, and is tried again when the lease runs out.
            for mail in pending:
                await self._outbox.release(mail.id, self._owner)

    async def _failed(self, mail: StoredMail, failure: DeliveryFailure) -> None:
        now = self._clock()
        retry_at = None if failure.permanent else self._settings.retry.retry_at(mail.attempts, now)
        if not await self._outbox.mark_failed(mail.id, self._owner, failure.answer, retry_at):
            return  # the lease was lost: whoever holds it now decides
        if retry_at is None:
            if mail.template == VERIFY_EMAIL:
                self._logs.record(
                    "fv",
                    user_id=mail.user_id,
                    user_name=mail.recipient,
                    details={"error": {"message": failure.answer}, "attempts": mail.attempts},
                )
            log.error(
                "mail %s (%s) to %s given up after %d attempt(s): %s",
                mail.id,
                mail.template,
                mail.recipient,
                mail.attempts,
                failure.answer,
            )
        else:
            log.warning(
                "mail %s (%s) to %s failed (attempt %d), retrying at %s: %s",
                mail.id,
                mail.template,
                mail.recipient,
                mail.attempts,
                retry_at.isoformat(timespec="seconds"),
                failure.answer,
            )
