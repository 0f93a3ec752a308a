"""`/api/v2/rules`: legacy Rules, run at `login_success` in `order`."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict
from starlette.responses import Response

from selfauth.domain.actions.rules import check_rule_id, rule_view
from selfauth.errors import InvalidBody
from selfauth.web import openapi
from selfauth.web.body import read_json_object, validate
from selfauth.web.json import JSONResponse
from selfauth.web.query import FieldSelection, Paging, boolean
from selfauth.web.security import Caller, require

router = APIRouter()


class UpdateRule(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = ""
    script: str = ""
    order: int = 0
    enabled: bool = True
    stage: str = ""


class CreateRule(UpdateRule):
    name: str
    script: str


@router.post(
    "/rules",
    status_code=201,
    responses=openapi.management(409, ok=(201, openapi.OBJECT)),
    openapi_extra=openapi.json_body(CreateRule),
)
async def create_rule(
    request: Request,
    caller: Caller = Depends(require("create:rules")),
) -> Response:
    found = caller.services
    body = validate(CreateRule, await read_json_object(request, found.settings.max_body_bytes))
    rule = await found.rules.create(body.model_dump(exclude_unset=True))
    return JSONResponse(rule_view(rule), status_code=201)


@router.get(
    "/rules",
    responses=openapi.management(ok=(200, openapi.listing("rules"))),
    openapi_extra=openapi.query(*openapi.PAGING, *openapi.FIELDS, "enabled", "stage"),
)
async def list_rules(
    request: Request,
    caller: Caller = Depends(require("read:rules")),
) -> Response:
    found = caller.services
    query = request.query_params
    paging = Paging.parse(query)
    selection = FieldSelection.parse(query)
    enabled = boolean(query, "enabled", True) if query.get("enabled") else None
    rules, total = await found.rules.page(
        enabled=enabled,
        stage=query.get("stage") or None,
        offset=paging.offset,
        limit=paging.per_page,
    )
    items = [selection.apply(rule_view(rule)) for rule in rules]
    return JSONResponse(paging.wrap("rules", items, total))


@router.get(
    "/rules/{rule_id}",
    responses=openapi.management(404, ok=(200, openapi.OBJECT)),
    openapi_extra=openapi.query(*openapi.FIELDS),
)
async def get_rule(
    rule_id: str,
    request: Request,
    caller: Caller = Depends(require("read:rules")),
) -> Response:
    rule = await caller.services.rules.get(check_rule_id(rule_id))
    return JSONResponse(FieldSelection.parse(request.query_params).apply(rule_view(rule)))


@router.patch(
    "/rules/{rule_id}",
    responses=openapi.management(404, 409, ok=(200, openapi.OBJECT)),
    openapi_extra=openapi.json_body(UpdateRule),
)
async def update_rule(
    rule_id: str,
    request: Request,
    caller: Caller = Depends(require("update:rules")),
) -> Response:
    found = caller.services
    check_rule_id(rule_id)
    body = validate(UpdateRule, await read_json_object(request, found.settings.max_body_bytes))
    fields = body.model_dump(exclude_unset=True)
    if not fields:
        raise InvalidBody("Payload validation error: 'Too few properties defined (0), minimum 1'.")
    rule = await found.rules.update(rule_id, fields)
    return JSONResponse(rule_view(rule))


@router.delete("/rules/{rule_id}", status_code=204, responses=openapi.management())
async def delete_rule(
    rule_id: str,
    caller: Caller = Depends(require("delete:rules")),
) -> Response:
    await caller.services.rules.delete(check_rule_id(rule_id))
    return Response(status_code=204)
