"""`/api/v2/resource-servers`."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict, Field
from starlette.responses import Response

from selfauth.domain.resource_servers.model import resource_server_view
from selfauth.web.body import read_json_object, validate
from selfauth.web.json import JSONResponse
from selfauth.web.query import Paging
from selfauth.web.security import Caller, require

router = APIRouter()


class Scope(BaseModel):
    model_config = ConfigDict(extra="forbid")

    value: str = Field(min_length=1, max_length=280)
    description: str = Field(default="", max_length=500)


class _ServerFields(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(default="", min_length=1, max_length=200)
    scopes: list[Scope] = Field(default_factory=list)
    token_lifetime: int = 86_400
    signing_alg: str = "RS256"
    allow_offline_access: bool = False
    skip_consent_for_verifiable_first_party_clients: bool = True


class CreateServer(_ServerFields):
    identifier: str = Field(min_length=1, max_length=600)


@router.post("/resource-servers", status_code=201)
async def create_server(
    request: Request,
    caller: Caller = Depends(require("create:resource_servers")),
) -> Response:
    found = caller.services
    body = validate(CreateServer, await read_json_object(request, found.settings.max_body_bytes))
    fields = body.model_dump(exclude_unset=True)
    fields.setdefault("name", body.identifier)
    server = await found.resource_servers.create(fields)
    return JSONResponse(resource_server_view(server), status_code=201)


@router.get("/resource-servers")
async def list_servers(
    request: Request,
    caller: Caller = Depends(require("read:resource_servers")),
) -> Response:
    found = caller.services
    paging = Paging.parse(request.query_params)
    servers = await found.resource_servers.all()
    page = servers[paging.offset : paging.offset + paging.per_page]
    items = [resource_server_view(s) for s in page]
    return JSONResponse(paging.wrap("resource_servers", items, len(servers)))


# `{server_id:path}`: Auth0 takes the id or the URL-encoded identifier here, and identifiers
# are usually URLs, whose `%2F` arrive decoded as `/`.
@router.get("/resource-servers/{server_id:path}")
async def get_server(
    server_id: str,
    caller: Caller = Depends(require("read:resource_servers")),
) -> Response:
    found = caller.services
    return JSONResponse(resource_server_view(await found.resource_servers.get(server_id)))


@router.patch("/resource-servers/{server_id:path}")
async def update_server(
    server_id: str,
    request: Request,
    caller: Caller = Depends(require("update:resource_servers")),
) -> Response:
    found = caller.services
    body = validate(_ServerFields, await read_json_object(request, found.settings.max_body_bytes))
    server = await found.resource_servers.update(server_id, body.model_dump(exclude_unset=True))
    return JSONResponse(resource_server_view(server))


@router.delete("/resource-servers/{server_id:path}", status_code=204)
async def delete_server(
    server_id: str,
    caller: Caller = Depends(require("delete:resource_servers")),
) -> Response:
    found = caller.services
    await found.resource_servers.delete(server_id)
    return Response(status_code=204)
