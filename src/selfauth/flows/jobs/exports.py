"""Running one export job: users in `user_id` order, projected, written to a gzip file."""

from __future__ import annotations

import asyncio
import gzip
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

from selfauth.domain.clock import Clock
from selfauth.domain.jobs import export_fields
from selfauth.domain.jobs.export_fields import ExportField
from selfauth.domain.jobs.model import Job
from selfauth.domain.users.model import User
from selfauth.flows.jobs.store import JobStore

PAGE = 1000


async def export_lines(
    repo: JobStore,
    connection_id: str | None,
    fmt: str,
    fields: list[ExportField] | None,
    limit: int | None,
) -> AsyncIterator[bytes]:
    """The export's content, a page of lines at a time (the header first for CSV)."""
    if fmt == "csv" and fields is not None:
        yield export_fields.csv_header(fields)
    after: str | None = None
    remaining = limit
    while remaining is None or remaining > 0:
        size = PAGE if remaining is None else min(PAGE, remaining)
        page = await repo.users_after(connection_id, after, size)
        if not page:
            return
        yield await asyncio.to_thread(_render, page, fmt, fields)
        after = page[-1].user_id
        if remaining is not None:
            remaining -= len(page)


def _render(page: list[User], fmt: str, fields: list[ExportField] | None) -> bytes:
    records = (export_fields.project(user, fields) for user in page)
    if fmt == "csv" and fields is not None:
        return b"".join(export_fields.csv_line(record, fields) for record in records)
    return b"".join(export_fields.ndjson_line(record) for record in records)


async def run_export(
    repo: JobStore,
    job: Job,
    target: Path,
    *,
    owner: str,
    lease: timedelta,
    clock: Clock,
) -> None:
    """Write the whole export again (a restart starts over), then move it into place."""
    fields = export_fields.parse_fields(job.fields, job.format or "json")
    partial = target.with_suffix(".partial")
    total = await repo.count_users(job.connection_id)
    if job.limit is not None:
        total = min(total, job.limit)
    done = 0
    with gzip.open(partial, "wb") as out:
        async for chunk in export_lines(
            repo, job.connection_id, job.format or "json", fields, job.limit
        ):
            await asyncio.to_thread(_write, out, chunk)
            done += chunk.count(b"\n")
            await repo.progress(
                job.id, owner, clock() + lease, progress_total=total, progress_done=done
            )
    partial.replace(target)


def _write(out: gzip.GzipFile, chunk: bytes) -> None:
    out.write(chunk)
