"""`/api/v2/log-streams`: Auth0's log streams, of type `http` (reference §13.4). The sink's
`httpAuthorization` goes in, never out; delivery is flows/log_streams.py's."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from selfauth.web import openapi
from selfauth.web.body import read_json_object
from selfauth.web.json import JSONResponse
from selfauth.web.security import Caller, require

router = APIRouter()


@router.get("/log-streams", responses=openapi.management(ok=(200, openapi.ARRAY)))
async def list_log_streams(caller: Caller = Depends(require("read:log_streams"))) -> Response:
    return JSONResponse(await caller.services.log_streams.list())


@router.post(
    "/log-streams",
    responses=openapi.management(ok=(200, openapi.OBJECT)),
    openapi_extra=openapi.json_object("The stream: name, type and sink", required=True),
)
async def create_log_stream(
    request: Request, caller: Caller = Depends(require("create:log_streams"))
) -> Response:
    body = await read_json_object(request, caller.services.settings.max_body_bytes)
    # 200, not 201: Auth0's answer.
    return JSONResponse(await caller.services.log_streams.create(body))


@router.get("/log-streams/{stream_id}", responses=openapi.management(404, ok=(200, openapi.OBJECT)))
async def get_log_stream(
    stream_id: str, caller: Caller = Depends(require("read:log_streams"))
) -> Response:
    return JSONResponse(await caller.services.log_streams.get(stream_id))


@router.patch(
    "/log-streams/{stream_id}",
    responses=openapi.management(404, ok=(200, openapi.OBJECT)),
    openapi_extra=openapi.json_object("What to change: name, status, filters or sink"),
)
async def update_log_stream(
    stream_id: str, request: Request, caller: Caller = Depends(require("update:log_streams"))
) -> Response:
    body = await read_json_object(request, caller.services.settings.max_body_bytes)
    return JSONResponse(await caller.services.log_streams.update(stream_id, body))


@router.delete("/log-streams/{stream_id}", status_code=204, responses=openapi.management())
async def delete_log_stream(
    stream_id: str, caller: Caller = Depends(require("delete:log_streams"))
) -> Response:
    await caller.services.log_streams.delete(stream_id)
    return Response(status_code=204)
