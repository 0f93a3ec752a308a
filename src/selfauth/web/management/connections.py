"""`/api/v2/connections`."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict, Field
from starlette.responses import Response

from selfauth.domain.connections.service import connection_view
from selfauth.web.body import read_json_object, validate
from selfauth.web.json import JSONResponse
from selfauth.web.query import FieldSelection, Paging
from selfauth.web.security import Caller, require

router = APIRouter()


class _ConnectionFields(BaseModel):
    model_config = ConfigDict(extra="forbid")

    display_name: str | None = Field(default=None, max_length=128)
    options: dict[str, Any] = Field(default_factory=dict)
    enabled_clients: list[str] = Field(default_factory=list)
    realms: list[str] = Field(default_factory=list)
    metadata: dict[str, str] = Field(default_factory=dict)
    is_domain_connection: bool = False


class CreateConnection(_ConnectionFields):
    name: str
    strategy: str


@router.post("/connections", status_code=201)
async def create_connection(
    request: Request,
    caller: Caller = Depends(require("create:connections")),
) -> Response:
    found = caller.services
    data = await read_json_object(request, found.settings.max_body_bytes)
    body = validate(CreateConnection, data)
    connection = await found.connections.create(body.model_dump(exclude_unset=True))
    return JSONResponse(connection_view(connection), status_code=201)


@router.get("/connections")
async def list_connections(
    request: Request,
    caller: Caller = Depends(require("read:connections")),
) -> Response:
    found = caller.services
    query = request.query_params
    paging = Paging.parse(query)
    selection = FieldSelection.parse(query)
    connections = await found.connections.all()
    strategies = query.getlist("strategy")
    if strategies:
        connections = [c for c in connections if c.strategy in strategies]
    if query.get("name"):
        connections = [c for c in connections if c.name == query.get("name")]
    page = connections[paging.offset : paging.offset + paging.per_page]
    items = [selection.apply(connection_view(c)) for c in page]
    return JSONResponse(paging.wrap("connections", items, len(connections)))


@router.get("/connections/{connection_id}")
async def get_connection(
    connection_id: str,
    request: Request,
    caller: Caller = Depends(require("read:connections")),
) -> Response:
    found = caller.services
    connection = await found.connections.get(connection_id)
    return JSONResponse(
        FieldSelection.parse(request.query_params).apply(connection_view(connection))
    )


@router.patch("/connections/{connection_id}")
async def update_connection(
    connection_id: str,
    request: Request,
    caller: Caller = Depends(require("update:connections")),
) -> Response:
    found = caller.services
    body = validate(
        _ConnectionFields, await read_json_object(request, found.settings.max_body_bytes)
    )
    connection = await found.connections.update(connection_id, body.model_dump(exclude_unset=True))
    return JSONResponse(connection_view(connection))


@router.delete("/connections/{connection_id}", status_code=204)
async def delete_connection(
    connection_id: str,
    caller: Caller = Depends(require("delete:connections")),
) -> Response:
    found = caller.services
    await found.connections.delete(connection_id)
    return Response(status_code=204)
