"""`/api/v2/clients`."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from selfauth.domain.clients.etag import client_etag
from selfauth.domain.clients.model import Client
from selfauth.domain.clients.schema import CreateClient, UpdateClient
from selfauth.domain.clients.signing_keys import signing_keys
from selfauth.domain.clients.view import client_view
from selfauth.domain.etags import IfMatch
from selfauth.web import openapi
from selfauth.web.body import read_json_object, validate
from selfauth.web.context import Services
from selfauth.web.json import JSONResponse
from selfauth.web.query import FieldSelection, Paging
from selfauth.web.security import Caller, insufficient_scope, require

router = APIRouter()

READ = ("read:clients", "read:client_keys")
UPDATE = ("update:clients", "update:client_keys")
KEYS = ("update:client_keys",)
# Auth0 names the tenant in every client it answers, whatever `fields` asks for.
ALWAYS = ("tenant",)


async def _keys(found: Services) -> list[dict[str, Any]]:
    """The tenant's signing certificate, which every client answers."""
    host = urlsplit(found.settings.issuer_url).hostname or "localhost"
    return signing_keys(await found.signing_keys.published(), host)


async def _view(found: Services, client: Client, secret: str | None = None) -> dict[str, Any]:
    return client_view(client, signing_keys=await _keys(found), secret=secret)


@router.post(
    "/clients",
    status_code=201,
    responses=openapi.management(409, ok=(201, openapi.OBJECT)),
    openapi_extra=openapi.json_body(CreateClient),
)
async def create_client(
    request: Request,
    caller: Caller = Depends(require("create:clients")),
) -> Response:
    found = caller.services
    body = await read_json_object(request, found.settings.max_body_bytes)
    validate(CreateClient, body)
    client, secret = await found.clients.create(body)
    return JSONResponse(await _view(found, client, secret), status_code=201)


@router.get(
    "/clients",
    responses=openapi.management(ok=(200, openapi.listing("clients"))),
    openapi_extra=openapi.query(*openapi.PAGING, *openapi.FIELDS),
)
async def list_clients(
    request: Request,
    caller: Caller = Depends(require(*READ)),
) -> Response:
    found = caller.services
    paging = Paging.parse(request.query_params)
    selection = FieldSelection.parse(request.query_params)
    clients, total = await found.clients.page(offset=paging.offset, limit=paging.per_page)
    keys = await _keys(found)
    items = [selection.apply(client_view(c, signing_keys=keys), ALWAYS) for c in clients]
    return JSONResponse(paging.wrap("clients", items, total))


@router.get(
    "/clients/{client_id}",
    responses=openapi.management(404, ok=(200, openapi.OBJECT)),
    openapi_extra=openapi.query(*openapi.FIELDS),
)
async def get_client(
    client_id: str,
    request: Request,
    caller: Caller = Depends(require(*READ)),
) -> Response:
    found = caller.services
    client = await found.clients.get(client_id)
    selection = FieldSelection.parse(request.query_params)
    view = selection.apply(await _view(found, client), ALWAYS)
    return JSONResponse(view, headers={"ETag": client_etag(client)})


@router.patch(
    "/clients/{client_id}",
    responses=openapi.management(404, 412, ok=(200, openapi.OBJECT)),
    openapi_extra={**openapi.json_body(UpdateClient), **openapi.IF_MATCH},
)
async def update_client(
    client_id: str,
    request: Request,
    caller: Caller = Depends(require(*UPDATE)),
) -> Response:
    found = caller.services
    body = await read_json_object(request, found.settings.max_body_bytes)
    validate(UpdateClient, body)
    secret = body.get("client_secret")
    if secret is not None and not caller.principal.has_any(*KEYS):
        raise insufficient_scope(KEYS)
    if_match = IfMatch.of(request.headers.get("if-match"))
    client = await found.clients.update(client_id, body, caller.principal.author, if_match)
    # The caller just chose the secret: answering it back tells nothing new (as Auth0 does).
    view = await _view(found, client, secret)
    return JSONResponse(view, headers={"ETag": client_etag(client)})


@router.post(
    "/clients/{client_id}/rotate-secret",
    responses=openapi.management(404, ok=(200, openapi.OBJECT)),
)
async def rotate_secret(
    client_id: str,
    caller: Caller = Depends(require("update:client_keys")),
) -> Response:
    found = caller.services
    client, secret = await found.clients.rotate_secret(client_id)
    return JSONResponse(await _view(found, client, secret))


@router.delete(
    "/clients/{client_id}",
    status_code=204,
    responses=openapi.management(412),
    openapi_extra=openapi.IF_MATCH,
)
async def delete_client(
    client_id: str,
    request: Request,
    caller: Caller = Depends(require("delete:clients")),
) -> Response:
    found = caller.services
    await found.clients.delete(client_id, IfMatch.of(request.headers.get("if-match")))
    return Response(status_code=204)
