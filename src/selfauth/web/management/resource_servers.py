"""`/api/v2/resource-servers`."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict, Field
from starlette.responses import Response

from selfauth.domain.resource_servers.model import resource_server_view
from selfauth.errors import InvalidQueryString
from selfauth.web import openapi
from selfauth.web.body import read_json_object, validate
from selfauth.web.json import JSONResponse
from selfauth.web.query import FieldSelection, Paging
from selfauth.web.security import Caller, require

router = APIRouter()

MAX_IDENTIFIERS = 10  # `identifiers=` filters of one list request
MAX_NAME = 200


# Bodies as Auth0's Management API schema spells them (CreateResourceServerRequestContent,
# UpdateResourceServerRequestContent): lengths, enums, and which objects may be null.


Dialect = Literal["access_token", "access_token_authz", "rfc9068_profile", "rfc9068_profile_authz"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Scope(_Strict):
    value: str = Field(min_length=1, max_length=280)
    description: str = Field(default="", max_length=500)


class EncryptionKey(_Strict):
    name: str = Field(default="", min_length=1, max_length=128)
    alg: Literal["RSA-OAEP-256", "RSA-OAEP-384", "RSA-OAEP-512"]
    kid: str = Field(default="", min_length=1, max_length=128)
    pem: str = Field(min_length=1, max_length=4096)


class TokenEncryption(_Strict):
    format: Literal["compact-nested-jwe"]
    encryption_key: EncryptionKey


class ProofOfPossession(_Strict):
    mechanism: Literal["mtls", "dpop"]
    required: bool
    required_for: Literal["public_clients", "all_clients"] = "public_clients"


class UserAuthorization(BaseModel):
    model_config = ConfigDict(extra="allow")  # Auth0 takes further properties here

    policy: Literal["allow_all", "deny_all", "require_client_grant"] = "allow_all"


class ClientAuthorization(BaseModel):
    model_config = ConfigDict(extra="allow")

    policy: Literal["deny_all", "require_client_grant"] = "require_client_grant"


class SubjectTypeAuthorization(_Strict):
    user: UserAuthorization = Field(default_factory=UserAuthorization)
    client: ClientAuthorization = Field(default_factory=ClientAuthorization)


class AuthorizationPolicy(_Strict):
    policy_id: str = Field(min_length=1, max_length=1024)


class UpdateServer(_Strict):
    name: str = Field(default="", min_length=1, max_length=MAX_NAME, pattern=r"^[^<>]+$")
    scopes: list[Scope] = Field(default_factory=list)
    signing_alg: Literal["HS256", "RS256", "RS512", "PS256"] = "RS256"
    signing_secret: str = Field(default="", min_length=16)
    allow_offline_access: bool = False
    allow_online_access: bool = False
    allow_online_access_with_ephemeral_sessions: bool = False
    token_lifetime: int = 86_400
    # Not in Auth0's published schema, yet its API takes it, and selfauth answers it.
    token_lifetime_for_web: int = 7200
    token_dialect: Dialect = Field(default="access_token")
    skip_consent_for_verifiable_first_party_clients: bool = False
    enforce_policies: bool = False
    token_encryption: TokenEncryption | None = None
    consent_policy: Literal["transactional-authorization-with-mfa"] | None = None
    authorization_details: list[Any] | None = None
    proof_of_possession: ProofOfPossession | None = None
    subject_type_authorization: SubjectTypeAuthorization = Field(
        default_factory=SubjectTypeAuthorization
    )
    authorization_policy: AuthorizationPolicy | None = None


class CreateServer(UpdateServer):
    identifier: str = Field(min_length=1, max_length=600)


def _given(body: BaseModel) -> dict[str, Any]:
    """Only what the request said, nested objects included: defaults are the domain's."""
    return body.model_dump(exclude_unset=True)


@router.post(
    "/resource-servers",
    status_code=201,
    responses=openapi.management(409, ok=(201, openapi.OBJECT)),
    openapi_extra=openapi.json_body(CreateServer),
)
async def create_server(
    request: Request,
    caller: Caller = Depends(require("create:resource_servers")),
) -> Response:
    found = caller.services
    body = validate(CreateServer, await read_json_object(request, found.settings.max_body_bytes))
    fields = _given(body)
    fields.setdefault("name", body.identifier[:MAX_NAME])  # identifiers may be longer
    server = await found.resource_servers.create(fields)
    return JSONResponse(resource_server_view(server), status_code=201)


@router.get(
    "/resource-servers",
    responses=openapi.management(ok=(200, openapi.listing("resource_servers"))),
    openapi_extra=openapi.query(*openapi.PAGING, *openapi.FIELDS, "identifiers"),
)
async def list_servers(
    request: Request,
    caller: Caller = Depends(require("read:resource_servers")),
) -> Response:
    found = caller.services
    query = request.query_params
    paging = Paging.parse(query)
    selection = FieldSelection.parse(query)
    identifiers = query.getlist("identifiers")
    if len(identifiers) > MAX_IDENTIFIERS:
        raise InvalidQueryString(
            f"Query validation error: 'Array is too long ({len(identifiers)}), maximum "
            f"{MAX_IDENTIFIERS}' on property identifiers."
        )
    servers = await found.resource_servers.all(identifiers or None)
    page = servers[paging.offset : paging.offset + paging.per_page]
    items = [selection.apply(resource_server_view(s)) for s in page]
    return JSONResponse(paging.wrap("resource_servers", items, len(servers)))


# `{server_id:path}`: Auth0 takes the id or the URL-encoded identifier here, and identifiers
# are usually URLs, whose `%2F` arrive decoded as `/`.
@router.get(
    "/resource-servers/{server_id:path}",
    responses=openapi.management(404, ok=(200, openapi.OBJECT)),
    openapi_extra=openapi.query(*openapi.FIELDS),
)
async def get_server(
    server_id: str,
    request: Request,
    caller: Caller = Depends(require("read:resource_servers")),
) -> Response:
    found = caller.services
    selection = FieldSelection.parse(request.query_params)
    server = await found.resource_servers.get(server_id)
    return JSONResponse(selection.apply(resource_server_view(server)))


@router.patch(
    "/resource-servers/{server_id:path}",
    responses=openapi.management(404, 409, ok=(200, openapi.OBJECT)),
    openapi_extra=openapi.json_body(UpdateServer),
)
async def update_server(
    server_id: str,
    request: Request,
    caller: Caller = Depends(require("update:resource_servers")),
) -> Response:
    found = caller.services
    body = validate(UpdateServer, await read_json_object(request, found.settings.max_body_bytes))
    server = await found.resource_servers.update(server_id, _given(body))
    return JSONResponse(resource_server_view(server))


@router.delete(
    "/resource-servers/{server_id:path}", status_code=204, responses=openapi.management(404)
)
async def delete_server(
    server_id: str,
    caller: Caller = Depends(require("delete:resource_servers")),
) -> Response:
    found = caller.services
    await found.resource_servers.delete(server_id)
    return Response(status_code=204)
