"""Jobs: creating them, running them as asyncio tasks in the server, and their download links.

Every job's state is in the database. A worker runs a job while it holds the job's lease,
renewed with each committed batch; a job whose worker died is taken over once its lease runs
out (a restarted server resumes it). At most `max_concurrent` jobs run in one process, and
at most that many imports may be unfinished at once (a further one is answered 429).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import hmac
import logging
import secrets
import string
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any, Protocol

from selfauth.domain.clients.secrets import SecretHasher
from selfauth.domain.clock import Clock
from selfauth.domain.connections.model import Connection
from selfauth.domain.emails.message import PendingMail
from selfauth.domain.jobs import export_fields
from selfauth.domain.jobs.import_rows import RowRules
from selfauth.domain.jobs.model import (
    COMPLETED,
    EXPORT,
    FAILED,
    IMPORT,
    PENDING,
    RETENTION_SECONDS,
    Job,
    LeaseLost,
)
from selfauth.domain.metadata_schemas.service import NO_SCHEMAS, Snapshot
from selfauth.domain.users.metadata import MetadataLimits
from selfauth.errors import InvalidBody, NotFound, OperationNotSupported
from selfauth.flows.jobs.completion import CompletionMails, completion_mail
from selfauth.flows.jobs.exports import run_export
from selfauth.flows.jobs.imports import Progress, run_import
from selfauth.flows.jobs.reader import UnreadableFile, check_array
from selfauth.flows.jobs.store import JobStore

log = logging.getLogger("selfauth.jobs")
_ALNUM = string.ascii_letters + string.digits
JOB_NOT_FOUND = "The job does not exist."


class SchemaSource(Protocol):
    async def load(self) -> None: ...
    async def snapshot(self) -> Snapshot: ...


class ConnectionFinder(Protocol):
    async def get(self, connection_id: str) -> Connection | None: ...
    async def get_by_name(self, name: str) -> Connection | None: ...


@dataclass(frozen=True)
class JobSettings:
    directory: Path
    max_concurrent: int = 2
    link_ttl_seconds: int = 60
    metadata: MetadataLimits = field(default_factory=MetadataLimits)
    # Rows per transaction: fewer, larger commits (a 5,000-row SQLite batch is written in
    # chunks, between which the event loop serves other requests).
    batch_size: int = 5000
    lease_seconds: int = 15
    poll_seconds: float = 2.0


def job_not_found() -> NotFound:
    return NotFound(JOB_NOT_FOUND, error_code="inexistent_job")


@dataclass(frozen=True)
class CompletionNotice:
    """Where an import's completion mail goes, and how the mail sender is woken for it."""

    mails: CompletionMails
    wake: Callable[[], None]


