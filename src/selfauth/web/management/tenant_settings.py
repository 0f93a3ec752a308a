"""`/api/v2/tenants/settings` (docs/management-api.md, "Tenant settings")."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from selfauth.web import openapi
from selfauth.web.body import read_json_object
from selfauth.web.json import JSONResponse
from selfauth.web.security import Caller, require

router = APIRouter()

SETTINGS = "/tenants/settings"


@router.get(SETTINGS, responses=openapi.management(ok=(200, openapi.OBJECT)))
async def get_settings(caller: Caller = Depends(require("read:tenant_settings"))) -> Response:
    return JSONResponse(await caller.services.tenant.settings())


@router.patch(
    SETTINGS,
    responses=openapi.management(ok=(200, openapi.OBJECT)),
    openapi_extra=openapi.json_object("The tenant settings to change"),
)
async def update_settings(
    request: Request, caller: Caller = Depends(require("update:tenant_settings"))
) -> Response:
    found = caller.services
    body = await read_json_object(request, found.settings.max_body_bytes)
    return JSONResponse(await found.tenant.update(body))
