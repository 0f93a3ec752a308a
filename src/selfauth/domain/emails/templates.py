"""Email templates: Auth0's names, a tenant's stored template, its wire view, and the rules of
`/api/v2/email-templates` (auth0-behaviour.md §9 and §9.1)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from selfauth.domain.clock import Clock
from selfauth.domain.emails.liquid import Liquid
from selfauth.errors import Conflict, InvalidBody, NotFound, SelfauthError

# Auth0's `EmailTemplateNameEnum`, in its order. Every one can be stored; the flows send those
# that have a built-in default (defaults.py).
TEMPLATE_NAMES = (
    "verify_email",
    "verify_email_by_code",
    "auth_email_by_code",
    "reset_email",
    "reset_email_by_code",
    "welcome_email",
    "blocked_account",
    "stolen_credentials",
    "enrollment_email",
    "mfa_oob_code",
    "user_invitation",
    "change_password",
    "password_reset",
    "async_approval",
)
DEFAULT_URL_LIFETIME_SECONDS = 432_000  # 5 days, Auth0's default for a link
# Wire name -> column, for the properties a body may set.
WIRE_TO_COLUMN = {
    "body": "body",
    "from": "from_address",
    "subject": "subject",
    "resultUrl": "result_url",
    "syntax": "syntax",
    "urlLifetimeInSeconds": "url_lifetime_in_seconds",
    "includeEmailInRedirect": "include_email_in_redirect",
    "enabled": "enabled",
}


@dataclass(frozen=True)
class EmailTemplate:
    """A template a tenant set; a property never set is None and left out of its view."""

    template: str
    created_at: datetime
    updated_at: datetime
    body: str | None = None
    from_address: str | None = None
    subject: str | None = None
    result_url: str | None = None
    syntax: str = "liquid"
    url_lifetime_in_seconds: int | None = None
    include_email_in_redirect: bool = True
    enabled: bool = True

    @property
    def url_lifetime(self) -> int:
        """Seconds a link in this mail works: the template's, else Auth0's 5 days."""
        return self.url_lifetime_in_seconds or DEFAULT_URL_LIFETIME_SECONDS


class InvalidTemplateName(SelfauthError):
    status_code = 400
    error_code = "invalid_uri"


def check_template_name(name: str) -> str:
    if name not in TEMPLATE_NAMES:
        raise InvalidTemplateName(
            f"Path validation error: 'No enum match for: {name}' on property templateName."
        )
    return name


def inexistent_template(name: str) -> NotFound:
    return NotFound(f"The template does not exist: {name}.", error_code="inexistent_template")


def template_view(template: EmailTemplate) -> dict[str, Any]:
    """The wire object: Auth0's camelCase names, keys never set omitted."""
    view: dict[str, Any] = {"template": template.template}
    for wire, column in WIRE_TO_COLUMN.items():
        value = getattr(template, column)
        if value is not None:
            view[wire] = value
    return view


class EmailTemplateStore(Protocol):
    async def get(self, name: str) -> EmailTemplate | None: ...
    async def insert(self, template: EmailTemplate) -> None: ...
    async def update(self, name: str, fields: dict[str, Any]) -> EmailTemplate | None: ...
    async def replace(self, template: EmailTemplate) -> EmailTemplate: ...


class EmailTemplateService:
    """Bodies, subjects and From addresses are Liquid, checked before they are stored;
    `fields` use the model's column names (`from_address`, `result_url`, ...)."""

    def __init__(self, store: EmailTemplateStore, liquid: Liquid, clock: Clock) -> None:
        self._store = store
        self._liquid = liquid
        self._clock = clock

    async def get(self, name: str) -> EmailTemplate:
        found = await self._store.get(check_template_name(name))
        if found is None:
            raise inexistent_template(name)
        return found

    async def stored(self, name: str) -> EmailTemplate | None:
        """The tenant's template, or None when it never set one (the built-in applies)."""
        return await self._store.get(name)

    async def create(self, name: str, fields: dict[str, Any]) -> EmailTemplate:
        check_template_name(name)
        self._check(fields)
        now = self._clock()
        template = EmailTemplate(template=name, created_at=now, updated_at=now, **fields)
        try:
            await self._store.insert(template)
        except Conflict:
            raise Conflict(f"Template {name} already exists.") from None
        return template

    async def update(self, name: str, url_name: str, fields: dict[str, Any]) -> EmailTemplate:
        """PATCH: the given properties change, the others stay."""
        _check_same_name(name, url_name)
        self._check(fields)
        updated = await self._store.update(name, {**fields, "updated_at": self._clock()})
        if updated is None:
            raise inexistent_template(name)
        return updated

    async def replace(self, name: str, url_name: str, fields: dict[str, Any]) -> EmailTemplate:
        """PUT: the template becomes what the body says (unsent properties are unset), made
        if the tenant never set it."""
        _check_same_name(name, url_name)
        self._check(fields)
        now = self._clock()
        existing = await self._store.get(name)
        created = existing.created_at if existing is not None else now
        template = EmailTemplate(template=name, created_at=created, updated_at=now, **fields)
        return await self._store.replace(template)

    def _check(self, fields: dict[str, Any]) -> None:
        for prop, column in (("body", "body"), ("subject", "subject"), ("from", "from_address")):
            source = fields.get(column)
            if source is not None:
                self._liquid.check(source, prop)


def _check_same_name(name: str, url_name: str) -> None:
    check_template_name(url_name)
    if name != url_name:
        raise InvalidBody(
            f"The template name in the body ({name}) does not match the one in the URL "
            f"({url_name})."
        )
