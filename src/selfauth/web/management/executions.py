"""`/api/v2/actions/executions`: what each trigger run of Rules and Actions did.

`GET /actions/executions/{id}` is Auth0's. Listing (`GET /actions/executions?user_id=...`) is
selfauth's addition: Auth0 points to executions from its tenant logs, which selfauth does not
keep yet, so this is how an administrator finds them.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from selfauth.domain.actions.executions import ExecutionFilter
from selfauth.errors import NotFound
from selfauth.web import openapi
from selfauth.web.json import JSONResponse
from selfauth.web.query import Paging
from selfauth.web.security import Caller, require

router = APIRouter()


@router.get(
    "/actions/executions/{execution_id}",
    responses=openapi.management(404, ok=(200, openapi.OBJECT)),
)
async def get_execution(
    execution_id: str, caller: Caller = Depends(require("read:actions"))
) -> Response:
    found = await caller.services.executions.get(execution_id)
    if found is None:
        raise NotFound("The execution does not exist.", error_code="inexistent_execution")
    return JSONResponse(found)


@router.get(
    "/actions/executions",
    responses=openapi.management(ok=(200, openapi.OBJECT)),
    openapi_extra=openapi.query(*openapi.PAGING, "trigger_id", "user_id"),
)
async def list_executions(
    request: Request, caller: Caller = Depends(require("read:actions"))
) -> Response:
    query = request.query_params
    paging = Paging.parse(query)
    user_id = query.get("user_id") or None
    wanted = ExecutionFilter(
        user_ids=None if user_id is None else [user_id],
        trigger_id=query.get("trigger_id") or None,
    )
    executions = await caller.services.executions.page(
        wanted, offset=paging.offset, limit=paging.per_page
    )
    return JSONResponse({"executions": executions})
