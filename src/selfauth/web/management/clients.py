"""`/api/v2/clients`."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict, Field
from starlette.responses import Response

from selfauth.domain.clients.model import GRANT_TYPES, client_view
from selfauth.web.body import read_json_object, validate
from selfauth.web.json import JSONResponse
from selfauth.web.query import FieldSelection, Paging
from selfauth.web.security import Caller, require

router = APIRouter()

READ = ("read:clients", "read:client_keys")
UPDATE = ("update:clients", "update:client_keys")

AppType = Literal["native", "spa", "regular_web", "non_interactive"]
AuthMethod = Literal["none", "client_secret_post", "client_secret_basic"]
GrantType = Literal[GRANT_TYPES]  # type: ignore[valid-type]
Url = str
UrlList = list[Url]


class _ClientFields(BaseModel):
    model_config = ConfigDict(extra="forbid")

    description: str | None = Field(default=None, max_length=140)
    app_type: AppType | None = None
    is_first_party: bool = True
    callbacks: UrlList = Field(default_factory=list, max_length=100)
    allowed_origins: UrlList = Field(default_factory=list, max_length=100)
    web_origins: UrlList = Field(default_factory=list, max_length=100)
    allowed_logout_urls: UrlList = Field(default_factory=list, max_length=100)
    grant_types: list[GrantType] = Field(default_factory=list)
    token_endpoint_auth_method: AuthMethod = "client_secret_post"  # noqa: S105 (a method name)
    client_metadata: dict[str, str | None] = Field(default_factory=dict)


NAME_PATTERN = r"^[^<>]*$"  # Auth0: at least one character, no `<` or `>`


class CreateClient(_ClientFields):
    name: str = Field(min_length=1, max_length=200, pattern=NAME_PATTERN)


class UpdateClient(_ClientFields):
    name: str = Field(default="", min_length=1, max_length=200, pattern=NAME_PATTERN)


@router.post("/clients", status_code=201)
async def create_client(
    request: Request,
    caller: Caller = Depends(require("create:clients")),
) -> Response:
    found = caller.services
    body = validate(CreateClient, await read_json_object(request, found.settings.max_body_bytes))
    client, secret = await found.clients.create(body.model_dump(exclude_unset=True))
    return JSONResponse(client_view(client, secret=secret), status_code=201)


@router.get("/clients")
async def list_clients(
    request: Request,
    caller: Caller = Depends(require(*READ)),
) -> Response:
    found = caller.services
    paging = Paging.parse(request.query_params)
    selection = FieldSelection.parse(request.query_params)
    clients, total = await found.clients.page(offset=paging.offset, limit=paging.per_page)
    items = [selection.apply(client_view(c)) for c in clients]
    return JSONResponse(paging.wrap("clients", items, total))


@router.get("/clients/{client_id}")
async def get_client(
    client_id: str,
    request: Request,
    caller: Caller = Depends(require(*READ)),
) -> Response:
    found = caller.services
    client = await found.clients.get(client_id)
    return JSONResponse(FieldSelection.parse(request.query_params).apply(client_view(client)))


@router.patch("/clients/{client_id}")
async def update_client(
    client_id: str,
    request: Request,
    caller: Caller = Depends(require(*UPDATE)),
) -> Response:
    found = caller.services
    body = validate(UpdateClient, await read_json_object(request, found.settings.max_body_bytes))
    client = await found.clients.update(client_id, body.model_dump(exclude_unset=True))
    return JSONResponse(client_view(client))


@router.post("/clients/{client_id}/rotate-secret")
async def rotate_secret(
    client_id: str,
    caller: Caller = Depends(require("update:client_keys")),
) -> Response:
    found = caller.services
    client, secret = await found.clients.rotate_secret(client_id)
    return JSONResponse(client_view(client, secret=secret))


@router.delete("/clients/{client_id}", status_code=204)
async def delete_client(
    client_id: str,
    caller: Caller = Depends(require("delete:clients")),
) -> Response:
    found = caller.services
    await found.clients.delete(client_id)
    return Response(status_code=204)
