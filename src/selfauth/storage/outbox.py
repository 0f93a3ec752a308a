"""The email outbox in SQL: mails queued in the transaction of the change that causes them,
then claimed by a sender under a lease, and marked sent, retried, given up or held.

A lease (`lease_owner`, `lease_until`) is what keeps two senders, or a restarted one, from
sending the same mail at once: a claim takes only mails whose lease is free or has run out,
and on PostgreSQL skips rows another claim has locked. A sender that dies holding a lease
leaves its mails to be claimed again once the lease runs out.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from selfauth.domain.emails.message import OutgoingMail
from selfauth.domain.emails.outbox import FAILED, HELD, QUEUED, SENDING, SENT, StoredMail
from selfauth.storage.database import Conn, Database
from selfauth.storage.tables import UTCDateTime, email_outbox

_T = email_outbox.c
# Due and not held by a live lease: what a claim (or a hold) may take.
_CLAIMABLE = (QUEUED, SENDING)
_FINISHED = (SENT, FAILED, HELD)
_INSERT = email_outbox.insert()


def new_mail_id() -> str:
    return f"mail_{secrets.token_hex(12)}"


async def queue_in(conn: Conn, mail: OutgoingMail, now: datetime) -> str:
    """Queue `mail` inside the caller's write transaction (`async with database.write() as
    conn`): it is kept exactly when the change that causes it commits. Returns its id."""
    mail_id = new_mail_id()
    # One statement object and parameters apart: SQLAlchemy compiles it once per process.
    await conn.execute(
        _INSERT,
        {
            "id": mail_id,
            "template": mail.template,
            "user_id": mail.user_id,
            "recipient": mail.recipient,
            "from_address": mail.from_address,
            "subject": mail.subject,
            "html": mail.html,
            "text": mail.text,
            "status": QUEUED,
            "attempts": 0,
            "next_attempt_at": now,
            "last_error": None,
            "lease_owner": None,
            "lease_until": None,
            "created_at": now,
            "sent_at": None,
        },
    )
    return mail_id


def _mail(row: sa.Row[Any]) -> StoredMail:
    return StoredMail(**row._mapping)


def _lease_free(now: datetime) -> sa.ColumnElement[bool]:
    return sa.or_(_T.lease_until.is_(None), _T.lease_until < now)


class SqlOutbox:
    def __init__(self, database: Database) -> None:
        self._db = database

    async def queue(self, mail: OutgoingMail, now: datetime) -> str:
        """Queue a mail in a transaction of its own (nothing else to commit with it)."""
        async with self._db.write() as conn:
            return await queue_in(conn, mail, now)

    async def get(self, mail_id: str) -> StoredMail | None:
        async with self._db.read() as conn:
            row = (await conn.execute(email_outbox.select().where(_T.id == mail_id))).first()
        return None if row is None else _mail(row)

    async def claim(
        self, owner: str, now: datetime, until: datetime, limit: int
    ) -> list[StoredMail]:
        """Take the lease of up to `limit` due mails (oldest due first) until `until`; each
        claim counts as an attempt begun. Returns the mails as claimed."""
        due = (
            sa.select(_T.id)
            .where(_T.status.in_(_CLAIMABLE), _T.next_attempt_at <= now, _lease_free(now))
            .order_by(_T.next_attempt_at, _T.id)
            .limit(limit)
        )
        async with self._db.write() as conn:
            if conn.dialect == "postgresql":
                # Concurrent claims pass over each other's rows instead of queueing on them.
                due = due.with_for_update(skip_locked=True)
            ids = list((await conn.execute(due)).scalars())
            if not ids:
                return []
            statement = (
                email_outbox.update()
                .where(_T.id.in_(ids), _T.status.in_(_CLAIMABLE), _lease_free(now))
                .values(
                    status=SENDING,
                    lease_owner=owner,
                    lease_until=until,
                    attempts=_T.attempts + 1,
                )
                .returning(*email_outbox.c)
            )
            rows = (await conn.execute(statement)).all()
        return sorted((_mail(row) for row in rows), key=lambda m: (m.next_attempt_at, m.id))

    async def renew(self, ids: Sequence[str], owner: str, until: datetime) -> set[str]:
        """Extend the lease of the mails `owner` still holds; the ids it still holds."""
        if not ids:
            return set()
        statement = (
            email_outbox.update()
            .where(_T.id.in_(list(ids)), _T.lease_owner == owner, _T.status == SENDING)
            .values(lease_until=until)
            .returning(_T.id)
        )
        async with self._db.write() as conn:
            return set((await conn.execute(statement)).scalars())

    async def mark_sent(self, mail_id: str, owner: str, now: datetime) -> bool:
        """The SMTP server accepted the mail, handed over by `owner`. Recorded whoever holds the
        lease (it was sent, whatever happened to the lease); `lease_owner` then names the
        sender that delivered it. False if it was already marked sent."""
        statement = (
            email_outbox.update()
            .where(_T.id == mail_id, _T.status != SENT)
            .values(status=SENT, sent_at=now, lease_owner=owner, lease_until=None)
        )
        async with self._db.write() as conn:
            return bool((await conn.execute(statement)).rowcount)  # type: ignore[attr-defined]

    async def mark_failed(
        self, mail_id: str, owner: str, error: str, retry_at: datetime | None
    ) -> bool:
        """A try failed with `error` (the SMTP server's answer): queued again for `retry_at`,
        or given up (`failed`) when it is None. Only while `owner` holds the lease (another
        sender that took it over decides from then on); False otherwise."""
        values: dict[str, Any] = {"last_error": error, "lease_owner": None, "lease_until": None}
        if retry_at is None:
            values["status"] = FAILED
        else:
            values.update(status=QUEUED, next_attempt_at=retry_at)
        statement = (
            email_outbox.update()
            .where(_T.id == mail_id, _T.lease_owner == owner, _T.status == SENDING)
            .values(values)
        )
        async with self._db.write() as conn:
            return bool((await conn.execute(statement)).rowcount)  # type: ignore[attr-defined]

    async def release(self, mail_id: str, owner: str) -> bool:
        """Give a claimed mail back untried (a sender stopping): due again at once, and the
        attempt its claim counted is taken back."""
        statement = (
            email_outbox.update()
            .where(_T.id == mail_id, _T.lease_owner == owner, _T.status == SENDING)
            .values(status=QUEUED, lease_owner=None, lease_until=None, attempts=_T.attempts - 1)
        )
        async with self._db.write() as conn:
            return bool((await conn.execute(statement)).rowcount)  # type: ignore[attr-defined]

    async def hold_due(self, reason: str, now: datetime) -> int:
        """Hold every due mail no sender holds (no provider is enabled): kept, never sent."""
        statement = (
            email_outbox.update()
            .where(_T.status.in_(_CLAIMABLE), _T.next_attempt_at <= now, _lease_free(now))
            .values(status=HELD, last_error=reason, lease_owner=None, lease_until=None)
        )
        async with self._db.write() as conn:
            return int((await conn.execute(statement)).rowcount)  # type: ignore[attr-defined]

    async def purge(self, before: datetime) -> int:
        """Delete the finished mails (sent, failed, held) created before `before`."""
        statement = email_outbox.delete().where(_T.status.in_(_FINISHED), _T.created_at < before)
        async with self._db.write() as conn:
            return int((await conn.execute(statement)).rowcount)  # type: ignore[attr-defined]

    async def next_due(self) -> datetime | None:
        """When the earliest mail waiting to be sent falls due (or its lease runs out)."""
        earliest = sa.func.min(sa.func.coalesce(_T.lease_until, _T.next_attempt_at))
        query = sa.select(sa.type_coerce(earliest, UTCDateTime)).where(_T.status.in_(_CLAIMABLE))
        async with self._db.read() as conn:
            found: datetime | None = (await conn.execute(query)).scalar_one_or_none()
        return found

    async def listing(
        self,
        *,
        status: str | None = None,
        recipient: str | None = None,
        offset: int = 0,
        limit: int = 50,
    ) -> tuple[list[StoredMail], int]:
        """A page of mails, newest first, and how many match in all."""
        where: list[sa.ColumnElement[bool]] = []
        if status is not None:
            where.append(_T.status == status)
        if recipient is not None:
            where.append(sa.func.lower(_T.recipient) == recipient.lower())
        page = (
            email_outbox.select()
            .where(*where)
            .order_by(_T.created_at.desc(), _T.id.desc())
            .offset(offset)
            .limit(limit)
        )
        count = sa.select(sa.func.count()).select_from(email_outbox).where(*where)
        async with self._db.read() as conn:
            rows = (await conn.execute(page)).all()
            total = int((await conn.execute(count)).scalar_one())
        return [_mail(row) for row in rows], total
