"""Which Rules/Actions executions a listing wants: the Management API filters by user and
trigger; the dashboard also by status, script name and time."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class ExecutionFilter:
    user_ids: Sequence[str] | None = None  # any of them; None: every user
    trigger_id: str | None = None
    status: str | None = None
    script: str | None = None  # a Rule's or Action's exact name among the results
    since: datetime | None = None  # created_at, inclusive
    until: datetime | None = None  # created_at, exclusive
