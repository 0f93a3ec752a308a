"""The bodies of `POST /client-grants` and `PATCH /client-grants/{id}` (NA-req
`CreateClientGrantRequestContent`, `UpdateClientGrantRequestContent`), with Auth0's bounds."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from selfauth.domain.body_models import Closed, optional

Scope = list[Annotated[str, Field(min_length=1, max_length=280)]]
DetailTypes = list[Annotated[str, Field(min_length=1, max_length=255)]]
GrantOrganizationUsage = Literal["deny", "allow", "require"]
SubjectType = Literal["client", "user", "anonymous_user"]


class CreateGrant(Closed):
    client_id: str = optional(min_length=1)
    audience: str = Field(min_length=1)
    default_for: Literal["third_party_clients"] = optional()
    organization_usage: GrantOrganizationUsage = optional()
    allow_any_organization: bool = optional()
    scope: Scope = optional()
    subject_type: SubjectType = optional()
    authorization_details_types: DetailTypes = optional()
    allow_all_scopes: bool = optional()


class UpdateGrant(Closed):
    scope: Scope | None = optional()
    organization_usage: GrantOrganizationUsage | None = optional()
    allow_any_organization: bool | None = optional()
    authorization_details_types: DetailTypes = optional()
    allow_all_scopes: bool | None = optional()
