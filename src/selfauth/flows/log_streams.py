"""Log streams: their Management API (`LogStreamService`) and their delivery
(`LogStreamDelivery`, a background task the server starts and stops beside the logs' writer).

Delivery is durable and in order per stream: each stream keeps `cursor`, the last log id its
receiver acknowledged with a 2xx, in the database. Every `poll` seconds (or at once when a
stream is created or resumed) the task takes, for each active stream, the logs after its cursor
that its filters let through, oldest first, up to 100, POSTs them in the stream's format, and
moves the cursor past them only on a 2xx. A failure (an error status, no answer within the
timeout) leaves the cursor where it is and retries the same batch after a backoff (`retry`
seconds doubling up to `retry_max`); `suspend_failures` consecutive failures spanning at least
`suspend_seconds` suspend the stream, which then waits for an administrator to set it active
again and resumes from its cursor. A batch that reached the receiver but whose answer was lost
is sent again (at least once; exactly once whenever the receiver answers). One process at a
time delivers a stream (a lease in its row), so several server processes never interleave.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any, Protocol

import httpx

from selfauth.background import cancel
from selfauth.domain import log_streams as rules
from selfauth.domain.clock import Clock
from selfauth.domain.emails.sealing import Sealer
from selfauth.domain.log_streams import LogStream
from selfauth.domain.logs import log_id

log = logging.getLogger("selfauth.log_streams")

BATCH = 100
BATCHES_PER_TURN = 50  # then the next turn comes at once: other streams get their turn too
SEALED_AS = "log stream authorization"


class LogStreamStore(Protocol):
    async def all(self) -> list[dict[str, Any]]: ...
    async def get(self, stream_id: str) -> dict[str, Any] | None: ...
    async def create(self, row: dict[str, Any], now: datetime) -> None: ...
    async def update(self, stream_id: str, fields: dict[str, Any], now: datetime) -> bool: ...
    async def delete(self, stream_id: str) -> None: ...
    async def claim(self, stream_id: str, owner: str, now: datetime, until: datetime) -> bool: ...
    async def release(self, owner: str) -> None: ...
    async def pending(
        self, cursor: str, types: list[str] | None, take: int
    ) -> list[dict[str, Any]]: ...
    async def delivered(self, stream_id: str, owner: str, cursor: str) -> None: ...
    async def failed(
        self, stream_id: str, owner: str, failures: int, since: datetime, suspend: bool
    ) -> None: ...


def _stored_sink(sink: dict[str, Any], sealer: Sealer) -> dict[str, Any]:
    stored = {key: value for key, value in sink.items() if key != "httpAuthorization"}
    authorization = sink.get("httpAuthorization")
    if authorization:
        stored["httpAuthorization"] = sealer.seal(authorization, SEALED_AS)
    return stored


def _stream(row: dict[str, Any], sealer: Sealer) -> LogStream:
    sink = row["sink"]
    sealed = sink.get("httpAuthorization")
    return LogStream(
        id=row["id"],
        name=row["name"],
        status=row["status"],
        filters=list(row["filters"]),
        endpoint=sink["httpEndpoint"],
        content_type=sink.get("httpContentType", "application/json"),
        content_format=sink.get("httpContentFormat", "JSONLINES"),
        authorization=sealer.open(sealed, SEALED_AS) if sealed else None,
        cursor=row["cursor"],
    )


def _sink_of(stream: LogStream) -> dict[str, Any]:
    sink: dict[str, Any] = {
        "httpEndpoint": stream.endpoint,
        "httpContentType": stream.content_type,
        "httpContentFormat": stream.content_format,
    }
    if stream.authorization:
        sink["httpAuthorization"] = stream.authorization
    return sink


class LogStreamService:
    """`/api/v2/log-streams`. `changed()` tells the delivery a stream may have work now."""

    def __init__(
        self, store: LogStreamStore, sealer: Sealer, clock: Clock, changed: Callable[[], None]
    ) -> None:
        self._store = store
        self._sealer = sealer
        self._clock = clock
        self._changed = changed

    async def list(self) -> list[dict[str, Any]]:
        return [rules.view(_stream(row, self._sealer)) for row in await self._store.all()]

    async def _get(self, stream_id: str) -> LogStream:
        row = await self._store.get(stream_id) if len(stream_id) <= 32 else None
        if row is None:
            raise rules.inexistent()
        return _stream(row, self._sealer)

    async def get(self, stream_id: str) -> dict[str, Any]:
        return rules.view(await self._get(stream_id))

    async def create(self, body: dict[str, Any]) -> dict[str, Any]:
        unknown = sorted(set(body) - {"name", "type", "sink", "filters", "status", "pii_config"})
        if unknown:
            raise rules.invalid(f"Additional properties not allowed: {', '.join(unknown)}", "")
        rules.check_type(body.get("type"))
        if "sink" not in body:
            raise rules.invalid("Missing required property: sink", "sink")
        sink = rules.check_sink(body["sink"])
        name = rules.check_name(body.get("name", "http log stream"))
        filters = rules.check_filters(body.get("filters", []))
        status = rules.check_status(body.get("status", "active"))
        now = self._clock()
        row = {
            "id": rules.new_id(),
            "name": name,
            "status": status,
            "filters": filters,
            "sink": _stored_sink(sink, self._sealer),
            # From now on: a new stream does not replay the logs written before it.
            "cursor": log_id(now),
        }
        await self._store.create(row, now)
        self._changed()
        return rules.view(_stream(row, self._sealer))

    async def update(self, stream_id: str, body: dict[str, Any]) -> dict[str, Any]:
        unknown = sorted(set(body) - {"name", "sink", "filters", "status", "pii_config"})
        if unknown:
            raise rules.invalid(f"Additional properties not allowed: {', '.join(unknown)}", "")
        stream = await self._get(stream_id)
        fields: dict[str, Any] = {}
        if "name" in body:
            fields["name"] = rules.check_name(body["name"])
        if "filters" in body:
            fields["filters"] = rules.check_filters(body["filters"])
        if "sink" in body:
            sink = rules.check_sink(body["sink"], _sink_of(stream))
            fields["sink"] = _stored_sink(sink, self._sealer)
        if "status" in body:
            fields["status"] = rules.check_status(body["status"])
            if fields["status"] == "active":  # resumed: failures so far no longer count
                fields["failures"] = 0
                fields["failing_since"] = None
        if fields and not await self._store.update(stream_id, fields, self._clock()):
            raise rules.inexistent()
        self._changed()
        return await self.get(stream_id)

    async def delete(self, stream_id: str) -> None:
        """No error when it is already gone (Auth0 answers 204 too)."""
        await self._store.delete(stream_id)


class LogStreamDelivery:
    def __init__(
        self,
        store: LogStreamStore,
        sealer: Sealer,
        clock: Clock,
        flush: Callable[[], Awaitable[None]],
        *,
        poll: float,
        timeout: float,
        retry: float,
        retry_max: float,
        suspend_failures: int,
        suspend_seconds: float,
    ) -> None:
        self._store = store
        self._sealer = sealer
        self._clock = clock
        self._flush = flush  # the logs' writer: what was recorded is stored before it is read
        self._poll = poll
        self._timeout = timeout
        self._retry = retry
        self._retry_max = retry_max
        self._suspend_failures = suspend_failures
        self._suspend_seconds = suspend_seconds
        self._owner = secrets.token_hex(8)
        self._not_before: dict[str, float] = {}  # stream id -> loop time its retry is due
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._http: httpx.AsyncClient | None = None

    def changed(self) -> None:
        """A stream was created or changed: a resumed one is retried at once."""
        self._not_before.clear()
        self._wake.set()

    def start(self) -> None:
        # No redirects: requests go to the stream's endpoint only.
        self._http = httpx.AsyncClient(timeout=self._timeout, follow_redirects=False)
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        await cancel(self._task)
        self._task = None
        if self._http is not None:
            await self._http.aclose()
            self._http = None
        try:
            await self._store.release(self._owner)
        except Exception:  # the leases then expire on their own
            log.exception("could not release the log streams' leases")

    async def _run(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self._poll)
            self._wake.clear()
            try:
                await self.turn()
            except Exception:  # the task must outlive a database outage; next turn retries
                log.exception("log stream delivery failed")

    async def turn(self) -> None:
        rows = [row for row in await self._store.all() if row["status"] == "active"]
        if not rows:
            return
        await self._flush()
        now = asyncio.get_running_loop().time()
        due = [row for row in rows if self._not_before.get(row["id"], 0.0) <= now]
        more = await asyncio.gather(*(self._deliver(row) for row in due))
        if any(more):
            self._wake.set()

    async def _deliver(self, row: dict[str, Any]) -> bool:
        """Send what the stream has waiting; True when a turn's worth went and more waits."""
        stream = _stream(row, self._sealer)
        now = self._clock()
        lease = timedelta(seconds=self._timeout * 3 + self._poll + 30)
        if not await self._store.claim(stream.id, self._owner, now, now + lease):
            return False
        types = rules.types_of(stream.filters)
        take = 1 if stream.content_format == "JSONOBJECT" else BATCH
        cursor = stream.cursor
        for _ in range(BATCHES_PER_TURN):
            events = await self._store.pending(cursor, types, take)
            if not events:
                return False
            if not await self._post(stream, events):
                await self._failed(row)
                return False
            cursor = events[-1]["log_id"]
            await self._store.delivered(stream.id, self._owner, cursor)
            row = {**row, "failures": 0, "failing_since": None}
            self._not_before.pop(stream.id, None)
        return True

    async def _post(self, stream: LogStream, events: list[dict[str, Any]]) -> bool:
        assert self._http is not None
        headers = {"content-type": stream.content_type}
        if stream.authorization:
            headers["authorization"] = stream.authorization
        for body in rules.bodies(stream.content_format, events):
            try:
                answer = await self._http.post(stream.endpoint, content=body, headers=headers)
            except httpx.HTTPError as exc:
                log.warning("log stream %s: %s unreachable (%s)", stream.id, stream.endpoint, exc)
                return False
            if not 200 <= answer.status_code < 300:
                log.warning(
                    "log stream %s: %s answered %d", stream.id, stream.endpoint, answer.status_code
                )
                return False
        return True

    async def _failed(self, row: dict[str, Any]) -> None:
        now = self._clock()
        failures = int(row["failures"]) + 1
        since = row["failing_since"] or now
        suspend = rules.suspends(
            failures, since, now, after=self._suspend_failures, span=self._suspend_seconds
        )
        await self._store.failed(row["id"], self._owner, failures, since, suspend)
        if suspend:
            log.error("log stream %s suspended after %d failures", row["id"], failures)
        delay = min(self._retry * 2 ** min(failures - 1, 30), self._retry_max)
        self._not_before[row["id"]] = asyncio.get_running_loop().time() + delay
