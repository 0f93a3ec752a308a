"""What the job flows need of storage (implemented by `storage/jobs.py`)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, Protocol

from selfauth.domain.emails.message import PendingMail
from selfauth.domain.jobs.import_plan import Existing, Plan
from selfauth.domain.jobs.model import BatchResult, Job
from selfauth.domain.users.model import User


class JobStore(Protocol):
    async def create(self, job: Job, *, max_unfinished_imports: int | None = None) -> None: ...
    async def get(self, job_id: str) -> Job | None: ...
    async def errors(self, job_id: str) -> list[dict[str, Any]]: ...
    async def claimable(self, now: datetime) -> list[str]: ...
    async def claim(
        self, job_id: str, owner: str, until: datetime, now: datetime
    ) -> Job | None: ...
    async def progress(self, job_id: str, owner: str, until: datetime, **values: Any) -> None: ...
    async def finish(
        self,
        job_id: str,
        owner: str,
        status: str,
        now: datetime,
        *,
        mails: Callable[[Job], Sequence[PendingMail]] | None = None,
        **values: Any,
    ) -> None: ...
    async def recent(self, limit: int) -> list[Job]: ...
    async def expired(self, before: datetime) -> list[Job]: ...
    async def delete(self, job_id: str) -> None: ...

    # Imports: a batch's new users are encoded off the event loop (any thread), then written
    # with the batch's plan, errors and progress in one transaction.
    def encode(self, new: Sequence[User]) -> Any: ...
    async def commit_batch(
        self,
        job: Job,
        owner: str,
        until: datetime,
        lookup: tuple[list[str], list[str], list[str]],
        plan: Callable[[list[Existing]], Plan],
        result: BatchResult,
        encoded: Any = None,
    ) -> Plan: ...

    # Exports: users in user_id order, a page at a time.
    async def count_users(self, connection_id: str | None) -> int: ...
    async def users_after(
        self, connection_id: str | None, after: str | None, limit: int
    ) -> list[User]: ...
