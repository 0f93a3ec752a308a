"""`/api/v2/user-blocks`: addresses blocked by brute-force protection, and unblocking them."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from selfauth.domain.logins import block_view
from selfauth.errors import InvalidQueryString
from selfauth.web import openapi
from selfauth.web.json import JSONResponse
from selfauth.web.security import Caller, require

router = APIRouter()


async def _by_identifier(request: Request, caller: Caller) -> list[str]:
    identifier = request.query_params.get("identifier")
    if not identifier:
        raise InvalidQueryString(
            "Query validation error: 'Missing required property: identifier' on property "
            "identifier."
        )
    return await caller.services.user_blocks.user_ids_for(identifier)


async def _existing(user_id: str, caller: Caller) -> list[str]:
    await caller.services.users.get(user_id)  # 404 inexistent_user when there is none
    return [user_id]


@router.get(
    "/user-blocks",
    openapi_extra=openapi.query(required=("identifier",)),
    responses=openapi.management(ok=(200, openapi.OBJECT)),
)
async def blocks_by_identifier(
    request: Request, caller: Caller = Depends(require("read:users"))
) -> Response:
    user_ids = await _by_identifier(request, caller)
    blocks = await caller.services.user_blocks.blocks(user_ids)
    return JSONResponse({"blocked_for": [block_view(b) for b in blocks]})


@router.delete(
    "/user-blocks",
    openapi_extra=openapi.query(required=("identifier",)),
    status_code=204,
    responses=openapi.management(),
)
async def unblock_by_identifier(
    request: Request, caller: Caller = Depends(require("update:users"))
) -> Response:
    await caller.services.user_blocks.unblock(await _by_identifier(request, caller))
    return Response(status_code=204)


@router.get("/user-blocks/{user_id}", responses=openapi.management(404, ok=(200, openapi.OBJECT)))
async def blocks_of_user(user_id: str, caller: Caller = Depends(require("read:users"))) -> Response:
    blocks = await caller.services.user_blocks.blocks(await _existing(user_id, caller))
    return JSONResponse({"blocked_for": [block_view(b) for b in blocks]})


@router.delete("/user-blocks/{user_id}", status_code=204, responses=openapi.management(404))
async def unblock_user(user_id: str, caller: Caller = Depends(require("update:users"))) -> Response:
    await caller.services.user_blocks.unblock(await _existing(user_id, caller))
    return Response(status_code=204)
