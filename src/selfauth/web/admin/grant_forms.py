"""Giving an application access to an API from the dashboard (from either page): the client
grant `POST /api/v2/client-grants` would make, or `PATCH`/`DELETE` of the one there is, with
the same strict models and the same service (scopes must be the API's own)."""

from __future__ import annotations

from typing import Any

from selfauth.domain.clients.grant_schema import CreateGrant, UpdateGrant
from selfauth.errors import InvalidBody
from selfauth.web.body import validate
from selfauth.web.context import Services


async def apply_grant(
    found: Services, client_id: str, audience: str, scopes: list[str], *, revoke: bool
) -> None:
    """Makes the application's client-credentials grant for `audience` hold `scopes` (making
    it when there is none), or removes it with `revoke`."""
    if not audience:
        raise InvalidBody("Choose an API.")
    existing = await found.client_grants.matching(
        client_id=client_id, audience=audience, subject_type="client"
    )
    if revoke:
        for grant in existing:
            await found.client_grants.delete(grant.id)
        return
    body: dict[str, Any]
    if existing:
        body = {"scope": scopes}
        validate(UpdateGrant, body)
        await found.client_grants.update(existing[0].id, body)
        return
    body = {"client_id": client_id, "audience": audience, "scope": scopes}
    validate(CreateGrant, body)
    await found.client_grants.create(body)
