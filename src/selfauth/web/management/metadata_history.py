"""`/api/v2/users/{id}/metadata-history` and `/api/v2/clients/{id}/metadata-history` (our
addition): who changed which metadata key, when, from what and to what; newest first, paged as
Auth0's lists are, filtered by `key` and `field`."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from functools import partial

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from selfauth.domain.metadata_history import FIELDS, HistoryEntry, HistoryFilter
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


async def _listing(
    request: Request,
    fields: tuple[str, ...],
    owner: str,
    read: Callable[[HistoryFilter, int, int], Awaitable[list[HistoryEntry]]],
    count: Callable[[HistoryFilter], Awaitable[int]],
) -> Response:
    """One owner's entries, paged and filtered as the query asks."""
    paging = Paging.parse(request.query_params)
    where = _filter(request.query_params, fields)
    entries = await read(where, paging.offset, paging.per_page)
    total = await count(where) if paging.include_totals else 0
    views = [entry.wire(owner) for entry in entries]
    return JSONResponse(paging.wrap("history", views, total, with_length=True))


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
    history = found.metadata_history
    return await _listing(
        request,
        FIELDS[:2],
        "user_id",
        partial(history.of_user, user_id),
        partial(history.count_of_user, user_id),
    )


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
    history = found.metadata_history
    return await _listing(
        request,
        FIELDS[2:],
        "client_id",
        partial(history.of_client, client_id),
        partial(history.count_of_client, client_id),
    )
