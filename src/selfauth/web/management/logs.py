"""`/api/v2/logs`, `/api/v2/logs/{id}`, `/api/v2/users/{id}/logs`: the tenant logs (reference
§13.3). Search mode pages a `q` over the log fields (the user search's syntax) in date order,
at most the first 1000 results; checkpoint mode (`from`, `take`) reads the logs after a log id
in id order, with no cap, and points to the next call in a `Link` header."""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from selfauth.domain.logs import LOG_VOCABULARY
from selfauth.domain.search import Query
from selfauth.domain.search.ast import Compare, Field, FieldKind, Op, ValueType
from selfauth.domain.search.parser import parse
from selfauth.errors import InvalidQueryString, NotFound
from selfauth.web import openapi
from selfauth.web.json import JSONResponse
from selfauth.web.query import FieldSelection, Paging, integer
from selfauth.web.security import Caller, require

router = APIRouter()

READ = ("read:logs", "read:logs_users")
REACHABLE = 1000  # search mode's window, as Auth0's


def _ascending(raw: str | None) -> bool:
    if raw is None or raw == "" or raw == "date:-1":
        return False
    if raw == "date:1":
        return True
    raise InvalidQueryString(
        "Query validation error: 'sort must be date:1 or date:-1' on property sort."
    )


async def _search(
    caller: Caller, query: Mapping[str, str], tree: Query, *, with_fields: bool
) -> Response:
    paging = Paging.parse(query)
    ascending = _ascending(query.get("sort"))
    limit = max(0, min(paging.per_page, REACHABLE - paging.offset))
    logs = caller.services.logs
    found = (
        await logs.search(tree, ascending=ascending, offset=paging.offset, limit=limit)
        if limit
        else []
    )
    if with_fields:
        selection = FieldSelection.parse(query)
        found = [selection.apply(view) for view in found]
    total = await logs.count(tree, REACHABLE) if paging.include_totals else 0
    return JSONResponse(paging.wrap("logs", found, total, with_length=True))


@router.get(
    "/logs",
    responses=openapi.management(ok=(200, openapi.listing("logs"))),
    openapi_extra=openapi.query(*openapi.PAGING, *openapi.FIELDS, "q", "sort", "from", "take"),
)
async def list_logs(request: Request, caller: Caller = Depends(require(*READ))) -> Response:
    query = request.query_params
    checkpoint = query.get("from")
    if (checkpoint is not None and checkpoint != "") or query.get("take"):
        return await _checkpoint(request, caller, checkpoint or "")
    tree = parse(query.get("q") or "", LOG_VOCABULARY)
    return await _search(caller, query, tree, with_fields=True)


async def _checkpoint(request: Request, caller: Caller, checkpoint: str) -> Response:
    """Logs after `from` in id order (other parameters are ignored, as Auth0 does); the
    `Link` names the call that continues, the same one again when nothing is newer."""
    take = integer(request.query_params, "take", 50, 1, 100)
    found = await caller.services.logs.after(checkpoint, take)
    following = found[-1]["log_id"] if found else checkpoint
    link = str(request.url.replace(query=urlencode({"from": following, "take": take})))
    return JSONResponse(found, headers={"Link": f'<{link}>; rel="next"'})


@router.get("/logs/{log_id}", responses=openapi.management(404, ok=(200, openapi.OBJECT)))
async def get_log(log_id: str, caller: Caller = Depends(require(*READ))) -> Response:
    found = await caller.services.logs.get(log_id)
    if found is None:
        raise NotFound("log not found", error_code="inexistent_log")
    return JSONResponse(found)


@router.get(
    "/users/{user_id}/logs",
    responses=openapi.management(ok=(200, openapi.listing("logs"))),
    openapi_extra=openapi.query(*openapi.PAGING, "sort"),
)
async def user_logs(
    user_id: str, request: Request, caller: Caller = Depends(require(*READ))
) -> Response:
    """Only page, per_page, sort and include_totals apply (reference §13.3)."""
    field = Field(FieldKind.ROOT, "user_id", ValueType.TEXT)
    tree = Compare(field, Op.EQ, user_id)
    return await _search(caller, request.query_params, tree, with_fields=False)
