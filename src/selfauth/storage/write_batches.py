"""Concurrent changes of one row, applied together: while a transaction writes a row, the
changes that arrive for it queue, and the next transaction applies all of them in turn, each
to the row as the one before left it, and writes once (group commit).

Each change keeps its own outcome: its own result, or its own error (a refused change is
skipped, and the others still apply). Fifty PATCHes of one user at once cost a few
transactions instead of fifty, each waiting behind the last (bench/RESULTS.md, 2026-12-07).

The batches run in a task of their own, not in any request's: a request that goes away (its
client hung up) does not take the changes of the others queued with it along.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

C = TypeVar("C")  # what a writer asks for
R = TypeVar("R")  # what it is answered


@dataclass
class Pending(Generic[C, R]):
    change: C
    outcome: asyncio.Future[R] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )

    def __post_init__(self) -> None:
        # A caller that went away never reads its error: mark it read, so asyncio does not
        # report an exception that was never retrieved.
        self.outcome.add_done_callback(lambda f: f.cancelled() or f.exception())

    def done(self, result: R) -> None:
        if not self.outcome.done():
            self.outcome.set_result(result)

    def failed(self, error: BaseException) -> None:
        if not self.outcome.done():
            self.outcome.set_exception(error)


Apply = Callable[[str, list[Pending[C, R]]], Awaitable[None]]


class WriteBatches(Generic[C, R]):
    """`apply(key, batch)` settles every pending change of `batch` (a change it leaves
    unsettled fails); it runs for one key at a time."""

    def __init__(self, apply: Apply[C, R]) -> None:
        self._apply = apply
        self._queues: dict[str, list[Pending[C, R]]] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    async def submit(self, key: str, change: C) -> R:
        pending: Pending[C, R] = Pending(change)
        queue = self._queues.get(key)
        if queue is None:
            queue = self._queues[key] = []
            task = asyncio.create_task(self._drain(key, queue), name=f"writes of {key}")
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        queue.append(pending)
        # The change is applied whether or not this caller still waits for it.
        return await asyncio.shield(pending.outcome)

    async def _drain(self, key: str, queue: list[Pending[C, R]]) -> None:
        try:
            while queue:
                batch = queue[:]
                del queue[:]
                try:
                    await self._apply(key, batch)
                except BaseException as error:
                    for pending in batch:
                        pending.failed(error)
                    if not isinstance(error, Exception):
                        raise
                for pending in batch:
                    pending.failed(RuntimeError("the change was not applied"))
        finally:
            del self._queues[key]
            for pending in queue:  # cancelled (the server stopping) with changes queued
                pending.failed(RuntimeError("the server stopped before the change was applied"))

    def __len__(self) -> int:
        return len(self._queues)
