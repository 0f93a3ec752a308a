"""Giving an application access to an API from the dashboard (from either page): the client
grant `POST /api/v2/client-grants` would make, or `PATCH`/`DELETE` of the one there is, with
the same strict models and the same service (scopes must be the API's own)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from starlette.requests import Request

from selfauth.domain.clients.grant_schema import CreateGrant, UpdateGrant
from selfauth.errors import InvalidBody
from selfauth.web.admin.session import Admin
from selfauth.web.body import validate
from selfauth.web.context import Services


@dataclass(frozen=True)
class GrantForm:
    """What the grant form of either page posts: the other side of the grant (the API's
    page picks an application, the application's page an API), the scopes ticked, and
    whether the button was "revoke"."""

    fields: dict[str, str]
    scopes: list[str]
    revoke: bool

    @property
    def outcome(self) -> str:
        return "revoked" if self.revoke else "granted"


async def grant_form(admin: Admin, request: Request) -> GrantForm:
    fields = await admin.form(request)
    scopes = [s for s in (await request.form()).getlist("scope") if isinstance(s, str)]
    return GrantForm(fields, scopes, fields.get("op") == "revoke")


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
