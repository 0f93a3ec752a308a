"""Running one import job: batches read on a thread, each committed with its progress.

The next batch is read (parsed, checked, its users built and encoded) on a thread while the
current one is written, so file and database work overlap; at most one batch waits ahead.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

from selfauth.domain.clock import Clock
from selfauth.domain.connections.model import Connection
from selfauth.domain.jobs.import_plan import Existing, Plan, plan_batch
from selfauth.domain.jobs.import_rows import RowRules
from selfauth.domain.jobs.model import Job
from selfauth.flows.jobs.reader import Batch, ImportReader
from selfauth.flows.jobs.store import JobStore

Progress = Callable[[Job], None]


async def run_import(
    repo: JobStore,
    job: Job,
    connection: Connection,
    rules: RowRules,
    *,
    owner: str,
    lease: timedelta,
    batch_size: int,
    clock: Clock,
    on_progress: Progress | None = None,
) -> None:
    """Import from where the last committed batch ended. Raises `UnreadableFile` (the file
    breaks off or is not an array) or `LeaseLost` (another worker took the job over)."""
    reader = ImportReader(Path(job.file_path or ""), rules, batch_size, clock)

    def read() -> Batch | None:
        batch = reader.next_batch()
        if batch is not None:
            users = [c.user for c in batch.candidates if c.user is not None]
            batch.encoded = repo.encode(users)
        return batch

    ahead: asyncio.Task[Batch | None] | None = None
    try:
        if job.rows_done:
            await asyncio.to_thread(reader.skip, job.rows_done)
        ahead = asyncio.create_task(asyncio.to_thread(read))
        while True:
            batch = await ahead
            if batch is None:
                return
            ahead = asyncio.create_task(asyncio.to_thread(read))
            await _commit(repo, job, batch, connection, owner, clock() + lease, clock())
            if on_progress is not None:
                current = await repo.get(job.id)
                if current is not None:
                    on_progress(current)
    finally:
        if ahead is not None and not ahead.done():
            # The thread cannot be stopped: let it finish before its file is closed.
            with contextlib.suppress(BaseException):
                await asyncio.wait([ahead])
        if ahead is not None and ahead.done() and not ahead.cancelled():
            ahead.exception()  # a read ahead that failed is not the job's error: silence it
        reader.close()


async def _commit(
    repo: JobStore,
    job: Job,
    batch: Batch,
    connection: Connection,
    owner: str,
    until: datetime,
    now: datetime,
) -> None:
    def plan(existing: list[Existing]) -> Plan:
        return plan_batch(
            batch.candidates, existing, connection=connection, upsert=job.upsert, now=now
        )

    await repo.commit_batch(job, owner, until, batch.lookup(), plan, batch.result, batch.encoded)
