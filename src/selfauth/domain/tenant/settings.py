"""`/api/v2/tenants/settings`, as far as selfauth acts on it.

`enabled_locales` (Auth0's language codes, the first being the tenant's default language) is
stored and decides the login pages' language when neither the request nor the user names one
(web/pages/locale.py). `friendly_name`, `support_email` and `support_url` are answered from
the server's settings (`SELFAUTH_TENANT_*`, which the emails use), so the two never disagree;
a PATCH of them, or of any setting selfauth does not act on, is refused with a message saying
so, never stored with no effect."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from selfauth.domain.branding.validation import LANGUAGES
from selfauth.domain.clock import Clock
from selfauth.errors import InvalidBody

# Auth0's other settings that selfauth answers but takes from its own configuration.
FROM_CONFIGURATION = {
    "friendly_name": "SELFAUTH_TENANT_FRIENDLY_NAME",
    "support_email": "SELFAUTH_TENANT_SUPPORT_EMAIL",
    "support_url": "SELFAUTH_TENANT_SUPPORT_URL",
}


@dataclass(frozen=True)
class TenantSettings:
    updated_at: datetime
    settings: dict[str, Any] = field(default_factory=dict)


class TenantSettingsRepository(Protocol):
    async def get(self) -> TenantSettings | None: ...
    async def change(
        self, change: Callable[[TenantSettings | None], TenantSettings]
    ) -> TenantSettings: ...


@dataclass(frozen=True)
class Configured:
    """What the server's settings say of the tenant (answered, not stored)."""

    friendly_name: str | None = None
    support_email: str | None = None
    support_url: str | None = None


def _bad(message: str, prop: str) -> InvalidBody:
    return InvalidBody(f"Payload validation error: '{message}' on property {prop}.")


def check_enabled_locales(value: Any) -> list[str]:
    """A non-empty list of distinct Auth0 language codes."""
    if not isinstance(value, list) or not value:
        raise _bad("Expected a non-empty array of language codes", "enabled_locales")
    seen: list[str] = []
    for item in value:
        if not isinstance(item, str) or item not in LANGUAGES:
            raise _bad(f"{item!r} is not a language Auth0 knows", "enabled_locales")
        if item in seen:
            raise _bad(f"{item} is listed twice", "enabled_locales")
        seen.append(item)
    return seen


def check_patch(patch: dict[str, Any]) -> dict[str, Any]:
    checked: dict[str, Any] = {}
    for name, value in patch.items():
        if name == "enabled_locales":
            checked[name] = check_enabled_locales(value)
        elif name in FROM_CONFIGURATION:
            raise InvalidBody(
                f"selfauth takes {name} from its configuration ({FROM_CONFIGURATION[name]}), "
                "so the emails and this answer agree; it cannot be set here."
            )
        else:
            raise InvalidBody(
                f"selfauth does not support the tenant setting {name} yet: only "
                "enabled_locales can be set."
            )
    return checked


class TenantSettingsService:
    def __init__(
        self, repository: TenantSettingsRepository, configured: Configured, clock: Clock
    ) -> None:
        self._repository = repository
        self._configured = configured
        self._clock = clock
        self._locales: list[str] = []

    async def settings(self) -> dict[str, Any]:
        """GET: the stored settings and those the configuration gives."""
        found = await self._repository.get()
        answer: dict[str, Any] = {
            name: value
            for name, value in dataclasses.asdict(self._configured).items()
            if value is not None
        }
        if found is not None:
            answer |= found.settings
        return answer

    async def update(self, patch: dict[str, Any]) -> dict[str, Any]:
        checked = check_patch(patch)

        def change(found: TenantSettings | None) -> TenantSettings:
            stored = found.settings if found is not None else {}
            return TenantSettings(updated_at=self._clock(), settings={**stored, **checked})

        stored = await self._repository.change(change)
        self._locales = list(stored.settings.get("enabled_locales", []))
        return await self.settings()

    async def load(self) -> None:
        """Read the stored locales into memory (at start): the pages read them on every
        request, synchronously (`enabled_locales_now`)."""
        found = await self._repository.get()
        self._locales = list(found.settings.get("enabled_locales", [])) if found else []

    def enabled_locales_now(self) -> list[str]:
        """The locales as this process last stored or loaded them."""
        return self._locales
