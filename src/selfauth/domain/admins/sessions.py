"""The dashboard's sign-ins: a random token in the administrator's cookie, kept at rest only as
its keyed hash. A sign-in ends at logout, after `lifetime` in all, or after `idle` without a
request; the last-seen time is written at most once a minute, so browsing costs reads only."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from selfauth.domain.clients.secrets import SecretHasher
from selfauth.domain.clock import Clock

_TOUCH_EVERY = timedelta(seconds=60)


@dataclass(frozen=True)
class AdminSession:
    user_id: str
    created_at: datetime
    last_seen_at: datetime
    expires_at: datetime


class AdminSessionRepository(Protocol):
    async def insert(self, token_hash: str, session: AdminSession) -> None: ...
    async def find(self, token_hash: str) -> AdminSession | None: ...
    async def touch(self, token_hash: str, at: datetime) -> None: ...
    async def delete(self, token_hash: str) -> None: ...
    async def delete_ended(self, now: datetime, idle_since: datetime) -> int: ...


class AdminSessionService:
    def __init__(
        self,
        repository: AdminSessionRepository,
        hasher: SecretHasher,
        clock: Clock,
        lifetime: timedelta,
        idle: timedelta,
    ) -> None:
        self._repository = repository
        self._hasher = hasher
        self._clock = clock
        self.lifetime = lifetime
        self.idle = idle

    def _hash(self, token: str) -> str:
        return self._hasher.digest(f"admin-session:{token}")

    async def start(self, user_id: str) -> str:
        """A new sign-in for `user_id`; the token goes in the cookie and nowhere else."""
        now = self._clock()
        token = secrets.token_urlsafe(32)
        await self._repository.insert(
            self._hash(token), AdminSession(user_id, now, now, now + self.lifetime)
        )
        # Ended sign-ins are swept as new ones start: no task of its own, and the table stays
        # as small as the number of administrators signed in.
        await self._repository.delete_ended(now, now - self.idle)
        return token

    async def resume(self, token: str) -> AdminSession | None:
        """The sign-in `token` opens, or None once it has ended."""
        token_hash = self._hash(token)
        found = await self._repository.find(token_hash)
        now = self._clock()
        if found is None or found.expires_at <= now or found.last_seen_at + self.idle <= now:
            return None
        if now - found.last_seen_at >= _TOUCH_EVERY:
            await self._repository.touch(token_hash, now)
        return found

    async def end(self, token: str) -> None:
        await self._repository.delete(self._hash(token))

    def csrf_token(self, token: str) -> str:
        """The sign-in's CSRF token: derived from the session token, so it needs no storage
        and a form made for one sign-in is refused in any other."""
        return self._hasher.digest(f"admin-csrf:{token}")

    def csrf_matches(self, token: str, presented: str) -> bool:
        return secrets.compare_digest(self.csrf_token(token).encode(), presented.encode())
