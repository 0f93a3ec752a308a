"""The tenant logs' writer: events queued in memory, written in batches off the request's path.

A flow calls `record(type, ...)`: that builds the event (date, log id) and appends it to a
list, with no I/O, and returns. A background task writes what has gathered every `interval`
seconds in one multi-row insert. An event is *acknowledged* when `record` returns (so when
the response of the request that caused it is sent); from then on it is stored unless the
process dies without its shutdown (SIGKILL, power loss), which loses at most the last
interval's events:
- a failed write keeps the batch at the head of the queue and retries it at the next tick,
  so a database restart delays events without losing them;
- `close()` (the server's graceful stop, SIGTERM) stops the task and writes what is left,
  retrying a few times;
- past `MAX_BUFFERED` events waiting (the database down for long), new ones are dropped and
  counted in an error line: memory is bounded before logs are complete.
Readers flush first, so a log is readable the moment the request that made it has answered.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta
from typing import Any, Protocol

from selfauth.background import cancel
from selfauth.domain.clients.model import Client
from selfauth.domain.clock import Clock
from selfauth.domain.connections.model import Connection
from selfauth.domain.logs import TYPES, log_id, printable, scrub
from selfauth.domain.search import Query
from selfauth.domain.users.model import User
from selfauth.hooks.runner import RequestFacts

log = logging.getLogger("selfauth.logs")

MAX_BUFFERED = 100_000
PURGE_EVERY = 3000  # ticks between retention purges: about ten minutes at 0.2 s
CLOSE_ATTEMPTS = 5


class LogStore(Protocol):
    async def add_many(self, events: list[dict[str, Any]]) -> None: ...
    async def purge(self, before: datetime) -> int: ...
    async def get(self, log_id: str) -> dict[str, Any] | None: ...
    async def search(
        self, query: Query, *, ascending: bool, offset: int, limit: int
    ) -> list[dict[str, Any]]: ...
    async def count(self, query: Query, cap: int) -> int: ...
    async def after(self, log_id: str, take: int) -> list[dict[str, Any]]: ...


def strategy_type(connection: Connection) -> str:
    if connection.is_database:
        return "database"
    return "social" if connection.is_social else "enterprise"


def about(
    *,
    client: Client | None = None,
    user: User | None = None,
    connection: Connection | None = None,
    facts: RequestFacts | None = None,
) -> dict[str, Any]:
    """The fields a flow has in hand: who, through which application and connection, from
    where. Nothing is read for them."""
    fields: dict[str, Any] = {}
    if client is not None:
        fields["client_id"] = client.client_id
        fields["client_name"] = client.name
    if user is not None:
        fields["user_id"] = user.user_id
        fields["user_name"] = user.email or user.username or user.phone_number or user.name
    if connection is not None:
        fields["connection"] = connection.name
        fields["connection_id"] = connection.id
        fields["strategy"] = connection.strategy
        fields["strategy_type"] = strategy_type(connection)
    if facts is not None:
        fields["ip"] = facts.ip
        fields["user_agent"] = facts.user_agent[:512] or None
        fields["hostname"] = facts.hostname[:255] or None  # the column's size
    return fields


class LogWriter:
    def __init__(
        self,
        store: LogStore,
        clock: Clock,
        *,
        retention: timedelta,
        enabled: bool = True,
        interval: float = 0.2,
    ) -> None:
        self._store = store
        self._clock = clock
        self._retention = retention
        self._enabled = enabled
        self._interval = interval
        self._queue: list[dict[str, Any]] = []
        self._dropped = 0
        self._task: asyncio.Task[None] | None = None
        # A reader's flush waits for a batch the background task is still writing.
        self._writing = asyncio.Lock()

    @property
    def enabled(self) -> bool:
        return self._enabled

    def record(self, type_code: str, **fields: Any) -> None:
        """Queue one event; no I/O. `details` is scrubbed of secrets here."""
        if not self._enabled:
            return
        if len(self._queue) >= MAX_BUFFERED:
            self._dropped += 1
            return
        now = self._clock()
        event: dict[str, Any] = {
            "log_id": log_id(now),
            "date": now,
            "type": type_code,
            "description": TYPES.get(type_code),
        }
        for key, value in fields.items():
            if value is not None:
                if key == "details":
                    event[key] = scrub(value)
                else:
                    event[key] = printable(value) if isinstance(value, str) else value
        self._queue.append(event)

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def close(self) -> None:
        """Stop the task and write every queued event (the graceful stop's promise)."""
        await cancel(self._task)
        self._task = None
        for attempt in range(CLOSE_ATTEMPTS):
            try:
                await self.flush()
                return
            except Exception:
                log.exception("could not write the last log events (try %d)", attempt + 1)
                await asyncio.sleep(0.5 * (attempt + 1))
        log.error("%d log events were not written at shutdown", len(self._queue))

    async def flush(self) -> None:
        """Write what has gathered; when it returns, every event recorded before is stored.
        On failure the events stay queued, ahead of newer ones, and the error is raised."""
        async with self._writing:
            batch, self._queue = self._queue, []
            if not batch:
                return
            try:
                await self._store.add_many(batch)
            except Exception:
                batch = await self._one_by_one(batch)
                if batch:
                    self._queue = batch + self._queue
                    raise
            except BaseException:
                self._queue = batch + self._queue
                raise
        if self._dropped:
            log.error("%d log events dropped: the queue was full", self._dropped)
            self._dropped = 0

    async def _one_by_one(self, batch: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """After a failed batch: each event alone. When some are stored, those that still fail
        are refused by the database for what they hold, and are dropped (one bad event must
        not hold back every later one); when none is, the database is away and the whole
        batch is kept to be retried."""
        failed: list[dict[str, Any]] = []
        for event in batch:
            try:
                await self._store.add_many([event])
            except Exception:
                failed.append(event)
        if failed and len(failed) < len(batch):
            log.error("%d log events refused by the database, dropped", len(failed))
            return []
        return failed

    async def purge(self) -> int:
        return await self._store.purge(self._clock() - self._retention)

    async def _run(self) -> None:
        ticks = 0
        while True:
            await asyncio.sleep(self._interval)
            ticks += 1
            try:
                await self.flush()
                if ticks % PURGE_EVERY == 1:  # soon after start, then every ten minutes
                    await self.purge()
            except Exception:  # a failed write must not end the writer; retried next tick
                log.exception("could not write log events")

    async def _flush_for_reader(self) -> None:
        """A reader lists what is stored even while a write fails (it is retried)."""
        try:
            await self.flush()
        except Exception:
            log.exception("could not write log events before a read")

    # Reading: the Management API's. Each flushes first (a login a moment ago is listed).
    async def get(self, wanted: str) -> dict[str, Any] | None:
        await self._flush_for_reader()
        return await self._store.get(wanted)

    async def search(
        self, query: Query, *, ascending: bool, offset: int, limit: int
    ) -> list[dict[str, Any]]:
        await self._flush_for_reader()
        return await self._store.search(query, ascending=ascending, offset=offset, limit=limit)

    async def count(self, query: Query, cap: int) -> int:
        return await self._store.count(query, cap)

    async def after(self, checkpoint: str, take: int) -> list[dict[str, Any]]:
        await self._flush_for_reader()
        return await self._store.after(checkpoint, take)
