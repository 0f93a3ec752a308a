"""SqlOutbox on every database: a mail queued with the transaction that causes it (and gone
with one that rolls back), claimed under a lease that racing senders never share, then marked
sent, retried later, given up or held, and listed newest first."""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime, timedelta

import pytest

from selfauth.config import parse_database_url
from selfauth.domain.emails.message import OutgoingMail
from selfauth.domain.emails.outbox import FAILED, HELD, NO_PROVIDER, QUEUED, SENDING, SENT
from selfauth.storage.database import Database
from selfauth.storage.outbox import SqlOutbox, queue_in
from tests.support.storage import now

FAR_FUTURE = datetime(3000, 1, 1).astimezone()
PAST_EVERY_LEASE = datetime(3001, 1, 1).astimezone()


@pytest.fixture
async def outbox(database: Database) -> SqlOutbox:
    """The outbox with nothing waiting: earlier tests' mails are marked sent."""
    found = SqlOutbox(database)
    for mail in await found.claim("cleaner", PAST_EVERY_LEASE, PAST_EVERY_LEASE, 100_000):
        await found.mark_sent(mail.id, "cleaner", now())
    return found


def mail(recipient: str | None = None, **fields: str) -> OutgoingMail:
    values = {
        "template": "verify_email",
        "recipient": recipient or f"{uuid.uuid4().hex[:12]}@example.com",
        "from_address": "no-reply@example.com",
        "subject": "Verify your email",
        "html": "<p>Click <a href='https://x/verify?t=1'>here</a></p>",
        "text": "Click https://x/verify?t=1",
        **fields,
    }
    return OutgoingMail(**values)


async def test_a_mail_is_kept_exactly_when_its_transaction_commits(
    database: Database, outbox: SqlOutbox
) -> None:
    moment = now()

    class Refused(Exception):
        pass

    lost: list[str] = []

    async def queue_then_fail() -> None:
        async with database.write() as conn:
            lost.append(await queue_in(conn, mail(), moment))
            raise Refused

    with pytest.raises(Refused):
        await queue_then_fail()
    assert await outbox.get(lost[0]) is None

    async with database.write() as conn:
        kept = await queue_in(conn, mail(user_id="auth0|someone"), moment)
    stored = await outbox.get(kept)
    assert stored is not None
    assert (stored.status, stored.attempts, stored.next_attempt_at) == (QUEUED, 0, moment)
    assert (stored.user_id, stored.last_error, stored.sent_at) == ("auth0|someone", None, None)
    assert stored.created_at == moment
    assert stored.text == "Click https://x/verify?t=1"


async def test_a_claim_holds_due_mails_under_a_lease_until_it_runs_out(
    outbox: SqlOutbox,
) -> None:
    moment = now()
    due = await outbox.queue(mail(), moment)
    later = await outbox.queue(mail(), moment + timedelta(minutes=5))
    until = moment + timedelta(seconds=30)

    claimed = await outbox.claim("sender-a", moment, until, 10)
    assert [m.id for m in claimed] == [due]
    assert (claimed[0].status, claimed[0].attempts) == (SENDING, 1)
    assert (claimed[0].lease_owner, claimed[0].lease_until) == ("sender-a", until)
    # Held: another sender (or a restarted one) gets nothing while the lease lasts.
    assert await outbox.claim("sender-b", moment + timedelta(seconds=29), FAR_FUTURE, 10) == []
    # The lease ran out (its sender died): another takes it, a second attempt.
    retaken = await outbox.claim("sender-b", moment + timedelta(seconds=31), FAR_FUTURE, 1)
    assert [(m.id, m.lease_owner, m.attempts) for m in retaken] == [(due, "sender-b", 2)]
    # The one that lost its lease can no longer decide the mail's fate.
    assert not await outbox.mark_failed(due, "sender-a", "421 busy", moment)
    assert (await outbox.claim("c", moment + timedelta(minutes=6), FAR_FUTURE, 10))[0].id == later


