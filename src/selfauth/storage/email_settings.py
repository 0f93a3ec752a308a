"""The email provider (one row, id 1) and the tenant's email templates.

The provider's write-only credentials are sealed (domain/emails/sealing.py) as one JSON object
in `sealed_secrets`; they are opened only here, for the sender and for a PATCH that keeps them.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import orjson
import sqlalchemy as sa

from selfauth.domain.emails.provider import EmailProvider
from selfauth.domain.emails.sealing import Sealer
from selfauth.domain.emails.templates import EmailTemplate
from selfauth.errors import Conflict
from selfauth.storage._rows import from_row, to_values
from selfauth.storage.database import Database
from selfauth.storage.lookup import KeyLookup
from selfauth.storage.tables import email_provider, email_templates

_PROVIDER_ID = 1  # the tenant has one provider
_PURPOSE = "email_provider.sealed_secrets"  # the sealed value's associated data
_PROVIDER = KeyLookup(email_provider, "id")
_TEMPLATE = KeyLookup(email_templates, "template")


class SqlEmailProviderRepository:
    def __init__(self, database: Database, sealer: Sealer) -> None:
        self._db = database
        self._sealer = sealer

    async def get(self) -> EmailProvider | None:
        found = await _PROVIDER.one(self._db, id=_PROVIDER_ID)
        return None if found is None else self._load(found)

    async def insert(self, provider: EmailProvider) -> bool:
        """False when a provider already exists."""
        try:
            async with self._db.write() as conn:
                await conn.execute(email_provider.insert().values(self._values(provider)))
        except sa.exc.IntegrityError:
            return False
        return True

    async def update(
        self, change: Callable[[EmailProvider], EmailProvider]
    ) -> EmailProvider | None:
        """Read-modify-write under the row's lock; None when there is no provider."""
        async with self._db.write() as conn:
            found = await _PROVIDER.locked(conn, id=_PROVIDER_ID)
            if found is None:
                return None
            updated = change(self._load(found))
            values = self._values(updated)
            await conn.execute(
                email_provider.update().where(email_provider.c.id == _PROVIDER_ID).values(values)
            )
        return updated

    async def delete(self) -> None:
        async with self._db.write() as conn:
            await conn.execute(email_provider.delete())

    def _values(self, provider: EmailProvider) -> dict[str, Any]:
        values = to_values(provider, email_provider)
        values["id"] = _PROVIDER_ID
        values["sealed_secrets"] = (
            self._sealer.seal(orjson.dumps(provider.secrets).decode(), _PURPOSE)
            if provider.secrets
            else None
        )
        return values

    def _load(self, row: dict[str, Any]) -> EmailProvider:
        sealed = row.pop("sealed_secrets", None)
        row.pop("id", None)
        secrets = orjson.loads(self._sealer.open(sealed, _PURPOSE)) if sealed else {}
        return EmailProvider(**row, secrets=secrets)


class SqlEmailTemplateRepository:
    def __init__(self, database: Database) -> None:
        self._db = database

    async def get(self, name: str) -> EmailTemplate | None:
        found = await _TEMPLATE.one(self._db, template=name)
        return None if found is None else EmailTemplate(**found)

    async def insert(self, template: EmailTemplate) -> None:
        """Raises `Conflict` when the template is already set."""
        try:
            async with self._db.write() as conn:
                values = to_values(template, email_templates)
                await conn.execute(email_templates.insert().values(values))
        except sa.exc.IntegrityError as exc:
            raise Conflict(f"Template {template.template} already exists.") from exc

    async def update(self, name: str, fields: dict[str, Any]) -> EmailTemplate | None:
        """One UPDATE of the given columns, so concurrent changes of others all stay."""
        statement = (
            email_templates.update()
            .where(email_templates.c.template == name)
            .values(fields)
            .returning(*email_templates.columns)
        )
        async with self._db.write() as conn:
            row = (await conn.execute(statement)).first()
        return None if row is None else from_row(EmailTemplate, row)

    async def replace(self, template: EmailTemplate) -> EmailTemplate:
        """Insert or overwrite every column, keeping the first creation time. Two PUTs of a
        new template at once: the one whose insert loses the race overwrites instead."""
        try:
            return await self._replace(template)
        except sa.exc.IntegrityError:
            return await self._replace(template)

    async def _replace(self, template: EmailTemplate) -> EmailTemplate:
        async with self._db.write() as conn:
            found = await _TEMPLATE.locked(conn, template=template.template)
            if found is None:
                await conn.execute(
                    email_templates.insert().values(to_values(template, email_templates))
                )
                return template
            kept = dataclasses.replace(template, created_at=found["created_at"])
            await conn.execute(
                email_templates.update()
                .where(email_templates.c.template == template.template)
                .values(to_values(kept, email_templates))
            )
        return kept
