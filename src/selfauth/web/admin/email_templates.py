"""A template's page (/admin/emails/templates/{name}): edit it and preview it for a user.

Saving is PUT /api/v2/email-templates/{name}'s: the form is the whole template, validated by
the API's TemplateBody and stored by EmailTemplateService.replace (Liquid checked before it is
stored; a field left blank is unset, so the built-in subject or body applies).

The preview is the mail the sender would queue for that user now: the composer the flows use
renders the saved template with the user's profile and metadata (so `user.user_metadata.lang`
takes effect), a sample link for `url`. Nothing is sent.

The mail's HTML is shown in an iframe with `sandbox=""` whose document is served by
/admin/emails/templates/{name}/preview with a policy of its own: `sandbox` (an opaque origin
and no script even when opened on its own), no script, connection, form or frame source, only
inline styles and https/data images, framed by this origin only. Not `srcdoc`: a srcdoc
document inherits the dashboard's policy, which refuses the inline `style=` attributes mails
are written with (the built-in ones too), so the preview would be unstyled and every preview
would log CSP refusals. The template page alone adds `frame-src 'self'` to its policy."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from markupsafe import escape
from starlette.responses import HTMLResponse, RedirectResponse, Response

from selfauth.domain.emails.defaults import BUILT_IN
from selfauth.domain.emails.liquid import RenderError
from selfauth.domain.emails.message import OutgoingMail
from selfauth.domain.emails.templates import EmailTemplate, check_template_name
from selfauth.domain.users.model import User
from selfauth.errors import SelfauthError
from selfauth.web.admin.page import admin_page
from selfauth.web.admin.render import HEADERS, POLICY
from selfauth.web.admin.session import Admin, signed_in
from selfauth.web.body import validate
from selfauth.web.management.emails import TemplateBody, template_fields

router = APIRouter(include_in_schema=False)

BUILT_IN_NAMES = frozenset(BUILT_IN)
# The form's fields, by the API's wire names.
TEXT_FIELDS = ("subject", "from", "resultUrl", "urlLifetimeInSeconds", "body")
FLAGS = ("enabled", "includeEmailInRedirect")
SAMPLE_LINK = "https://example.invalid/a-sample-link-the-preview-shows"
# The template page frames its preview (same origin); nothing else changes in its policy.
PAGE_POLICY = POLICY.replace("default-src 'none';", "default-src 'none'; frame-src 'self';")
# The preview document's own: a sandboxed mail, styled inline as mails are, nothing active.
PREVIEW_POLICY = (
    "sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src https: data:; "
    "form-action 'none'; frame-ancestors 'self'; base-uri 'none'"
)


def template_body(fields: dict[str, str]) -> dict[str, Any]:
    """The JSON body PUT /api/v2/email-templates/{name} would carry for this form: blank
    fields are left out (unset), the lifetime a number when it reads as one."""
    body: dict[str, Any] = {"syntax": "liquid"}
    for name in TEXT_FIELDS:
        value = fields.get(name, "")
        if name != "body":
            value = value.strip()
        if value == "":
            continue
        if name == "urlLifetimeInSeconds":
            body[name] = int(value) if value.isdigit() else value
        else:
            body[name] = value
    for flag in FLAGS:
        body[flag] = fields.get(flag) == "on"
    return body


def _values(template: EmailTemplate | None) -> dict[str, Any]:
    if template is None:
        return {name: "" for name in TEXT_FIELDS} | {
            "enabled": True,
            "includeEmailInRedirect": True,
        }
    lifetime = template.url_lifetime_in_seconds
    return {
        "subject": template.subject or "",
        "from": template.from_address or "",
        "resultUrl": template.result_url or "",
        "urlLifetimeInSeconds": "" if lifetime is None else str(lifetime),
        "body": template.body or "",
        "enabled": template.enabled,
        "includeEmailInRedirect": template.include_email_in_redirect,
    }


async def _preview(admin: Admin, name: str, who: str) -> tuple[dict[str, Any], str | None]:
    """The preview's facts (the user chosen, the mail or why there is none) for `who`, an
    email address or a user id."""
    found = admin.services
    users: list[User] = []
    if "@" in who:
        users = await found.users.by_email(who.strip().lower())
    else:
        user = await found.users.get_or_none(who.strip())
        users = [user] if user is not None else []
    if not users:
        return {}, f"No user has the email address or id {who}."
    user = users[0]
    connection = await found.connections.get(user.connection_id)
    try:
        mail: OutgoingMail | None = await found.account_mails.composer.compose(
            name,
            user=user,
            variables={"url": SAMPLE_LINK},
            connection_name=connection.name if connection else None,
        )
    except RenderError as exc:
        return {"user": user, "others": users[1:]}, f"The template failed to render: {exc}"
    return {"user": user, "others": users[1:], "mail": mail}, None


async def _template_page(
    request: Request,
    admin: Admin,
    name: str,
    *,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
    **context: Any,
) -> Response:
    stored = await admin.services.email_templates.stored(name)
    who = (request.query_params.get("preview") or "").strip()
    preview: dict[str, Any] = {}
    preview_problem = None
    if who:
        preview, preview_problem = await _preview(admin, name, who)
    page = admin_page(
        request,
        admin,
        "emails/template.html",
        title=name,
        status=status,
        name=name,
        stored=stored,
        has_built_in=name in BUILT_IN_NAMES,
        values=values if values is not None else _values(stored),
        errors=errors or {},
        who=who,
        preview=preview,
        preview_problem=preview_problem,
        sample_link=SAMPLE_LINK,
        **context,
    )
    page.headers["Content-Security-Policy"] = PAGE_POLICY
    return page


@router.get("/admin/emails/templates/{name}")
async def template_page(name: str, request: Request, admin: Admin = Depends(signed_in)) -> Response:
    check_template_name(name)  # 400 for a name Auth0 does not have
    notice = "The template was saved." if request.query_params.get("saved") else None
    return await _template_page(request, admin, name, notice=notice)


@router.post("/admin/emails/templates/{name}")
async def save_template(name: str, request: Request, admin: Admin = Depends(signed_in)) -> Response:
    fields = await admin.form(request)
    check_template_name(name)
    try:
        body = validate(TemplateBody, template_body(fields))
        await admin.services.email_templates.replace(name, name, template_fields(body))
    except SelfauthError as exc:
        where = _field_of(exc.message)
        kept: dict[str, Any] = {k: fields.get(k, "") for k in TEXT_FIELDS}
        kept |= {flag: fields.get(flag) == "on" for flag in FLAGS}
        return await _template_page(
            request,
            admin,
            name,
            values=kept,
            errors={where: exc.message},
            status=400,
            problem="The template was not saved.",
        )
    back = {"saved": "1"}
    if fields.get("preview", "").strip():
        back["preview"] = fields["preview"].strip()  # the preview shown when it was saved
    return RedirectResponse(f"/admin/emails/templates/{name}?{urlencode(back)}", status_code=303)


def _field_of(message: str) -> str:
    """The form field an error names ('on property subject', Liquid's 'in body'...)."""
    for name in ("urlLifetimeInSeconds", "resultUrl", "subject", "from"):
        if name in message:
            return name
    return "body"


@router.get("/admin/emails/templates/{name}/preview")
async def preview_document(
    name: str, request: Request, admin: Admin = Depends(signed_in)
) -> Response:
    """The mail's HTML part for the template page's iframe (see the module's note)."""
    check_template_name(name)
    who = (request.query_params.get("user") or "").strip()
    found, problem = await _preview(admin, name, who) if who else ({}, "No user was chosen.")
    mail = found.get("mail")
    headers = {
        **HEADERS,
        "Content-Security-Policy": PREVIEW_POLICY,
        "X-Frame-Options": "SAMEORIGIN",
    }
    if mail is None:
        text = problem or "The template is disabled: nothing would be sent."
        return HTMLResponse(
            f"<!doctype html><p>{escape(text)}</p>", status_code=404, headers=headers
        )
    return HTMLResponse(mail.html, headers=headers)
