"""The tenant's email provider (`/api/v2/emails/provider`, auth0-behaviour.md §9.1) and the
SMTP settings the sender reads from it.

selfauth sends over SMTP only, so `name` must be `smtp`. The password (`smtp_pass`) is
write-only: it is kept sealed (sealing.py) in `secrets`, never in a view.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Literal, Protocol

from selfauth.domain.clock import Clock
from selfauth.errors import Conflict, InvalidBody, NotFound

TlsMode = Literal["starttls", "implicit", "none"]
TLS_MODES: tuple[TlsMode, ...] = ("starttls", "implicit", "none")
# Credentials a view may show (Auth0 never reads back a secret); the rest are write-only.
PUBLIC_CREDENTIALS = ("smtp_host", "smtp_port", "smtp_user", "api_user", "region")
SECRET_CREDENTIALS = ("smtp_pass",)
IMPLICIT_TLS_PORT = 465  # SMTPS; any other port is plain SMTP upgraded with STARTTLS


@dataclass(frozen=True)
class EmailProvider:
    name: str
    enabled: bool
    created_at: datetime
    updated_at: datetime
    credentials: dict[str, Any] = field(default_factory=dict)
    secrets: dict[str, str] = field(default_factory=dict, repr=False)
    default_from_address: str | None = None
    settings: dict[str, Any] | None = None


@dataclass(frozen=True)
class SmtpSettings:
    """What the sender needs to deliver a mail."""

    host: str
    port: int
    user: str | None
    password: str | None = field(repr=False)
    from_address: str | None  # the provider's default_from_address
    tls: TlsMode


def smtp_settings(provider: EmailProvider) -> SmtpSettings:
    """`settings.tls` (our addition) picks the TLS mode; otherwise port 465 is implicit TLS and
    any other port STARTTLS."""
    port = int(provider.credentials.get("smtp_port", 587))
    chosen = (provider.settings or {}).get("tls")
    tls: TlsMode = "implicit" if port == IMPLICIT_TLS_PORT else "starttls"
    for mode in TLS_MODES:
        if chosen == mode:
            tls = mode
    return SmtpSettings(
        host=str(provider.credentials.get("smtp_host", "")),
        port=port,
        user=provider.credentials.get("smtp_user") or None,
        password=provider.secrets.get("smtp_pass") or None,
        from_address=provider.default_from_address,
        tls=tls,
    )


def provider_view(provider: EmailProvider) -> dict[str, Any]:
    """Every readable property; a GET without `fields` shows only `name` and `enabled`."""
    view: dict[str, Any] = {
        "name": provider.name,
        "enabled": provider.enabled,
        "credentials": {k: v for k, v in provider.credentials.items() if k in PUBLIC_CREDENTIALS},
    }
    if provider.default_from_address is not None:
        view["default_from_address"] = provider.default_from_address
    if provider.settings is not None:
        view["settings"] = provider.settings
    return view


def inexistent_provider() -> NotFound:
    return NotFound(
        "There is not a configured email provider", error_code="inexistent_email_provider"
    )


class EmailProviderStore(Protocol):
    async def get(self) -> EmailProvider | None: ...
    async def insert(self, provider: EmailProvider) -> bool: ...
    async def update(self, change: Any) -> EmailProvider | None: ...
    async def delete(self) -> None: ...


class EmailProviderService:
    """`fields` are the body's properties as sent (`credentials` with `smtp_pass` in it)."""

    def __init__(self, store: EmailProviderStore, clock: Clock) -> None:
        self._store = store
        self._clock = clock

    async def get(self) -> EmailProvider:
        found = await self._store.get()
        if found is None:
            raise inexistent_provider()
        return found

    async def create(self, fields: dict[str, Any]) -> EmailProvider:
        _check_name(fields["name"])
        credentials = dict(fields["credentials"])
        _check_credentials(credentials)
        now = self._clock()
        provider = EmailProvider(
            name=fields["name"],
            enabled=fields.get("enabled", True),
            created_at=now,
            updated_at=now,
            credentials=_public(credentials),
            secrets=_secret(credentials),
            default_from_address=fields.get("default_from_address"),
            settings=fields.get("settings"),
        )
        if not await self._store.insert(provider):
            raise Conflict("There is already a configured email provider.")
        return provider

    async def update(self, fields: dict[str, Any]) -> EmailProvider:
        """New `credentials` replace the readable ones; the password stays unless one is sent."""
        if "name" in fields:
            _check_name(fields["name"])
        now = self._clock()

        def change(current: EmailProvider) -> EmailProvider:
            values: dict[str, Any] = {"updated_at": now}
            for key in ("name", "enabled", "default_from_address", "settings"):
                if key in fields:
                    values[key] = fields[key]
            if "credentials" in fields:
                credentials = dict(fields["credentials"])
                _check_credentials(credentials)
                values["credentials"] = _public(credentials)
                values["secrets"] = {**current.secrets, **_secret(credentials)}
            return replace(current, **values)

        updated = await self._store.update(change)
        if updated is None:
            raise inexistent_provider()
        return updated

    async def delete(self) -> None:
        await self._store.delete()

    async def for_sending(self) -> SmtpSettings | None:
        """The SMTP settings, or None when no provider is set or it is disabled."""
        found = await self._store.get()
        if found is None or not found.enabled:
            return None
        return smtp_settings(found)


def _check_name(name: str) -> None:
    if name != "smtp":
        raise InvalidBody(
            f"Payload validation error: 'No enum match for: {name}' on property name "
            "(selfauth sends over SMTP only: use smtp)."
        )


def _check_credentials(credentials: dict[str, Any]) -> None:
    for required in ("smtp_host", "smtp_port"):
        if required not in credentials:
            raise InvalidBody(
                f"Payload validation error: 'Missing required property: {required}' "
                "on property credentials."
            )


def _public(credentials: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in credentials.items() if k not in SECRET_CREDENTIALS}


def _secret(credentials: dict[str, Any]) -> dict[str, str]:
    return {k: v for k, v in credentials.items() if k in SECRET_CREDENTIALS}
