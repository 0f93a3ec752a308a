"""`/api/v2/grants`: the consents users gave applications (web/pages/authorize.py's consent
screen stores them)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from selfauth.errors import InvalidQueryString
from selfauth.web import openapi
from selfauth.web.json import JSONResponse
from selfauth.web.query import Paging
from selfauth.web.security import Caller, require

router = APIRouter()


@router.get(
    "/grants",
    responses=openapi.management(ok=(200, openapi.listing("grants"))),
    openapi_extra=openapi.query(*openapi.PAGING, "user_id", "client_id", "audience"),
)
async def list_grants(
    request: Request,
    caller: Caller = Depends(require("read:grants")),
) -> Response:
    query = request.query_params
    paging = Paging.parse(query)
    grants, total = await caller.services.consent.matching(
        user_id=query.get("user_id") or None,
        client_id=query.get("client_id") or None,
        audience=query.get("audience") or None,
        offset=paging.offset,
        limit=paging.per_page,
    )
    return JSONResponse(paging.wrap("grants", [g.view() for g in grants], total))


@router.delete("/grants/{grant_id}", status_code=204, responses=openapi.management(404))
async def delete_grant(
    grant_id: str,
    caller: Caller = Depends(require("delete:grants")),
) -> Response:
    await caller.services.consent.delete(grant_id)
    return Response(status_code=204)


@router.delete(
    "/grants",
    status_code=204,
    responses=openapi.management(),
    openapi_extra=openapi.query(required=("user_id",)),
)
async def delete_users_grants(
    request: Request,
    caller: Caller = Depends(require("delete:grants")),
) -> Response:
    """Every grant of `user_id` (required), as Auth0's `DELETE /grants?user_id=`."""
    user_id = request.query_params.get("user_id")
    if not user_id:
        raise InvalidQueryString(
            "Query validation error: 'Missing required property: user_id' on property user_id."
        )
    await caller.services.consent.delete_for_user(user_id)
    return Response(status_code=204)
