"""`/api/v2/prompts/{prompt}/custom-text/{language}` (docs/management-api.md, "Branding, custom
text and the page template")."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from selfauth.web import openapi
from selfauth.web.body import read_json_object
from selfauth.web.json import JSONResponse
from selfauth.web.security import Caller, require

router = APIRouter()

CUSTOM_TEXT = "/prompts/{prompt}/custom-text/{language}"


@router.get(CUSTOM_TEXT, responses=openapi.management(ok=(200, openapi.OBJECT)))
async def get_custom_text(
    prompt: str, language: str, caller: Caller = Depends(require("read:prompts"))
) -> Response:
    return JSONResponse(await caller.services.prompts.custom_text(prompt, language))


@router.put(
    CUSTOM_TEXT,
    responses=openapi.management(ok=(200, openapi.OBJECT)),
    openapi_extra=openapi.json_object(
        "The screens' texts: each screen an object of text keys and strings"
    ),
)
async def replace_custom_text(
    prompt: str,
    language: str,
    request: Request,
    caller: Caller = Depends(require("update:prompts")),
) -> Response:
    found = caller.services
    body = await read_json_object(request, found.settings.max_body_bytes)
    return JSONResponse(await found.prompts.replace(prompt, language, body))