async def test_racing_claims_never_share_a_mail(database_url: str, outbox: SqlOutbox) -> None:
    moment = now()
    queued = {await outbox.queue(mail(), moment) for _ in range(60)}
    senders = [Database(parse_database_url(database_url)) for _ in range(6)]
    try:

        async def drain(index: int) -> list[str]:
            mine: list[str] = []
            repo = SqlOutbox(senders[index])
            while batch := await repo.claim(f"sender-{index}", moment, FAR_FUTURE, 4):
                mine += [m.id for m in batch]
                await asyncio.sleep(0)
            return mine

        results = await asyncio.gather(*(drain(i) for i in range(6)))
    finally:
        for sender in senders:
            await sender.dispose()
    every = [mail_id for result in results for mail_id in result]
    assert sorted(every) == sorted(queued)  # each claimed, none twice
    assert sum(1 for result in results if result) >= 2  # they did race


async def test_sent_failed_retried_and_given_up(outbox: SqlOutbox) -> None:
    moment = now()
    first = await outbox.queue(mail(), moment)
    second = await outbox.queue(mail(), moment)
    until = moment + timedelta(minutes=1)
    assert {m.id for m in await outbox.claim("s", moment, until, 10)} == {first, second}

    assert await outbox.mark_sent(first, "s", moment + timedelta(seconds=1))
    assert not await outbox.mark_sent(first, "t", moment + timedelta(seconds=2))  # already sent
    sent = await outbox.get(first)
    assert sent is not None
    # Sent, and by whom: the first sender's mark stands.
    assert (sent.status, sent.sent_at, sent.lease_owner, sent.lease_until) == (
        SENT,
        moment + timedelta(seconds=1),
        "s",
        None,
    )

    retry_at = moment + timedelta(seconds=10)
    answer = "451 4.3.0 Mailbox temporarily unavailable"
    assert await outbox.mark_failed(second, "s", answer, retry_at)
    retried = await outbox.get(second)
    assert retried is not None
    assert (retried.status, retried.attempts, retried.last_error) == (QUEUED, 1, answer)
    assert (retried.next_attempt_at, retried.lease_until) == (retry_at, None)
    assert await outbox.claim("s", retry_at - timedelta(seconds=1), FAR_FUTURE, 10) == []
    assert await outbox.next_due() == retry_at

    again = await outbox.claim("s", retry_at, until + timedelta(minutes=1), 10)
    assert [(m.id, m.attempts) for m in again] == [(second, 2)]
    assert await outbox.mark_failed(second, "s", "550 5.1.1 No such user", None)
    given_up = await outbox.get(second)
    assert given_up is not None
    assert (given_up.status, given_up.attempts) == (FAILED, 2)
    assert given_up.last_error == "550 5.1.1 No such user"
    assert await outbox.claim("s", FAR_FUTURE, FAR_FUTURE, 10) == []
    assert await outbox.next_due() is None


async def test_renew_and_release(outbox: SqlOutbox) -> None:
    moment = now()
    ids = [await outbox.queue(mail(), moment) for _ in range(3)]
    claimed = await outbox.claim("s", moment, moment + timedelta(seconds=5), 10)
    assert {m.id for m in claimed} == set(ids)
    assert await outbox.mark_sent(ids[0], "s", moment)
    later = moment + timedelta(minutes=5)
    assert await outbox.renew(ids, "s", later) == {ids[1], ids[2]}
    assert await outbox.renew(ids, "other", later) == set()
    assert await outbox.claim("t", moment + timedelta(minutes=1), FAR_FUTURE, 10) == []
    assert await outbox.next_due() == later

    assert await outbox.release(ids[1], "s")
    released = await outbox.get(ids[1])
    assert released is not None
    assert (released.status, released.attempts, released.lease_owner) == (QUEUED, 0, None)
    assert [m.id for m in await outbox.claim("t", moment, FAR_FUTURE, 10)] == [ids[1]]


