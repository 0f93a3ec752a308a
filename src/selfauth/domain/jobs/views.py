"""The wire shape of a job (`GET /api/v2/jobs/{id}`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from selfauth.domain.clock import iso
from selfauth.domain.jobs.model import EXPORT, IMPORT, PENDING, PROCESSING, Job


def job_view(job: Job, now: datetime, location: str | None = None) -> dict[str, Any]:
    """NA-types `GetJobResponseContent`, with the keys Auth0's recorded answers carry: an
    import counts its rows (`summary`) once it has started, never echoes `upsert`; progress
    (`percentage_done`, `time_left_seconds`) is told while the job runs, not after."""
    view: dict[str, Any] = {
        "type": job.type,
        "status": job.status,
        "created_at": iso(job.created_at),
        "id": job.id,
    }
    if job.connection_id is not None:
        view["connection_id"] = job.connection_id
    if job.connection_name is not None:
        view["connection"] = job.connection_name
    if job.external_id is not None:
        view["external_id"] = job.external_id
    if job.type == IMPORT:
        if job.status != PENDING:
            view["summary"] = {
                "failed": job.failed,
                "updated": job.updated,
                "inserted": job.inserted,
                "total": job.rows_done,
            }
    elif job.type == EXPORT:
        view["format"] = job.format
        if job.limit is not None:
            view["limit"] = job.limit
        if job.fields:
            view["fields"] = job.fields
        if location is not None:
            view["location"] = location
    if job.status == PROCESSING:
        percentage = _percentage(job)
        view["percentage_done"] = percentage
        view["time_left_seconds"] = _time_left(job, now, percentage)
    if job.status_details is not None:
        view["status_details"] = job.status_details
    return view


def _percentage(job: Job) -> int:
    if job.progress_total <= 0:
        return 0
    return min(99, int(100 * job.progress_done / job.progress_total))


def _time_left(job: Job, now: datetime, percentage: int) -> int:
    if job.started_at is None or percentage <= 0:
        return 0
    elapsed = (now - job.started_at).total_seconds()
    return max(0, round(elapsed * (100 - percentage) / percentage))