class JobQueue:
    def __init__(
        self,
        repo: JobStore,
        connections: ConnectionFinder,
        signer: SecretHasher,
        settings: JobSettings,
        issuer: str,
        clock: Clock,
        completion: CompletionNotice | None = None,
        schemas: SchemaSource | None = None,
    ) -> None:
        self.repo = repo
        self._schemas = schemas
        self._completion = completion
        self.settings = settings
        self._connections = connections
        self._signer = signer
        self._issuer = issuer
        self._clock = clock
        self._owner = secrets.token_hex(8)
        self._lease = timedelta(seconds=settings.lease_seconds)
        self._running: dict[str, asyncio.Task[None]] = {}
        self._wake = asyncio.Event()
        self._loop_task: asyncio.Task[None] | None = None

    # --- creating -------------------------------------------------------------------------

    def upload_path(self) -> Path:
        """Where a new upload is written (the caller streams it there)."""
        self.settings.directory.mkdir(parents=True, exist_ok=True)
        return self.settings.directory / f"upload-{secrets.token_hex(12)}.json"

    async def database_connection(
        self, *, connection_id: str | None, name: str | None
    ) -> Connection:
        connection = (
            await self._connections.get(connection_id)
            if connection_id is not None
            else await self._connections.get_by_name(name or "")
        )
        if connection is None:
            raise InvalidBody("The connection does not exist.", error_code="inexistent_connection")
        if not connection.is_database:
            raise OperationNotSupported(
                f"Users can only be imported into database connections ({connection.name} "
                f"uses the {connection.strategy} strategy)."
            )
        return connection

    async def create_import(
        self,
        upload: Path,
        connection: Connection,
        *,
        upsert: bool,
        external_id: str | None,
        send_completion_email: bool,
    ) -> Job:
        """Queue an import of a file already in place; the file is the job's from now on."""
        try:
            size = await asyncio.to_thread(_checked_size, upload)
        except UnreadableFile as exc:
            await remove(upload)
            raise InvalidBody(str(exc)) from exc
        now = self._clock()
        job = Job(
            id=new_job_id(),
            type=IMPORT,
            status=PENDING,
            connection_id=connection.id,
            connection_name=connection.name,
            created_at=now,
            updated_at=now,
            external_id=external_id,
            upsert=upsert,
            send_completion_email=send_completion_email,
            file_path=str(upload),
            progress_total=size,
        )
        try:
            await self.repo.create(job, max_unfinished_imports=self.settings.max_concurrent)
        except BaseException:
            await remove(upload)
            raise
        self._wake.set()
        return job

    async def create_export(
        self,
        connection: Connection | None,
        fmt: str,
        limit: int | None,
        fields: list[dict[str, Any]] | None,
    ) -> Job:
        export_fields.parse_fields(fields, fmt)  # refuse bad fields now, not in the job
        now = self._clock()
        job = Job(
            id=new_job_id(),
            type=EXPORT,
            status=PENDING,
            connection_id=connection.id if connection else None,
            connection_name=connection.name if connection else None,
            created_at=now,
            updated_at=now,
            format=fmt,
            limit=limit,
            fields=fields or None,
        )
        await self.repo.create(job)
        self._wake.set()
        return job

    async def get(self, job_id: str) -> Job:
        job = await self.repo.get(job_id)
        if job is None:
            raise job_not_found()
        return job

    async def find(self, job_id: str) -> Job | None:
        return await self.repo.get(job_id)

    async def recent(self, limit: int = 50) -> list[Job]:
        """The newest jobs, of every type (the dashboard lists them)."""
        return await self.repo.recent(limit)

    async def errors(self, job_id: str) -> list[dict[str, Any]]:
        """An import's failed rows: each user as given, and why."""
        return await self.repo.errors(job_id)

    # --- download links -------------------------------------------------------------------

    def location(self, job: Job) -> str | None:
        """A fresh signed link to a finished export, for a day after the job was created."""
        now = self._clock()
        if job.type != EXPORT or job.status != COMPLETED:
            return None
        if (now - job.created_at).total_seconds() > RETENTION_SECONDS:
            return None
        expires = int(now.timestamp()) + self.settings.link_ttl_seconds
        return (
            f"{self._issuer}jobs/{job.id}/download?expires={expires}"
            f"&sig={self._signature(job.id, expires)}"
        )

    def link_is_valid(self, job_id: str, expires: int, signature: str) -> bool:
        expected = self._signature(job_id, expires)
        # Bytes: compare_digest refuses str holding non-ASCII, and the caller sent this one.
        return hmac.compare_digest(expected.encode(), signature.encode())

    def _signature(self, job_id: str, expires: int) -> str:
        return self._signer.digest(f"jobs-download:{job_id}:{expires}")

    # --- running --------------------------------------------------------------------------

    async def start(self) -> None:
        self._loop_task = asyncio.create_task(self._loop(), name="selfauth-jobs")

    async def stop(self) -> None:
        """Cancel running jobs; their committed batches stay, and the lease is left to run
        out so that any worker (or this one, restarted) resumes them."""
        tasks = [*self._running.values(), *([self._loop_task] if self._loop_task else [])]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    async def _loop(self) -> None:
        cleaned = 0.0
        while True:
            try:
                await self._claim_free_jobs()
                loop_time = asyncio.get_running_loop().time()
                if loop_time - cleaned > 600:
                    cleaned = loop_time
                    await self._delete_expired()
            except Exception:
                log.exception("job scheduling failed; retrying")
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.settings.poll_seconds)

    async def _claim_free_jobs(self) -> None:
        now = self._clock()
        for job_id in await self.repo.claimable(now):
            if len(self._running) >= self.settings.max_concurrent:
                return
            if job_id in self._running:
                continue
            job = await self.repo.claim(job_id, self._owner, now + self._lease, now)
            if job is not None:
                task = asyncio.create_task(self.run(job), name=f"selfauth-job-{job.id}")
                self._running[job.id] = task
                task.add_done_callback(functools.partial(self._finished, job.id))

    async def running(self) -> list[Job]:
        """The jobs this process is running now, as last recorded (`/metrics` reads them)."""
        found = [await self.repo.get(job_id) for job_id in list(self._running)]
        return [job for job in found if job is not None]

    def _finished(self, job_id: str, _task: asyncio.Task[None]) -> None:
        self._running.pop(job_id, None)
        self._wake.set()

    async def claim(self, job_id: str) -> Job | None:
        now = self._clock()
        return await self.repo.claim(job_id, self._owner, now + self._lease, now)

    async def run(self, job: Job, on_progress: Progress | None = None) -> None:
        """Run a claimed job to its end, recording how it ended."""
        try:
            if job.type == IMPORT:
                await self._import(job, on_progress)
            else:
                await run_export(
                    self.repo,
                    job,
                    self.export_path(job),
                    owner=self._owner,
                    lease=self._lease,
                    clock=self._clock,
                )
                await self.repo.finish(
                    job.id,
                    self._owner,
                    COMPLETED,
                    self._clock(),
                    file_path=str(self.export_path(job)),
                )
                return
            await self.repo.finish(
                job.id, self._owner, COMPLETED, self._clock(), mails=self._completion_mails(job)
            )
            self._wake_sender(job)
            await self._remove_upload(job)
        except LeaseLost:
            log.warning("job %s was taken over by another worker", job.id)
        except (UnreadableFile, FileNotFoundError) as exc:
            await self._fail(job, str(exc))
            await self._remove_upload(job)
        except Exception:
            log.exception("job %s failed", job.id)
            await self._fail(job, "Internal error while running the job.")

    async def _import(self, job: Job, on_progress: Progress | None) -> None:
        if job.connection_id is None:
            raise UnreadableFile("The job names no connection.")
        connection = await self._connections.get(job.connection_id)
        if connection is None:
            raise UnreadableFile("The connection was deleted.")
        schemas = NO_SCHEMAS
        if self._schemas is not None:
            await self._schemas.load()  # as stored now: a job runs on without reloading
            schemas = await self._schemas.snapshot()
        rules = RowRules(
            connection,
            self.settings.metadata,
            schemas.for_connection(connection.id),
            upsert=job.upsert,
        )
        await run_import(
            self.repo,
            job,
            connection,
            rules,
            owner=self._owner,
            lease=self._lease,
            batch_size=self.settings.batch_size,
            clock=self._clock,
            on_progress=on_progress,
        )

    async def _fail(self, job: Job, details: str) -> None:
        with contextlib.suppress(LeaseLost):
            await self.repo.finish(
                job.id,
                self._owner,
                FAILED,
                self._clock(),
                mails=self._completion_mails(job),
                status_details=details,
            )
            self._wake_sender(job)

    def _completion_mails(self, job: Job) -> Callable[[Job], list[PendingMail]] | None:
        """An import asked for `send_completion_email`: its mail, made from the ended job."""
        notice = self._completion
        if notice is None or not _reports(job):
            return None
        return lambda ended: [PendingMail(completion_mail(ended, notice.mails))]

    def _wake_sender(self, job: Job) -> None:
        if self._completion is not None and _reports(job):
            self._completion.wake()

    async def _remove_upload(self, job: Job) -> None:
        """An uploaded file is the job's own; a file the CLI imports is the user's."""
        if job.type == IMPORT and job.file_path:
            path = Path(job.file_path)
            if path.parent == self.settings.directory and path.name.startswith("upload-"):
                await remove(path)

    def export_path(self, job: Job) -> Path:
        self.settings.directory.mkdir(parents=True, exist_ok=True)
        return self.settings.directory / f"export-{job.id}.{job.format or 'json'}.gz"

    async def _delete_expired(self) -> None:
        before = self._clock() - timedelta(seconds=RETENTION_SECONDS)
        for job in await self.repo.expired(before):
            if not job.finished:
                continue
            if job.file_path:
                await remove(Path(job.file_path))
            await self.repo.delete(job.id)


def _checked_size(upload: Path) -> int:
    check_array(upload)
    return upload.stat().st_size


async def remove(path: Path) -> None:
    await asyncio.to_thread(path.unlink, missing_ok=True)


def _reports(job: Job) -> bool:
    """Whether the job mails the administrator when it ends."""
    return job.type == IMPORT and job.send_completion_email


def new_job_id() -> str:
    return "job_" + "".join(secrets.choice(_ALNUM) for _ in range(16))