async def test_with_no_provider_due_mails_are_held_and_never_claimed(outbox: SqlOutbox) -> None:
    moment = now()
    due = await outbox.queue(mail(), moment)
    leased = await outbox.queue(mail(), moment)
    future = await outbox.queue(mail(), moment + timedelta(hours=1))
    assert [m.id for m in await outbox.claim("s", moment, FAR_FUTURE, 1)] in ([due], [leased])
    held_count = await outbox.hold_due(NO_PROVIDER, moment)
    assert held_count == 1  # the due one nobody holds; not the leased one, nor the future one
    statuses = {}
    for mail_id in (due, leased, future):
        found = await outbox.get(mail_id)
        assert found is not None
        statuses[found.status] = found
    assert set(statuses) == {HELD, SENDING, QUEUED}
    assert statuses[HELD].last_error == NO_PROVIDER
    assert statuses[HELD].attempts == 0
    assert statuses[QUEUED].id == future
    assert [m.id for m in await outbox.claim("s", FAR_FUTURE, FAR_FUTURE, 10)] == [future]


async def test_the_listing_pages_newest_first_and_filters(outbox: SqlOutbox) -> None:
    moment = now()
    person = f"Someone-{uuid.uuid4().hex[:8]}@Example.com"
    ids = [
        await outbox.queue(mail(person, subject=f"mail {i}"), moment + timedelta(seconds=i))
        for i in range(5)
    ]
    other = await outbox.queue(mail(), moment + timedelta(days=1))  # newest of all

    page, total = await outbox.listing(recipient=person.lower(), offset=0, limit=2)
    assert total == 5
    assert [m.id for m in page] == [ids[4], ids[3]]
    page, _ = await outbox.listing(recipient=person.upper(), offset=4, limit=2)
    assert [m.id for m in page] == [ids[0]]
    everything, count = await outbox.listing(limit=1000)
    assert count >= 6
    assert everything[0].id == other
    assert [m.created_at for m in everything] == sorted(
        (m.created_at for m in everything), reverse=True
    )

    claimed = await outbox.claim("s", moment + timedelta(seconds=2), FAR_FUTURE, 100)
    assert {m.id for m in claimed} == set(ids[:3])
    await outbox.mark_sent(ids[1], "s", moment)
    sent, sent_total = await outbox.listing(status=SENT, recipient=person)
    assert ([m.id for m in sent], sent_total) == ([ids[1]], 1)
    queued, _ = await outbox.listing(status=QUEUED, recipient=person)
    assert [m.id for m in queued] == [ids[4], ids[3]]


async def test_purge_deletes_only_finished_mails_past_the_retention(outbox: SqlOutbox) -> None:
    moment = now()
    old = moment - timedelta(days=40)
    sent, failed, held, waiting = [await outbox.queue(mail(), old) for _ in range(4)]
    recent = await outbox.queue(mail(), moment - timedelta(days=1))
    claimed = {m.id for m in await outbox.claim("s", moment, FAR_FUTURE, 100)}
    assert claimed == {sent, failed, held, waiting, recent}
    await outbox.mark_sent(sent, "s", old)
    await outbox.mark_sent(recent, "s", moment)
    await outbox.mark_failed(failed, "s", "550 5.1.1 No such user", None)
    await outbox.mark_failed(waiting, "s", "451 later", moment + timedelta(hours=1))
    await outbox.release(held, "s")
    assert await outbox.hold_due(NO_PROVIDER, moment) == 1  # `held` (`waiting` is not due)

    assert await outbox.purge(moment - timedelta(days=30)) == 3
    assert [await outbox.get(i) for i in (sent, failed, held)] == [None] * 3
    kept = [await outbox.get(i) for i in (waiting, recent)]
    assert [m.status if m else None for m in kept] == [QUEUED, SENT]  # still to send; recent
