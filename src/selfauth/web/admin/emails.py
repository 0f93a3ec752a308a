"""The dashboard's emails section (/admin/emails): the SMTP provider, the list of templates,
and the outbox. A template's own page (edit and preview) is in email_templates.py.

The provider is saved through the Management API's models and service (CreateProvider when
there is none yet, UpdateProvider otherwise), so its rules hold here: `smtp` only, host and
port required, the password write-only (never rendered; a blank field keeps the stored one)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from starlette.responses import RedirectResponse, Response

from selfauth.domain.emails.outbox import STATUSES
from selfauth.domain.emails.provider import EmailProvider
from selfauth.domain.emails.templates import TEMPLATE_NAMES
from selfauth.errors import NotFound, SelfauthError
from selfauth.web.admin import email_templates
from selfauth.web.admin.page import admin_page
from selfauth.web.admin.session import Admin, signed_in
from selfauth.web.body import validate
from selfauth.web.management.emails import CreateProvider, UpdateProvider, provider_fields

router = APIRouter(include_in_schema=False)
router.include_router(email_templates.router)

PROVIDER_FIELDS = ("smtp_host", "smtp_port", "smtp_user", "smtp_pass", "default_from_address")
OUTBOX_PER_PAGE = 25


def field_of(message: str, names: tuple[str, ...]) -> str | None:
    """Which form field an API error message is about (it names the property), if any."""
    for name in names:
        if name in message:
            return name
    return None


def _typed_port(value: str) -> Any:
    """The port as the JSON body would carry it: a number when it reads as one; otherwise
    the text, which the model then refuses with the API's message."""
    value = value.strip()
    return int(value) if value.isdigit() else value


def provider_body(fields: dict[str, str], exists: bool) -> dict[str, Any]:
    """The JSON body POST (or PATCH) /api/v2/emails/provider would be sent for this form."""
    credentials: dict[str, Any] = {
        "smtp_host": fields.get("smtp_host", "").strip(),
        "smtp_port": _typed_port(fields.get("smtp_port", "")),
    }
    if fields.get("smtp_user", "").strip():
        credentials["smtp_user"] = fields["smtp_user"].strip()
    if fields.get("smtp_pass", ""):
        credentials["smtp_pass"] = fields["smtp_pass"]  # blank: the stored one stays
    body: dict[str, Any] = {"enabled": fields.get("enabled") == "on", "credentials": credentials}
    if not exists:
        body["name"] = "smtp"
    if fields.get("default_from_address", "").strip():
        body["default_from_address"] = fields["default_from_address"].strip()
    return body


def _provider_values(provider: EmailProvider | None) -> dict[str, Any]:
    """What the form shows: never the password, only whether one is stored."""
    if provider is None:
        return {"smtp_host": "", "smtp_port": "587", "smtp_user": "", "default_from_address": ""}
    return {
        "smtp_host": provider.credentials.get("smtp_host", ""),
        "smtp_port": str(provider.credentials.get("smtp_port", "")),
        "smtp_user": provider.credentials.get("smtp_user", ""),
        "default_from_address": provider.default_from_address or "",
    }


async def _current_provider(admin: Admin) -> EmailProvider | None:
    try:
        return await admin.services.email_provider.get()
    except NotFound:
        return None


async def _emails_page(
    request: Request,
    admin: Admin,
    *,
    values: dict[str, Any] | None = None,
    enabled: bool | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
    **context: Any,
) -> Response:
    provider = await _current_provider(admin)
    stored = {}
    for name in TEMPLATE_NAMES:
        template = await admin.services.email_templates.stored(name)
        if template is not None:
            stored[name] = template
    return admin_page(
        request,
        admin,
        "emails/index.html",
        title="Emails",
        status=status,
        provider=provider,
        has_password=bool(provider and provider.secrets.get("smtp_pass")),
        values=values if values is not None else _provider_values(provider),
        enabled=enabled if enabled is not None else (provider.enabled if provider else True),
        errors=errors or {},
        template_names=TEMPLATE_NAMES,
        stored=stored,
        built_in=email_templates.BUILT_IN_NAMES,
        **context,
    )


@router.get("/admin/emails")
async def emails_index(request: Request, admin: Admin = Depends(signed_in)) -> Response:
    notice = "The email provider was saved." if request.query_params.get("saved") else None
    return await _emails_page(request, admin, notice=notice)


@router.post("/admin/emails/provider")
async def save_provider(request: Request, admin: Admin = Depends(signed_in)) -> Response:
    fields = await admin.form(request)
    found = admin.services
    provider = await _current_provider(admin)
    try:
        data = provider_body(fields, provider is not None)
        if provider is None:
            await found.email_provider.create(provider_fields(validate(CreateProvider, data)))
        else:
            await found.email_provider.update(provider_fields(validate(UpdateProvider, data)))
    except SelfauthError as exc:
        kept = {k: fields.get(k, "") for k in PROVIDER_FIELDS if k != "smtp_pass"}
        where = field_of(exc.message, PROVIDER_FIELDS) or "smtp_host"
        return await _emails_page(
            request,
            admin,
            values=kept,
            enabled=fields.get("enabled") == "on",
            errors={where: exc.message},
            status=400,
            problem="The email provider was not saved.",
        )
    return RedirectResponse("/admin/emails?saved=1", status_code=303)


@router.get("/admin/emails/outbox")
async def outbox(request: Request, admin: Admin = Depends(signed_in)) -> Response:
    query = request.query_params
    status = query.get("status") or None
    recipient = (query.get("recipient") or "").strip() or None
    try:
        page = max(0, int(query.get("page", "0")))
    except ValueError:
        page = 0
    problem = None
    mails: list[Any] = []
    total = 0
    try:
        mails, total = await admin.services.mail_outbox.listing(
            status=status,
            recipient=recipient,
            offset=page * OUTBOX_PER_PAGE,
            limit=OUTBOX_PER_PAGE,
        )
    except SelfauthError as exc:
        problem = exc.message
    filters = {k: v for k, v in (("status", status), ("recipient", recipient)) if v}
    return admin_page(
        request,
        admin,
        "emails/outbox.html",
        title="Email outbox",
        status=400 if problem else 200,
        problem=problem,
        mails=mails,
        total=total,
        page=page,
        per_page=OUTBOX_PER_PAGE,
        statuses=STATUSES,
        filters=filters,
    )
