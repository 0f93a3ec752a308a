"""Mails for the delivery tests, queued through the outbox's repository into a running
server's database (as the flows that mail do, inside their own transactions), and read back
through `GET /api/v2/emails/outbox`."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from selfauth.config import parse_database_url
from selfauth.domain.clock import utc_now
from selfauth.domain.emails.message import OutgoingMail
from selfauth.storage.database import Database
from selfauth.storage.outbox import SqlOutbox, queue_in
from tests.support.api import Api
from tests.support.polling import eventually
from tests.support.server import RunningServer, serving
from tests.support.smtp import SmtpServer

OUTBOX = "/api/v2/emails/outbox"


def outgoing(recipient: str | None = None, **fields: str) -> OutgoingMail:
    tag = uuid.uuid4().hex[:12]
    values: dict[str, Any] = {
        "template": "verify_email",
        "recipient": recipient or f"to.{tag}@example.com",
        "from_address": "Example <no-reply@example.com>",
        "subject": f"Verify your email {tag}",
        "html": f"<p>Hello, <a href='https://app.example.com/verify?ticket={tag}'>verify</a></p>",
        "text": f"Hello, verify: https://app.example.com/verify?ticket={tag}",
        **fields,
    }
    return OutgoingMail(**values)


def queue(database_url: str, *mails: OutgoingMail) -> list[str]:
    """The mails queued in one committed transaction; their ids."""

    async def run() -> list[str]:
        database = Database(parse_database_url(database_url))
        try:
            async with database.write() as conn:
                return [await queue_in(conn, mail, utc_now()) for mail in mails]
        finally:
            await database.dispose()

    return asyncio.run(run())


def listed(api: Api, mail_id: str, recipient: str) -> dict[str, Any] | None:
    response = api.get(OUTBOX, recipient=recipient, per_page=100)
    assert response.status_code == 200, response.text
    return next((m for m in response.json() if m["id"] == mail_id), None)


def wait_status(
    api: Api, mail_id: str, recipient: str, *statuses: str, seconds: float = 30
) -> dict[str, Any]:
    """The mail as listed once its status is one of `statuses`."""

    last: list[dict[str, Any] | None] = [None]

    def probe() -> dict[str, Any] | None:
        found = last[0] = listed(api, mail_id, recipient)
        return found if found is not None and found["status"] in statuses else None

    found = eventually(probe, seconds)
    if not found:
        shown = {k: v for k, v in (last[0] or {}).items() if k not in ("html", "text")}
        raise AssertionError(f"mail {mail_id} not {'/'.join(statuses)} in {seconds}s: {shown}")
    return found


def senders(database_url: str) -> Counter[str]:
    """How many sent mails each sender (a server process's id) delivered, from the database:
    a sent mail keeps the id of the sender that handed it over."""

    async def run() -> Counter[str]:
        database = Database(parse_database_url(database_url))
        try:
            mails, _ = await SqlOutbox(database).listing(status="sent", limit=100_000)
        finally:
            await database.dispose()
        return Counter(mail.lease_owner or "" for mail in mails)

    return asyncio.run(run())


@contextmanager
def mailing_server(
    directory: Path, smtp: SmtpServer, sender: str, env: dict[str, str] | None = None
) -> Iterator[RunningServer]:
    """A SQLite server whose email provider is `smtp` (plain SMTP), sending as `sender`, its
    outbox looked at every 0.2 s."""
    with serving("sqlite", directory, {"SELFAUTH_MAIL_POLL_SECONDS": "0.2", **(env or {})}) as (
        running
    ):
        admin = Api(running, running.admin_token())
        provider = admin.post(
            "/api/v2/emails/provider",
            {
                "name": "smtp",
                "enabled": True,
                "default_from_address": sender,
                "credentials": {"smtp_host": "127.0.0.1", "smtp_port": smtp.port},
                "settings": {"tls": "none"},
            },
        )
        assert provider.status_code == 201, provider.text
        admin.http.close()
        yield running
