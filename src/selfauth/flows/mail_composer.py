"""Turns a template name, a user and a flow's variables into a mail ready for the outbox.

The tenant's template applies where it set one; a property it left unset (body, subject) falls
back to the built-in (domain/emails/defaults.py), so `{"template": "welcome_email", "enabled":
true}` turns on the built-in welcome mail. A tenant body that fails at render time (a limit
reached by some user's data) is logged and the built-in is sent instead: the user still gets
their link. The variables are Auth0's (auth0-behaviour.md §9).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from selfauth.domain.branding.service import BrandingService
from selfauth.domain.clients.model import Client
from selfauth.domain.emails.defaults import BUILT_IN, BuiltIn
from selfauth.domain.emails.liquid import Liquid, RenderError
from selfauth.domain.emails.message import OutgoingMail
from selfauth.domain.emails.provider import EmailProviderService
from selfauth.domain.emails.templates import EmailTemplate, EmailTemplateService
from selfauth.domain.emails.text import html_to_text
from selfauth.domain.users.model import User

log = logging.getLogger("selfauth.emails")

# Off until the tenant enables them, as in Auth0 (the welcome mail is an opt-in).
OFF_BY_DEFAULT = frozenset({"welcome_email"})
_USER_ROOT = (
    "user_id",
    "email",
    "email_verified",
    "username",
    "phone_number",
    "phone_verified",
    "name",
    "given_name",
    "family_name",
    "nickname",
    "picture",
    "created_at",
    "updated_at",
    "last_login",
    "logins_count",
    "user_metadata",
    "app_metadata",
)
_MAX_SUBJECT = 255


@dataclass(frozen=True)
class Tenant:
    """The tenant's settings templates read (`tenant`, `friendly_name`, ...) and the From
    address of last resort."""

    name: str
    friendly_name: str
    support_email: str | None
    support_url: str | None
    from_address: str


class MailComposer:
    def __init__(
        self,
        templates: EmailTemplateService,
        provider: EmailProviderService,
        liquid: Liquid,
        tenant: Tenant,
        branding: BrandingService | None = None,
    ) -> None:
        self._templates = templates
        self._provider = provider
        self._liquid = liquid
        self._tenant = tenant
        self._branding = branding

    async def compose(
        self,
        template_name: str,
        *,
        user: User,
        variables: dict[str, Any],
        client: Client | None = None,
        connection_name: str | None = None,
    ) -> OutgoingMail | None:
        """None when the template is disabled or the user has no email. `variables` are the
        flow's (`url`, `code`, `request_language`, ...); a `user` mapping in them adds to the
        user object (`source_ip`, `city`, `country` for blocked_account)."""
        if not user.email:
            return None
        stored = await self._templates.stored(template_name)
        if stored is None and template_name in OFF_BY_DEFAULT:
            return None
        if stored is not None and not stored.enabled:
            return None
        built_in = BUILT_IN.get(template_name)
        if built_in is None and (stored is None or stored.body is None):
            log.warning("no template to send %s with", template_name)
            return None
        values = self.variables(user, variables, client, connection_name)
        values.setdefault("branding", await self._branding_values())
        html, text = self._bodies(template_name, stored, built_in, values)
        return OutgoingMail(
            template=template_name,
            recipient=user.email,
            from_address=await self._from_address(stored, values),
            subject=self._subject(template_name, stored, built_in, values),
            html=html,
            text=text,
            user_id=user.user_id,
        )

    async def _branding_values(self) -> dict[str, Any]:
        """Auth0's `branding` variable: the tenant's `logo_url` and `colors` (`primary`,
        `page_background`) as set with /api/v2/branding; `{}` when unset or unreadable."""
        if self._branding is None:
            return {}
        try:
            settings = (await self._branding.for_pages()).settings
        except Exception:
            log.exception("the branding could not be read for a mail")
            return {}
        return {k: settings[k] for k in ("logo_url", "colors") if k in settings}

    def variables(
        self,
        user: User,
        variables: dict[str, Any],
        client: Client | None,
        connection_name: str | None,
    ) -> dict[str, Any]:
        extra = variables.get("user")
        user_values = {key: _plain(getattr(user, key)) for key in _USER_ROOT}
        if isinstance(extra, dict):
            user_values.update(extra)
        tenant = self._tenant
        values: dict[str, Any] = {
            "tenant": tenant.name,
            "friendly_name": tenant.friendly_name,
            "support_email": tenant.support_email or "",
            "support_url": tenant.support_url or "",
            "request_language": "",
            "connection": {"name": connection_name or ""},
            **{k: v for k, v in variables.items() if k != "user"},
            "user": user_values,
        }
        if client is not None:
            application = application_values(client)
            values["application"] = application
            values["client"] = application
        return values

    def _bodies(
        self,
        name: str,
        stored: EmailTemplate | None,
        built_in: BuiltIn | None,
        values: dict[str, Any],
    ) -> tuple[str, str]:
        if stored is not None and stored.body is not None:
            try:
                html = self._liquid.render_html(stored.body, values)
                return html, html_to_text(html)
            except RenderError as exc:
                if built_in is None:
                    raise
                log.error("the %s template failed to render (%s); sent the built-in", name, exc)
        assert built_in is not None
        return (
            self._liquid.render_html(built_in.html, values),
            self._liquid.render_text(built_in.text, values),
        )

    def _subject(
        self,
        name: str,
        stored: EmailTemplate | None,
        built_in: BuiltIn | None,
        values: dict[str, Any],
    ) -> str:
        fallback = built_in.subject if built_in else name
        source = (stored.subject if stored else None) or fallback
        try:
            subject = self._liquid.render_text(source, values)
        except RenderError as exc:
            log.error("the %s subject failed to render (%s); sent the built-in", name, exc)
            subject = self._liquid.render_text(fallback, values) if built_in else name
        return _one_line(subject)[:_MAX_SUBJECT]

    async def _from_address(self, stored: EmailTemplate | None, values: dict[str, Any]) -> str:
        if stored is not None and stored.from_address:
            try:
                return _one_line(self._liquid.render_text(stored.from_address, values))
            except RenderError as exc:
                log.error("a template's from failed to render (%s); used the default", exc)
        settings = await self._provider.for_sending()
        if settings is not None and settings.from_address:
            return settings.from_address
        return self._tenant.from_address


def application_values(client: Client) -> dict[str, Any]:
    """`application` (and its alias `client`): Auth0's four properties."""
    callback = client.callbacks[0] if client.callbacks else ""
    return {
        "name": client.name,
        "clientID": client.client_id,
        "client_metadata": dict(client.client_metadata),
        "callback_domain": urlsplit(callback).hostname or "",
    }


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def _one_line(text: str) -> str:
    """A header value: no line breaks (they would start another header), spaces collapsed."""
    return re.sub(r"\s+", " ", text).strip()
