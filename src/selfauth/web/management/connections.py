"""`/api/v2/connections`."""

from __future__ import annotations

import re
from typing import Any, Literal

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field
from starlette.responses import Response

from selfauth.domain.body_models import Closed, optional
from selfauth.domain.clock import iso
from selfauth.domain.connections.etag import connection_etag
from selfauth.domain.connections.model import DATABASE_STRATEGY, STRATEGIES
from selfauth.domain.connections.options_schema import (
    ConnectionOptions,
    DatabaseOptionsBody,
)
from selfauth.domain.connections.service import connection_view
from selfauth.domain.etags import IfMatch
from selfauth.errors import InvalidBody, InvalidQueryString
from selfauth.web import openapi
from selfauth.web.body import read_json_object, validate
from selfauth.web.json import JSONResponse
from selfauth.web.query import FieldSelection, Paging
from selfauth.web.security import Caller, require

router = APIRouter()

Strategy = Literal[STRATEGIES]  # type: ignore[valid-type]
# A list filters on Auth0's enum of existing strategies, one more than a create may name.
# `DELETE`'s answer: when the connection was deleted (/openapi.json).
DELETED = {
    "type": "object",
    "required": ["deleted_at"],
    "properties": {"deleted_at": {"type": "string", "format": "date-time"}},
}
LISTED_STRATEGIES = frozenset({*STRATEGIES, "auth0-adldap"})
_STRATEGY_PARAM = re.compile(r"strategy(?:\[\d*\])?")
# Auth0 answers it in a list whatever `fields` names.
LISTED_ALWAYS = ("is_domain_connection",)


class AuthenticationPurpose(Closed):
    active: bool


class ConnectedAccountsPurpose(Closed):
    active: bool
    cross_app_access: bool = optional()


class RequestingApp(Closed):
    active: bool


class ResourceApp(Closed):
    status: Literal["enabled", "disabled"]


class _ConnectionFields(Closed):
    """NA-req `CreateConnectionRequestContent` / `UpdateConnectionRequestContent`."""

    display_name: str = optional(max_length=128)
    is_domain_connection: bool = optional()
    show_as_button: bool = optional()
    realms: list[str] = optional()
    metadata: dict[str, str | None] = optional()
    authentication: AuthenticationPurpose = optional()
    connected_accounts: ConnectedAccountsPurpose = optional()
    cross_app_access_requesting_app: RequestingApp = optional()


class CreateConnection(_ConnectionFields):
    name: str = Field(max_length=128)
    strategy: Strategy
    options: ConnectionOptions = optional()
    enabled_clients: list[str] = optional()
    cross_app_access_resource_app: ResourceApp = optional()


class UpdateConnection(_ConnectionFields):
    options: ConnectionOptions | None = optional()
    enabled_clients: list[str] | None = optional()
    cross_app_access_resource_app: ResourceApp | None = optional()


def _fields(body: BaseModel, data: dict[str, Any]) -> dict[str, Any]:
    fields = body.model_dump(exclude_unset=True)
    if data.get("options") is not None:
        fields["options"] = data["options"]  # as sent: Auth0 keeps option keys it does not know
    return fields


@router.post(
    "/connections",
    status_code=201,
    responses=openapi.management(409, ok=(201, openapi.OBJECT)),
    openapi_extra=openapi.json_body(CreateConnection),
)
async def create_connection(
    request: Request,
    caller: Caller = Depends(require("create:connections")),
) -> Response:
    found = caller.services
    data = await read_json_object(request, found.settings.max_body_bytes)
    body = validate(CreateConnection, data)
    if body.strategy == DATABASE_STRATEGY:
        validate(DatabaseOptionsBody, {"options": data.get("options") or {}})
    connection = await found.connections.create(_fields(body, data))
    return JSONResponse(connection_view(connection), status_code=201)


@router.get(
    "/connections",
    responses=openapi.management(ok=(200, openapi.listing("connections"))),
    openapi_extra=openapi.query(*openapi.PAGING, *openapi.FIELDS, "name", "strategy"),
)
async def list_connections(
    request: Request,
    caller: Caller = Depends(require("read:connections")),
) -> Response:
    found = caller.services
    query = request.query_params
    paging = Paging.parse(query)
    selection = FieldSelection.parse(query)
    connections = await found.connections.all()
    # Repeated `strategy=`, or the indexed form the Auth0 CLI sends (`strategy[0]=`).
    strategies = [v for k, v in query.multi_items() if _STRATEGY_PARAM.fullmatch(k)]
    for strategy in strategies:
        if strategy not in LISTED_STRATEGIES:
            raise InvalidQueryString(
                f"Query validation error: 'No enum match for: {strategy}' on property strategy."
            )
    if strategies:
        connections = [c for c in connections if c.strategy in strategies]
    if query.get("name"):
        connections = [c for c in connections if c.name == query.get("name")]
    page = connections[paging.offset : paging.offset + paging.per_page]
    items = [selection.apply(connection_view(c), LISTED_ALWAYS) for c in page]
    return JSONResponse(paging.wrap("connections", items, len(connections)))


@router.get(
    "/connections/{connection_id}",
    responses=openapi.management(404, ok=(200, openapi.OBJECT)),
    openapi_extra=openapi.query(*openapi.FIELDS),
)
async def get_connection(
    connection_id: str,
    request: Request,
    caller: Caller = Depends(require("read:connections")),
) -> Response:
    found = caller.services
    connection = await found.connections.get(connection_id)
    return JSONResponse(
        FieldSelection.parse(request.query_params).apply(connection_view(connection)),
        headers={"ETag": connection_etag(connection)},
    )


@router.patch(
    "/connections/{connection_id}",
    responses=openapi.management(404, 409, 412, ok=(200, openapi.OBJECT)),
    openapi_extra={**openapi.json_body(UpdateConnection), **openapi.IF_MATCH},
)
async def update_connection(
    connection_id: str,
    request: Request,
    caller: Caller = Depends(require("update:connections")),
) -> Response:
    found = caller.services
    data = await read_json_object(request, found.settings.max_body_bytes)
    body = validate(UpdateConnection, data)
    if not data:
        raise InvalidBody("Payload validation error: 'Too few properties defined (0), minimum 1'.")
    if data.get("options") is not None:
        current = await found.connections.get(connection_id)
        if current.is_database:
            validate(DatabaseOptionsBody, {"options": data["options"]})
    if_match = IfMatch.of(request.headers.get("if-match"))
    connection = await found.connections.update(connection_id, _fields(body, data), if_match)
    return JSONResponse(connection_view(connection), headers={"ETag": connection_etag(connection)})


@router.delete(
    "/connections/{connection_id}",
    status_code=202,
    responses={
        **openapi.management(412, ok=(202, DELETED)),
        204: {"description": "There is no such connection (any more)"},
    },
    openapi_extra=openapi.IF_MATCH,
)
async def delete_connection(
    connection_id: str,
    request: Request,
    caller: Caller = Depends(require("delete:connections")),
) -> Response:
    """202 with the time of the deletion; 204 when there is no such connection (any more)."""
    found = caller.services
    if_match = IfMatch.of(request.headers.get("if-match"))
    deleted_at = await found.connections.delete(connection_id, if_match)
    if deleted_at is None:
        return Response(status_code=204)
    return JSONResponse({"deleted_at": iso(deleted_at)}, status_code=202)
