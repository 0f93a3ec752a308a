"""`/api/v2/emails/provider` and `/api/v2/email-templates` (auth0-behaviour.md §9.1)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from pydantic import Field, StrictInt, StrictStr
from starlette.responses import Response

from selfauth.domain.body_models import Closed, optional
from selfauth.domain.emails.provider import provider_view
from selfauth.domain.emails.templates import WIRE_TO_COLUMN, template_view
from selfauth.errors import InvalidBody
from selfauth.web import openapi
from selfauth.web.body import read_json_object, validate
from selfauth.web.json import JSONResponse
from selfauth.web.query import FieldSelection
from selfauth.web.security import Caller, require

router = APIRouter()

PROVIDER = "/emails/provider"
TEMPLATES = "/email-templates"
_NO_FIELDS = {"name", "enabled"}  # what a GET without `fields` answers, as Auth0 does


class Credentials(Closed):
    """SMTP's four: another provider's keys (`api_key`, ...) are refused rather than stored."""

    smtp_host: StrictStr = optional(min_length=1, max_length=255)
    smtp_port: StrictInt = optional(ge=1, le=65535)
    smtp_user: StrictStr = optional(max_length=320)
    smtp_pass: StrictStr = optional(max_length=1024)


class UpdateProvider(Closed):
    name: StrictStr = optional(min_length=1, max_length=32)
    enabled: bool = optional()
    default_from_address: StrictStr = optional(min_length=1, max_length=320)
    credentials: Credentials = optional()
    settings: dict[str, Any] = optional()


class CreateProvider(UpdateProvider):
    name: StrictStr = Field(min_length=1, max_length=32)
    credentials: Credentials


class TemplateBody(Closed):
    template: StrictStr = optional(min_length=1, max_length=64)
    body: StrictStr | None = optional()
    from_: StrictStr | None = Field(default=None, alias="from", max_length=320)
    subject: StrictStr | None = optional()
    resultUrl: StrictStr | None = optional(max_length=2048)  # Auth0's wire names
    syntax: StrictStr = optional(pattern="^liquid$")
    urlLifetimeInSeconds: StrictInt | None = optional(ge=0)
    includeEmailInRedirect: bool = optional()
    enabled: bool = optional()


class CreateTemplate(TemplateBody):
    template: StrictStr = Field(min_length=1, max_length=64)


def provider_fields(body: UpdateProvider) -> dict[str, Any]:
    fields = body.model_dump(exclude_unset=True)
    if body.credentials is not None:
        fields["credentials"] = body.credentials.model_dump(exclude_unset=True)
    return fields


def template_fields(body: TemplateBody) -> dict[str, Any]:
    """Wire names -> the model's columns; `template` is left out (the URL's name rules)."""
    sent = body.model_dump(exclude_unset=True, by_alias=True)
    return {WIRE_TO_COLUMN[wire]: value for wire, value in sent.items() if wire in WIRE_TO_COLUMN}


@router.get(
    PROVIDER,
    responses=openapi.management(404, ok=(200, openapi.OBJECT)),
    openapi_extra=openapi.query(*openapi.FIELDS),
)
async def get_provider(
    request: Request, caller: Caller = Depends(require("read:email_provider"))
) -> Response:
    provider = await caller.services.email_provider.get()
    selection = FieldSelection.parse(request.query_params)
    view = provider_view(provider)
    if selection.fields is None:
        return JSONResponse({k: v for k, v in view.items() if k in _NO_FIELDS})
    return JSONResponse(selection.apply(view))


@router.post(
    PROVIDER,
    status_code=201,
    responses=openapi.management(409, ok=(201, openapi.OBJECT)),
    openapi_extra=openapi.json_body(CreateProvider),
)
async def create_provider(
    request: Request, caller: Caller = Depends(require("create:email_provider"))
) -> Response:
    found = caller.services
    body = validate(CreateProvider, await read_json_object(request, found.settings.max_body_bytes))
    provider = await found.email_provider.create(provider_fields(body))
    return JSONResponse(provider_view(provider), status_code=201)


@router.patch(
    PROVIDER,
    responses=openapi.management(404, ok=(200, openapi.OBJECT)),
    openapi_extra=openapi.json_body(UpdateProvider),
)
async def update_provider(
    request: Request, caller: Caller = Depends(require("update:email_provider"))
) -> Response:
    found = caller.services
    body = validate(UpdateProvider, await read_json_object(request, found.settings.max_body_bytes))
    fields = provider_fields(body)
    if not fields:
        raise InvalidBody("Payload validation error: 'Too few properties defined (0), minimum 1'.")
    provider = await found.email_provider.update(fields)
    return JSONResponse(provider_view(provider))


@router.delete(PROVIDER, status_code=204, responses=openapi.management())
async def delete_provider(caller: Caller = Depends(require("delete:email_provider"))) -> Response:
    await caller.services.email_provider.delete()
    return Response(status_code=204)


@router.post(
    TEMPLATES,
    status_code=201,
    responses=openapi.management(409, ok=(201, openapi.OBJECT)),
    openapi_extra=openapi.json_body(CreateTemplate),
)
async def create_template(
    request: Request, caller: Caller = Depends(require("create:email_templates"))
) -> Response:
    found = caller.services
    body = validate(CreateTemplate, await read_json_object(request, found.settings.max_body_bytes))
    template = await found.email_templates.create(body.template, template_fields(body))
    return JSONResponse(template_view(template), status_code=201)


@router.get(
    TEMPLATES + "/{template_name}", responses=openapi.management(404, ok=(200, openapi.OBJECT))
)
async def get_template(
    template_name: str, caller: Caller = Depends(require("read:email_templates"))
) -> Response:
    template = await caller.services.email_templates.get(template_name)
    return JSONResponse(template_view(template))


@router.patch(
    TEMPLATES + "/{template_name}",
    responses=openapi.management(404, ok=(200, openapi.OBJECT)),
    openapi_extra=openapi.json_body(TemplateBody),
)
async def update_template(
    template_name: str,
    request: Request,
    caller: Caller = Depends(require("update:email_templates")),
) -> Response:
    found = caller.services
    body = validate(TemplateBody, await read_json_object(request, found.settings.max_body_bytes))
    fields = template_fields(body)
    if not fields and body.template is None:
        raise InvalidBody("Payload validation error: 'Too few properties defined (0), minimum 1'.")
    name = body.template or template_name
    template = await found.email_templates.update(name, template_name, fields)
    return JSONResponse(template_view(template))


@router.put(
    TEMPLATES + "/{template_name}",
    responses=openapi.management(404, ok=(200, openapi.OBJECT)),
    openapi_extra=openapi.json_body(TemplateBody),
)
async def replace_template(
    template_name: str,
    request: Request,
    caller: Caller = Depends(require("update:email_templates")),
) -> Response:
    found = caller.services
    body = validate(TemplateBody, await read_json_object(request, found.settings.max_body_bytes))
    name = body.template or template_name
    template = await found.email_templates.replace(name, template_name, template_fields(body))
    return JSONResponse(template_view(template))
