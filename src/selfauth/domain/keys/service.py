"""`/api/v2/keys/signing`: the tenant's signing keys, their rotation and revocation.

Rotation makes the next key (already in JWKS) current and the current one previous, and makes
a new next key; tokens signed before keep verifying until the previous key is revoked, and a
revoked key is never published or trusted again. `on_change` reloads what this process signs
and trusts; other processes reload when they read the change (flows/changes.py), within
SELFAUTH_CHANGES_POLL_SECONDS."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Protocol

from selfauth.domain.clock import Clock
from selfauth.domain.keys.model import SigningKey, generate_rsa_key
from selfauth.errors import InvalidBody, NotFound


class SigningKeyRepository(Protocol):
    async def published(self) -> list[SigningKey]: ...
    async def all(self) -> list[SigningKey]: ...
    async def get(self, kid: str) -> SigningKey | None: ...
    async def rotate(self, new_next: SigningKey, now: datetime) -> SigningKey: ...
    async def revoke(self, kid: str, now: datetime) -> SigningKey | None: ...


class NotPrevious(Exception):
    """Only the previous key may be revoked (the repository's refusal)."""


def missing(kid: str) -> NotFound:
    return NotFound(f"The signing key {kid} does not exist.", error_code="inexistent_signing_key")


class SigningKeyService:
    def __init__(
        self,
        repository: SigningKeyRepository,
        clock: Clock,
        on_change: Callable[[], Awaitable[None]],
    ) -> None:
        self._repository = repository
        self._clock = clock
        self._on_change = on_change

    async def published(self) -> list[SigningKey]:
        """The keys JWKS publishes, the current one first."""
        return await self._repository.published()

    async def list(self) -> list[SigningKey]:
        return await self._repository.all()

    async def get(self, kid: str) -> SigningKey:
        found = await self._repository.get(kid)
        if found is None:
            raise missing(kid)
        return found

    async def rotate(self) -> SigningKey:
        """The new next key."""
        now = self._clock()
        # RSA key generation takes tens of milliseconds: off the event loop.
        fresh = await asyncio.to_thread(generate_rsa_key, now, current=False)
        made = await self._repository.rotate(fresh, now)
        await self._on_change()
        return made

    async def revoke(self, kid: str) -> SigningKey:
        try:
            revoked = await self._repository.revoke(kid, self._clock())
        except NotPrevious as exc:
            raise InvalidBody(
                f"The signing key {kid} is the {exc}: only the previous key can be revoked."
            ) from exc
        if revoked is None:
            raise missing(kid)
        await self._on_change()
        return revoked
