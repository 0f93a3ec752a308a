"""A job as stored: one row, whatever worker created or runs it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

IMPORT = "users_import"
EXPORT = "users_export"
VERIFICATION_EMAIL = "verification_email"  # done when its mail is queued
PENDING = "pending"
PROCESSING = "processing"
COMPLETED = "completed"
FAILED = "failed"
UNFINISHED = (PENDING, PROCESSING)
# Auth0 deletes a job and its data a day after it was created.
RETENTION_SECONDS = 24 * 3600


@dataclass(frozen=True)
class Job:
    id: str
    type: str
    status: str
    connection_id: str | None
    created_at: datetime
    updated_at: datetime
    connection_name: str | None = None
    external_id: str | None = None
    upsert: bool = False
    send_completion_email: bool = False
    format: str | None = None
    limit: int | None = None
    fields: list[dict[str, Any]] | None = None
    # The uploaded file (imports) or the gzip written (exports), inside the jobs directory.
    file_path: str | None = None
    # Progress in bytes of the file read (imports) or users written (exports), for
    # `percentage_done`; a restart of an import resumes after `rows_done` rows.
    progress_total: int = 0
    progress_done: int = 0
    rows_done: int = 0
    inserted: int = 0
    updated: int = 0
    failed: int = 0
    status_details: str | None = None
    started_at: datetime | None = None
    completed_at: datetime | None = None
    # The worker running it, and until when; another may take over once that has passed.
    lease_owner: str | None = field(default=None, repr=False)
    lease_until: datetime | None = field(default=None, repr=False)

    @property
    def finished(self) -> bool:
        return self.status not in UNFINISHED


@dataclass(frozen=True)
class RowError:
    """One reason a row of an import file was refused, in Auth0's terms."""

    code: str
    message: str
    path: str

    def wire(self) -> dict[str, str]:
        return {"code": self.code, "message": self.message, "path": self.path}


@dataclass
class BatchResult:
    """What one committed batch of an import changed."""

    rows: int
    progress_done: int
    inserted: int = 0
    updated: int = 0
    errors: list[tuple[int, Any, list[RowError]]] = field(default_factory=list)

    @property
    def failed(self) -> int:
        return len(self.errors)


class LeaseLost(Exception):
    """Another worker took the job over (this one was presumed dead): stop, write nothing."""
