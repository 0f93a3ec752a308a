"""`/api/v2/metadata-schemas/{field}` and `/api/v2/connections/{id}/metadata-schemas/{field}`
(our addition: docs/management-api.md, "Metadata schemas")."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from selfauth.domain.metadata_schemas.validator import TENANT
from selfauth.errors import NotFound
from selfauth.web import openapi
from selfauth.web.body import read_json_object
from selfauth.web.json import JSONResponse
from selfauth.web.security import Caller, require

router = APIRouter()

TENANT_WIDE = "/metadata-schemas/{field}"
OF_CONNECTION = "/connections/{connection_id}/metadata-schemas/{field}"
READ, WRITE = "read:connections", "update:connections"
_FIELD = {"type": "string", "enum": ["user_metadata", "app_metadata"]}
_VIEW_PROPERTIES = {
    "connection_id": {"type": ["string", "null"]},
    "field": _FIELD,
    "schema": {"type": "object"},
    "updated_at": {"type": "string", "format": "date-time"},
}
SCHEMA_VIEW = {"type": "object", "required": list(_VIEW_PROPERTIES), "properties": _VIEW_PROPERTIES}
# PUT's answer also counts the users who break the new schema (their data is left as it is).
PUT_VIEW = {
    "type": "object",
    "required": [*_VIEW_PROPERTIES, "violating_users"],
    "properties": {**_VIEW_PROPERTIES, "violating_users": {"type": "integer", "minimum": 0}},
}
_BODY = openapi.json_object(
    'The JSON Schema the field must obey, as {"schema": {...}}', required=True
)


def _connection(connection_id: str) -> str:
    """A connection's id as a target; the tenant-wide target's name is no connection's."""
    if connection_id == TENANT:
        raise NotFound("The connection does not exist", error_code="inexistent_connection")
    return connection_id


async def _get(caller: Caller, target: str, field: str) -> Response:
    return JSONResponse(await caller.services.metadata_schemas.get(target, field))


async def _put(request: Request, caller: Caller, target: str, field: str) -> Response:
    found = caller.services
    body = await read_json_object(request, found.settings.max_body_bytes)
    return JSONResponse(await found.metadata_schemas.put(target, field, body))


async def _delete(caller: Caller, target: str, field: str) -> Response:
    await caller.services.metadata_schemas.delete(target, field)
    return Response(status_code=204)


@router.get(TENANT_WIDE, responses=openapi.management(404, ok=(200, SCHEMA_VIEW)))
async def get_tenant_schema(field: str, caller: Caller = Depends(require(READ))) -> Response:
    return await _get(caller, TENANT, field)


@router.put(TENANT_WIDE, responses=openapi.management(404, ok=(200, PUT_VIEW)), openapi_extra=_BODY)
async def put_tenant_schema(
    field: str, request: Request, caller: Caller = Depends(require(WRITE))
) -> Response:
    """Set the tenant-wide schema; `violating_users` counts who breaks it now (unchanged)."""
    return await _put(request, caller, TENANT, field)


@router.delete(
    TENANT_WIDE,
    status_code=204,
    responses={**openapi.management(404), 204: {"description": "Removed (or there was none)"}},
)
async def delete_tenant_schema(field: str, caller: Caller = Depends(require(WRITE))) -> Response:
    return await _delete(caller, TENANT, field)


@router.get(OF_CONNECTION, responses=openapi.management(404, ok=(200, SCHEMA_VIEW)))
async def get_connection_schema(
    connection_id: str, field: str, caller: Caller = Depends(require(READ))
) -> Response:
    return await _get(caller, _connection(connection_id), field)


@router.put(
    OF_CONNECTION, responses=openapi.management(404, ok=(200, PUT_VIEW)), openapi_extra=_BODY
)
async def put_connection_schema(
    connection_id: str, field: str, request: Request, caller: Caller = Depends(require(WRITE))
) -> Response:
    """Set a connection's schema (it wins over the tenant-wide one for its users)."""
    return await _put(request, caller, _connection(connection_id), field)


@router.delete(
    OF_CONNECTION,
    status_code=204,
    responses={**openapi.management(404), 204: {"description": "Removed (or there was none)"}},
)
async def delete_connection_schema(
    connection_id: str, field: str, caller: Caller = Depends(require(WRITE))
) -> Response:
    return await _delete(caller, _connection(connection_id), field)
