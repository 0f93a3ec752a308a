"""`selfauth users import` and `selfauth users export`: the import and export jobs, run in this
process directly on the database (`SELFAUTH_DATABASE_URL`, as `selfauth serve` reads it).

An import run here is an ordinary job: it shows in `GET /api/v2/jobs/{id}`, and if this
command is killed, a running server takes the job over and finishes it (its file path must
be readable by the server).
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from selfauth.cli_database import open_tenant
from selfauth.config import Settings
from selfauth.domain.clients.secrets import SecretHasher
from selfauth.domain.clock import utc_now
from selfauth.domain.jobs import export_fields
from selfauth.domain.jobs.model import Job
from selfauth.errors import SelfauthError
from selfauth.flows.jobs.exports import export_lines
from selfauth.flows.jobs.queue import JobQueue
from selfauth.storage.connections import SqlConnectionRepository
from selfauth.storage.database import Database
from selfauth.storage.keys import SqlKeyRepository

_err = Console(stderr=True)


async def _open(settings: Settings) -> tuple[Database, JobQueue]:
    from selfauth.app import job_queue

    database = await open_tenant(settings, _err)
    connections = SqlConnectionRepository(database)
    secrets = SecretHasher(await SqlKeyRepository(database).hmac_key())
    return database, job_queue(database, connections, secrets, settings, utc_now)


def run_import(settings: Settings, file: Path, connection: str, upsert: bool) -> None:
    path = file.resolve()
    size = path.stat().st_size

    async def run() -> tuple[Job, list[dict[str, Any]]]:
        database, queue = await _open(settings)
        try:
            target = await queue.database_connection(connection_id=None, name=connection)
            job = await queue.create_import(
                path,
                target,
                upsert=upsert,
                external_id=None,
                send_completion_email=False,
            )
            claimed = await queue.claim(job.id)
            if claimed is None:
                raise SelfauthError("Another worker took the job before this command could.")
            with _ImportProgress(size) as update:
                await queue.run(claimed, on_progress=update)
            final = await queue.get(job.id)
            return final, (await queue.errors(job.id) if final.failed else [])
        finally:
            await queue.stop()
            await database.dispose()

    try:
        job, errors = asyncio.run(run())
    except SelfauthError as exc:
        _err.print(f"selfauth: {exc.message}")
        raise typer.Exit(1) from exc
    if errors:
        _errors_path(file).write_bytes(orjson.dumps(errors, option=orjson.OPT_INDENT_2))
    _err.print(
        f"job {job.id} {job.status}: {job.inserted} inserted, {job.updated} updated, "
        f"{job.failed} failed, {job.rows_done} total"
    )
    if job.status_details:
        _err.print(f"  {job.status_details}")
    if job.failed:
        _err.print(f"  errors: {_errors_path(file)} (also GET /api/v2/jobs/{job.id}/errors)")
    if job.status != "completed":
        raise typer.Exit(1)


def _errors_path(file: Path) -> Path:
    return file.with_name(file.name + ".errors.json")


class _ImportProgress:
    """A rich bar over the bytes of the file, with the counts and the users per second."""

    def __init__(self, size: int) -> None:
        self._progress = Progress(
            TextColumn("importing"),
            BarColumn(),
            TaskProgressColumn(),
            DownloadColumn(),
            TextColumn("{task.fields[counts]}"),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=_err,
        )
        self._task = self._progress.add_task("import", total=size, counts="")
        self._started = 0.0

    def __enter__(self) -> Callable[[Job], None]:
        self._progress.start()
        self._started = asyncio.get_event_loop().time()
        return self._update

    def __exit__(self, *_exc: object) -> None:
        self._progress.stop()

    def _update(self, job: Job) -> None:
        elapsed = max(asyncio.get_event_loop().time() - self._started, 1e-6)
        counts = (
            f"{job.inserted} inserted, {job.updated} updated, {job.failed} failed, "
            f"{job.rows_done / elapsed:,.0f} users/s"
        )
        self._progress.update(self._task, completed=job.progress_done, counts=counts)


def run_export(
    settings: Settings,
    fmt: str,
    fields: list[str],
    connection: str | None,
    limit: int | None,
) -> None:
    names = [name.strip() for option in fields for name in option.split(",") if name.strip()]
    requested = [{"name": name} for name in names] or None

    async def run() -> int:
        database, queue = await _open(settings)
        try:
            chosen = export_fields.parse_fields(requested, fmt)
            connection_id = None
            if connection is not None:
                found = await queue.database_connection(connection_id=None, name=connection)
                connection_id = found.id
            total = await queue.repo.count_users(connection_id)
            total = min(total, limit) if limit is not None else total
            written = 0
            with Progress(
                TextColumn("exporting"),
                BarColumn(),
                TaskProgressColumn(),
                TextColumn("{task.completed:,.0f}/{task.total:,.0f} users"),
                TimeElapsedColumn(),
                console=_err,
            ) as progress:
                task = progress.add_task("export", total=total)
                async for chunk in export_lines(queue.repo, connection_id, fmt, chosen, limit):
                    sys.stdout.buffer.write(chunk)
                    written += chunk.count(b"\n")
                    progress.update(task, completed=min(written, total))
            sys.stdout.buffer.flush()
            return total
        finally:
            await database.dispose()

    try:
        total = asyncio.run(run())
    except SelfauthError as exc:
        _err.print(f"selfauth: {exc.message}")
        raise typer.Exit(1) from exc
    _err.print(f"exported {total} users as {fmt}")
