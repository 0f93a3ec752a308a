"""Consent at `/authorize` and the grants it stores (`/api/v2/grants`)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Protocol

from selfauth.domain import ids
from selfauth.domain.clients.model import Client
from selfauth.domain.clock import Clock
from selfauth.domain.consent.model import ConsentAsk, UserGrant
from selfauth.domain.consent.rules import consent_to_ask, merged
from selfauth.domain.resource_servers.model import ResourceServer
from selfauth.errors import NotFound


class UserGrantRepository(Protocol):
    async def find(self, user_id: str, client_id: str, audience: str) -> UserGrant | None: ...

    async def change(
        self,
        user_id: str,
        client_id: str,
        audience: str,
        change: Callable[[UserGrant | None], UserGrant],
    ) -> UserGrant: ...

    async def matching(
        self,
        *,
        user_id: str | None,
        client_id: str | None,
        audience: str | None,
        offset: int,
        limit: int,
    ) -> tuple[list[UserGrant], int]: ...

    async def delete(self, grant_id: str) -> bool: ...

    async def delete_for_user(self, user_id: str) -> int: ...


class ApiFinder(Protocol):
    async def by_identifier(self, identifier: str) -> ResourceServer | None: ...


class ConsentService:
    def __init__(self, grants: UserGrantRepository, apis: ApiFinder, clock: Clock) -> None:
        self._grants = grants
        self._apis = apis
        self._clock = clock

    async def to_ask(
        self,
        client: Client,
        user_id: str,
        audience: str | None,
        scope: str,
        prompt: str | None,
    ) -> ConsentAsk | None:
        """The consent `user` must give before `client` is answered, if any."""
        if client.is_first_party or not audience:
            return None
        server = await self._apis.by_identifier(audience)
        if server is None:  # answered as today: the token minting refuses an unknown API
            return None
        granted = await self._grants.find(user_id, client.client_id, audience)
        return consent_to_ask(
            first_party=client.is_first_party,
            server=server,
            requested=scope,
            prompt=prompt,
            granted=granted,
        )

    async def accept(
        self, user_id: str, client_id: str, audience: str, scopes: Sequence[str]
    ) -> UserGrant:
        """Store the consent: the user's grant to the client for the API, with these scopes
        added to what it held."""
        now = self._clock()

        def change(found: UserGrant | None) -> UserGrant:
            if found is None:
                return UserGrant(
                    id=ids.object_id(),
                    user_id=user_id,
                    client_id=client_id,
                    audience=audience,
                    scope=merged([], scopes),
                    created_at=now,
                    updated_at=now,
                )
            return replace(found, scope=merged(found.scope, scopes), updated_at=now)

        return await self._grants.change(user_id, client_id, audience, change)

    async def matching(
        self,
        *,
        user_id: str | None,
        client_id: str | None,
        audience: str | None,
        offset: int,
        limit: int,
    ) -> tuple[list[UserGrant], int]:
        return await self._grants.matching(
            user_id=user_id, client_id=client_id, audience=audience, offset=offset, limit=limit
        )

    async def delete(self, grant_id: str) -> None:
        if not await self._grants.delete(grant_id):
            raise NotFound("The grant does not exist.")

    async def delete_for_user(self, user_id: str) -> None:
        await self._grants.delete_for_user(user_id)
