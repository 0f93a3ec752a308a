"""Mails queued per second: a change committed with its mail (`storage.outbox.queue_in` inside
the change's write transaction, as the flows that mail do), beside the same transaction
without the mail, measured in the same run on the same database. The change is what a
verification mail goes with: a user's row updated.

    .venv/bin/python bench/mail_outbox.py [--transactions N] [--concurrency C]
        [--postgres postgresql://postgres@127.0.0.1:5432/postgres]

Figures are transactions per second, the best of three alternated rounds each.
"""

from __future__ import annotations

import argparse
import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from _harness import database

from selfauth.config import parse_database_url
from selfauth.domain.emails.message import OutgoingMail
from selfauth.domain.users.model import User
from selfauth.storage.bootstrap import bootstrap
from selfauth.storage.connections import SqlConnectionRepository
from selfauth.storage.database import Database
from selfauth.storage.migrate import upgrade
from selfauth.storage.outbox import queue_in
from selfauth.storage.tables import users
from selfauth.storage.users import SqlUserRepository

HTML = (
    "<p>Hello,</p><p><a href='https://auth.example.com/verify?ticket="
    + "x" * 40
    + "'>Verify</a></p>"
)


def mail_for(user_id: str) -> OutgoingMail:
    return OutgoingMail(
        template="verify_email",
        recipient="someone@example.com",
        from_address="no-reply@example.com",
        subject="Verify your email",
        html=HTML * 8,  # a built-in template's size: about 1.5 KB of HTML
        text="Verify: https://auth.example.com/verify?ticket=" + "x" * 40,
        user_id=user_id,
    )


async def setup(db: Database, count: int) -> list[str]:
    await upgrade(db)
    await bootstrap(
        db,
        audience="http://127.0.0.1/api/v2/",
        clock=lambda: datetime.now(UTC),
        client_id=None,
        client_secret=None,
    )
    repo = SqlUserRepository(db)

    connection = await SqlConnectionRepository(db).get_by_name("Username-Password-Authentication")
    assert connection is not None
    ids = []
    for _ in range(count):
        moment = datetime.now(UTC)
        user = User(
            user_id=f"auth0|{uuid.uuid4().hex[:24]}",
            connection_id=connection.id,
            created_at=moment,
            updated_at=moment,
            email=f"{uuid.uuid4().hex[:12]}@example.com",
        )
        await repo.insert(user)
        ids.append(user.user_id)
    return ids


async def change(db: Database, user_id: str, with_mail: bool) -> None:
    now = datetime.now(UTC)
    async with db.write() as conn:
        await conn.execute(users.update().where(users.c.user_id == user_id).values(updated_at=now))
        if with_mail:
            await queue_in(conn, mail_for(user_id), now)


async def rate(
    work: Callable[[str], Awaitable[None]], ids: list[str], transactions: int, concurrency: int
) -> float:
    per_task = transactions // concurrency

    async def worker(offset: int) -> None:
        for n in range(per_task):
            await work(ids[(offset + n) % len(ids)])

    started = time.perf_counter()
    await asyncio.gather(*(worker(i * 7) for i in range(concurrency)))
    return per_task * concurrency / (time.perf_counter() - started)


async def run(url: str, transactions: int, concurrency: int) -> tuple[float, float]:
    db = Database(parse_database_url(url))
    try:
        ids = await setup(db, 100)
        plain: list[float] = []
        mailed: list[float] = []
        await rate(lambda i: change(db, i, True), ids, 200, concurrency)  # warm-up
        for _ in range(3):
            plain.append(await rate(lambda i: change(db, i, False), ids, transactions, concurrency))
            mailed.append(await rate(lambda i: change(db, i, True), ids, transactions, concurrency))
        return max(plain), max(mailed)
    finally:
        await db.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--transactions", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, default=1)
    parser.add_argument("--postgres", default=None)
    args = parser.parse_args()
    with database(args.postgres) as url:
        plain, mailed = asyncio.run(run(url, args.transactions, args.concurrency))
    backend = "PostgreSQL" if args.postgres else "SQLite"
    print(f"{backend}, concurrency {args.concurrency}, {args.transactions} transactions a round")
    print(f"baseline, the change alone: {plain:,.0f} transactions/s")
    print(f"the change with its mail queued: {mailed:,.0f} mails/s")
    print(f"ratio: {mailed / plain:.2f}")


if __name__ == "__main__":
    main()
