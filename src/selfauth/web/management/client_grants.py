"""`/api/v2/client-grants`."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from selfauth.domain.clients.grant_schema import CreateGrant, UpdateGrant
from selfauth.domain.clients.view import grant_view
from selfauth.web import openapi
from selfauth.web.body import read_json_object, validate
from selfauth.web.json import JSONResponse
from selfauth.web.query import Paging, boolean
from selfauth.web.security import Caller, require

router = APIRouter()


@router.post(
    "/client-grants",
    status_code=201,
    responses=openapi.management(404, 409, ok=(201, openapi.OBJECT)),
    openapi_extra=openapi.json_body(CreateGrant),
)
async def create_grant(
    request: Request,
    caller: Caller = Depends(require("create:client_grants")),
) -> Response:
    found = caller.services
    body = await read_json_object(request, found.settings.max_body_bytes)
    validate(CreateGrant, body)
    grant = await found.client_grants.create(body)
    return JSONResponse(grant_view(grant), status_code=201)


@router.get(
    "/client-grants",
    responses=openapi.management(ok=(200, openapi.listing("client_grants"))),
    openapi_extra=openapi.query(
        *openapi.PAGING, "audience", "client_id", "allow_any_organization", "subject_type"
    ),
)
async def list_grants(
    request: Request,
    caller: Caller = Depends(require("read:client_grants")),
) -> Response:
    found = caller.services
    query = request.query_params
    paging = Paging.parse(query)
    grants = await found.client_grants.matching(
        client_id=query.get("client_id"),
        audience=query.get("audience"),
        subject_type=query.get("subject_type"),
        allow_any_organization=(
            boolean(query, "allow_any_organization", False)
            if query.get("allow_any_organization")
            else None
        ),
    )
    page = grants[paging.offset : paging.offset + paging.per_page]
    return JSONResponse(paging.wrap("client_grants", [grant_view(g) for g in page], len(grants)))


@router.get(
    "/client-grants/{grant_id}", responses=openapi.management(404, ok=(200, openapi.OBJECT))
)
async def get_grant(
    grant_id: str,
    caller: Caller = Depends(require("read:client_grants")),
) -> Response:
    found = caller.services
    return JSONResponse(grant_view(await found.client_grants.get(grant_id)))


@router.patch(
    "/client-grants/{grant_id}",
    responses=openapi.management(404, ok=(200, openapi.OBJECT)),
    openapi_extra=openapi.json_body(UpdateGrant),
)
async def update_grant(
    grant_id: str,
    request: Request,
    caller: Caller = Depends(require("update:client_grants")),
) -> Response:
    found = caller.services
    body = await read_json_object(request, found.settings.max_body_bytes)
    validate(UpdateGrant, body)
    return JSONResponse(grant_view(await found.client_grants.update(grant_id, body)))


@router.delete("/client-grants/{grant_id}", status_code=204, responses=openapi.management())
async def delete_grant(
    grant_id: str,
    caller: Caller = Depends(require("delete:client_grants")),
) -> Response:
    found = caller.services
    await found.client_grants.delete(grant_id)
    return Response(status_code=204)
