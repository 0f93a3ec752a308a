"""`/api/v2/users/{id}/metadata-history` and `/api/v2/clients/{id}/metadata-history` (our
addition): who changed which metadata key, when, from what and to what; newest first, paged as
Auth0's lists are, filtered by `key` and `field`."""

from __future__ import annotations

from collections.abc import Mapping

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from selfauth.domain.metadata_history import FIELDS, HistoryFilter
from selfauth.errors import InvalidQueryString
from selfauth.web import openapi
from selfauth.web.json import JSONResponse
from selfauth.web.query import Paging
from selfauth.web.security import Caller, require

router = APIRouter()

_FILTERS = ("key", "field")


def _filter(query: Mapping[str, str], fields: tuple[str, ...]) -> HistoryFilter:
    field = query.get("field") or None
    if field is not None and field not in fields:
        raise InvalidQueryString(
            f"Query validation error: 'field must be one of {', '.join(fields)}' on property field."
        )
    return HistoryFilter(key=query.get("key") or None, field=field)


@router.get(
    "/users/{user_id}/metadata-history",
    responses=openapi.management(404, ok=(200, openapi.listing("history"))),
    openapi_extra=openapi.query(*openapi.PAGING, *_FILTERS),
)
async def user_history(
    user_id: str, request: Request, caller: Caller = Depends(require("read:users"))
) -> Response:
    found = caller.services
    await found.users.get(user_id)  # 404 for a user who is not (or no longer) there
    paging = Paging.parse(request.query_params)
    where = _filter(request.query_params, FIELDS[:2])
    history = found.metadata_history
    entries = await history.of_user(user_id, where, paging.offset, paging.per_page)
    total = await history.count_of_user(user_id, where) if paging.include_totals else 0
    views = [entry.wire("user_id") for entry in entries]
    return JSONResponse(paging.wrap("history", views, total, with_length=True))


@router.get(
    "/clients/{client_id}/metadata-history",
    responses=openapi.management(404, ok=(200, openapi.listing("history"))),
    openapi_extra=openapi.query(*openapi.PAGING, *_FILTERS),
)
async def client_history(
    client_id: str, request: Request, caller: Caller = Depends(require("read:clients"))
) -> Response:
    found = caller.services
    await found.clients.get(client_id)  # 404 for an application that is not there
    paging = Paging.parse(request.query_params)
    where = _filter(request.query_params, FIELDS[2:])
    history = found.metadata_history
    entries = await history.of_client(client_id, where, paging.offset, paging.per_page)
    total = await history.count_of_client(client_id, where) if paging.include_totals else 0
    views = [entry.wire("client_id") for entry in entries]
    return JSONResponse(paging.wrap("history", views, total, with_length=True))
