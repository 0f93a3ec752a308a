"""`/api/v2/branding` and `/api/v2/branding/templates/universal-login` (docs/management-api.md,
"Branding, custom text and the page template")."""

from __future__ import annotations

import orjson
from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from selfauth.domain.json_values import holds_nul
from selfauth.domain.users.metadata import json_type
from selfauth.errors import InvalidBody
from selfauth.web import openapi
from selfauth.web.body import read_bytes, read_json_object
from selfauth.web.json import JSONResponse
from selfauth.web.security import Caller, require

router = APIRouter()

BRANDING = "/branding"
TEMPLATE = "/branding/templates/universal-login"


@router.get(BRANDING, responses=openapi.management(ok=(200, openapi.OBJECT)))
async def get_branding(caller: Caller = Depends(require("read:branding"))) -> Response:
    return JSONResponse(await caller.services.branding.settings())


@router.patch(
    BRANDING,
    responses=openapi.management(ok=(200, openapi.OBJECT)),
    openapi_extra=openapi.json_object(
        "The branding settings to change: colors, favicon_url, logo_url, font"
    ),
)
async def update_branding(
    request: Request, caller: Caller = Depends(require("update:branding"))
) -> Response:
    found = caller.services
    body = await read_json_object(request, found.settings.max_body_bytes)
    return JSONResponse(await found.branding.update(body))


@router.get(TEMPLATE, responses=openapi.management(404, ok=(200, openapi.OBJECT)))
async def get_template(caller: Caller = Depends(require("read:branding"))) -> Response:
    return JSONResponse({"body": await caller.services.branding.template()})


@router.put(
    TEMPLATE,
    status_code=201,
    responses={201: {"description": "Stored"}, **openapi.management()},
    openapi_extra=openapi.PAGE_TEMPLATE,
)
async def set_template(
    request: Request, caller: Caller = Depends(require("update:branding"))
) -> Response:
    found = caller.services
    raw = await read_bytes(request, found.settings.max_body_bytes)
    await found.branding.set_template(_template_of(request, raw))
    return Response(status_code=201)


@router.delete(TEMPLATE, status_code=204, responses=openapi.management())
async def delete_template(caller: Caller = Depends(require("delete:branding"))) -> Response:
    await caller.services.branding.delete_template()
    return Response(status_code=204)


def _template_of(request: Request, raw: bytes) -> str:
    """Auth0 takes the template as `text/html`, as a JSON string, or as `{"template": ...}`."""
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media.startswith("text/"):
        try:
            template = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InvalidBody("The template is not valid UTF-8.") from exc
    else:
        try:
            data = orjson.loads(raw) if raw.strip() else None
        except orjson.JSONDecodeError as exc:
            raise InvalidBody(f"Invalid request payload JSON format ({exc.msg})") from exc
        if isinstance(data, dict):
            extra = [key for key in data if key != "template"]
            if extra:
                raise InvalidBody(
                    "Payload validation error: "
                    f"'Additional properties not allowed: {','.join(extra)}'."
                )
            if "template" not in data:
                raise InvalidBody(
                    "Payload validation error: 'Missing required property: template'."
                )
            data = data["template"]
            prop = " on property template"
        else:
            prop = ""
        if not isinstance(data, str):
            raise InvalidBody(
                f"Payload validation error: 'Expected type string but found type "
                f"{json_type(data)}'{prop}."
            )
        template = data
    if holds_nul(template):
        raise InvalidBody("Payload validation error: 'Strings cannot contain the NUL character'.")
    return template
