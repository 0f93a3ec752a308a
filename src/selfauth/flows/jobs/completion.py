"""The mail an import job with `send_completion_email` sends its administrator when it ends
(Auth0 mails the tenant's administrators): which job, how it ended, and its counts. A fixed
text of ours, not a tenant template (Auth0 has none for it)."""

from __future__ import annotations

import html
from dataclasses import dataclass

from selfauth.domain.emails.message import OutgoingMail
from selfauth.domain.jobs.model import COMPLETED, Job

TEMPLATE = "import_completion"  # the outbox's name for it (not one of Auth0's templates)


@dataclass(frozen=True)
class CompletionMails:
    recipient: str
    from_address: str
    tenant: str


def completion_mail(job: Job, to: CompletionMails) -> OutgoingMail:
    ended = "completed" if job.status == COMPLETED else "failed"
    lines = [
        f"The users import job {job.id} on {to.tenant} {ended}.",
        f"Connection: {job.connection_name or job.connection_id or '-'}",
        f"Inserted: {job.inserted}, updated: {job.updated}, failed: {job.failed}.",
    ]
    if job.status_details:
        lines.append(f"Details: {job.status_details}")
    if job.failed:
        lines.append(f"GET /api/v2/jobs/{job.id}/errors lists the rows that failed.")
    text = "\n".join(lines) + "\n"
    body = "".join(f"<p>{html.escape(line)}</p>" for line in lines)
    return OutgoingMail(
        template=TEMPLATE,
        recipient=to.recipient,
        from_address=to.from_address,
        subject=f"Users import {job.id} {ended}",
        html=f"<!doctype html><html><body>{body}</body></html>",
        text=text,
    )
