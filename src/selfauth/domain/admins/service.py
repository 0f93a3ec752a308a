"""Who is an administrator of the dashboard.

The dashboard has one role: an administrator may do everything the Management API allows with
every scope. It is held in a table of its own, not in `app_metadata`, so that no Rule, Action,
import or Management API client that may write metadata can make someone an administrator;
only `selfauth admins add` (someone with the server's database) and an administrator can."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from selfauth.domain.clock import Clock


@dataclass(frozen=True)
class Administrator:
    user_id: str
    granted_by: str
    granted_at: datetime


class AdministratorRepository(Protocol):
    async def find(self, user_id: str) -> Administrator | None: ...
    async def grant(self, admin: Administrator) -> bool: ...
    async def revoke(self, user_id: str) -> bool: ...
    async def list(self) -> list[Administrator]: ...


class AdministratorService:
    def __init__(self, repository: AdministratorRepository, clock: Clock) -> None:
        self._repository = repository
        self._clock = clock

    async def is_admin(self, user_id: str) -> bool:
        return await self._repository.find(user_id) is not None

    async def grant(self, user_id: str, granted_by: str) -> bool:
        """True when `user_id` was not an administrator before."""
        return await self._repository.grant(Administrator(user_id, granted_by, self._clock()))

    async def revoke(self, user_id: str) -> bool:
        return await self._repository.revoke(user_id)

    async def list(self) -> list[Administrator]:
        return await self._repository.list()
