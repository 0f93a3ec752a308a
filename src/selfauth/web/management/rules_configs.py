"""`/api/v2/rules-configs`: the `configuration` object of rules. Values go in, never out."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict
from starlette.responses import Response

from selfauth.web import openapi
from selfauth.web.body import read_json_object, validate
from selfauth.web.json import JSONResponse
from selfauth.web.security import Caller, require

router = APIRouter()


class SetRulesConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    value: str


@router.get("/rules-configs", responses=openapi.management(ok=(200, openapi.ARRAY)))
async def list_rules_configs(
    caller: Caller = Depends(require("read:rules_configs")),
) -> Response:
    keys = await caller.services.rule_configs.keys()
    return JSONResponse([{"key": key} for key in keys])


@router.put(
    "/rules-configs/{key}",
    responses=openapi.management(ok=(200, openapi.OBJECT)),
    openapi_extra=openapi.json_body(SetRulesConfig),
)
async def set_rules_config(
    key: str,
    request: Request,
    caller: Caller = Depends(require("update:rules_configs")),
) -> Response:
    found = caller.services
    body = validate(SetRulesConfig, await read_json_object(request, found.settings.max_body_bytes))
    await found.rule_configs.set(key, body.value)
    # Auth0's answer echoes the caller's own value; no read ever returns a stored one.
    return JSONResponse({"key": key, "value": body.value})


@router.delete("/rules-configs/{key}", status_code=204, responses=openapi.management())
async def delete_rules_config(
    key: str,
    caller: Caller = Depends(require("delete:rules_configs")),
) -> Response:
    await caller.services.rule_configs.delete(key)
    return Response(status_code=204)
