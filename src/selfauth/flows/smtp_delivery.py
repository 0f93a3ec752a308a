"""One SMTP conversation: connect (STARTTLS, implicit TLS or plain), authenticate, hand over
mails, each as a MIME message with a plain-text and an HTML part.

A failure is reported as `DeliveryFailure` carrying the SMTP server's answer ("451 4.3.0 ...")
or what went wrong before there was one (refused connection, timeout, TLS), and whether it is
permanent for that mail: a 5xx answer to its sender, recipient or data. Connection, TLS and
authentication failures are never permanent: they are the relay's or the settings' fault, not
the mail's, and retrying after they are fixed delivers it.
"""

from __future__ import annotations

import asyncio
import ssl
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from typing import Literal, Protocol

import aiosmtplib

from selfauth.domain.emails.outbox import StoredMail

TlsMode = Literal["starttls", "implicit", "none"]


class SmtpSettings(Protocol):
    """Where and how to send: the enabled provider's settings (helper C's provider
    repository answers them; `smtp_pass` already unsealed)."""

    @property
    def host(self) -> str: ...
    @property
    def port(self) -> int: ...
    @property
    def user(self) -> str | None: ...
    @property
    def password(self) -> str | None: ...
    @property
    def tls(self) -> str: ...  # TlsMode


class DeliveryFailure(Exception):
    def __init__(self, answer: str, *, permanent: bool = False) -> None:
        super().__init__(answer)
        self.answer = answer
        self.permanent = permanent


def message_of(mail: StoredMail) -> EmailMessage:
    """The MIME message of a stored mail. Its Message-ID is derived from the outbox id, so a
    mail sent again after a crash (see flows/mail_sender.py) carries the same one and a
    receiving system that deduplicates by it shows it once."""
    message = EmailMessage()
    try:
        message["From"] = mail.from_address
        message["To"] = mail.recipient
        # A rendered subject with a line break would end the header early: fold it to one line.
        message["Subject"] = " ".join(mail.subject.splitlines())
    except ValueError as exc:  # a line break in an address: nothing can send this mail
        raise DeliveryFailure(f"not sent: {exc}", permanent=True) from None
    message["Date"] = format_datetime(mail.created_at)
    domain = parseaddr(mail.from_address)[1].rpartition("@")[2] or "selfauth.invalid"
    message["Message-ID"] = f"<{mail.id}@{domain}>"
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no vacation replies, please
    message.set_content(mail.text)
    message.add_alternative(mail.html, subtype="html")
    return message


def tls_context(ca_file: str | None) -> ssl.SSLContext:
    """The system's trusted certificates, plus `ca_file`'s (a private relay's CA) if given."""
    context = ssl.create_default_context()
    if ca_file:
        context.load_verify_locations(cafile=ca_file)
    return context


class SmtpSession:
    """`async with SmtpSession(...) as session: await session.send(mail)`; the connection is
    opened on entry, so a relay that is down fails there (DeliveryFailure)."""

    def __init__(self, settings: SmtpSettings, timeout: float, context: ssl.SSLContext) -> None:
        self._timeout = timeout
        mode = settings.tls
        self._client = aiosmtplib.SMTP(
            hostname=settings.host,
            port=settings.port,
            username=settings.user or None,
            password=settings.password if settings.user else None,
            use_tls=mode == "implicit",
            # STARTTLS is required when asked for (never a silent fall back to plain text),
            # and not attempted with "none".
            start_tls=mode == "starttls",
            tls_context=context,
            timeout=timeout,
        )

    async def __aenter__(self) -> SmtpSession:
        try:
            async with asyncio.timeout(self._timeout * 2):  # connect, TLS, EHLO, AUTH
                await self._client.connect()
        except TimeoutError:
            raise DeliveryFailure(f"timed out connecting after {self._timeout * 2:g} s") from None
        except aiosmtplib.SMTPResponseException as exc:
            raise DeliveryFailure(_answer(exc.code, exc.message)) from None
        except (aiosmtplib.SMTPException, OSError, ssl.SSLError) as exc:
            raise DeliveryFailure(str(exc) or type(exc).__name__) from None
        return self

    async def __aexit__(self, *_exc: object) -> None:
        if self._client.is_connected:
            try:
                async with asyncio.timeout(self._timeout):
                    await self._client.quit()
            except (TimeoutError, aiosmtplib.SMTPException, OSError):
                self._client.close()

    async def send(self, mail: StoredMail) -> None:
        """Hand one mail over; returns once the server has accepted it (250 to its data)."""
        message = message_of(mail)
        sender = parseaddr(mail.from_address)[1] or mail.from_address
        try:
            async with asyncio.timeout(self._timeout * 3):  # MAIL, RCPT, DATA
                await self._client.send_message(message, sender=sender, recipients=[mail.recipient])
        except TimeoutError:
            self._client.close()
            raise DeliveryFailure(f"timed out sending after {self._timeout * 3:g} s") from None
        except aiosmtplib.SMTPRecipientsRefused as exc:
            refused = exc.recipients[0]
            raise DeliveryFailure(
                _answer(refused.code, refused.message), permanent=refused.code >= 500
            ) from None
        except (aiosmtplib.SMTPSenderRefused, aiosmtplib.SMTPDataError) as exc:
            raise DeliveryFailure(
                _answer(exc.code, exc.message), permanent=exc.code >= 500
            ) from None
        except aiosmtplib.SMTPResponseException as exc:
            raise DeliveryFailure(_answer(exc.code, exc.message)) from None
        except (aiosmtplib.SMTPException, OSError) as exc:
            raise DeliveryFailure(str(exc) or type(exc).__name__) from None

    @property
    def usable(self) -> bool:
        """Still connected (a timeout or a dropped connection ends the session)."""
        return self._client.is_connected


def _answer(code: int, message: str) -> str:
    return f"{code} {message}".strip()
