"""The tenant's settings (one row, id 1), changed under the row's lock."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa

from selfauth.domain.changes import TENANT_SETTINGS
from selfauth.domain.tenant.settings import TenantSettings
from selfauth.storage.changes import announce
from selfauth.storage.database import Database
from selfauth.storage.lookup import KeyLookup
from selfauth.storage.tables import tenant_settings

_ID = 1
_ROW = KeyLookup(tenant_settings, "id")


def _settings(row: dict[str, Any]) -> TenantSettings:
    return TenantSettings(updated_at=row["updated_at"], settings=row["settings"])


class SqlTenantSettingsRepository:
    def __init__(self, database: Database) -> None:
        self._db = database

    async def get(self) -> TenantSettings | None:
        found = await _ROW.one(self._db, id=_ID)
        return None if found is None else _settings(found)

    async def change(
        self, change: Callable[[TenantSettings | None], TenantSettings]
    ) -> TenantSettings:
        """Two first writes at once: the one whose insert loses runs again on the other's row."""
        try:
            return await self._change(change)
        except sa.exc.IntegrityError:
            return await self._change(change)

    async def _change(
        self, change: Callable[[TenantSettings | None], TenantSettings]
    ) -> TenantSettings:
        async with self._db.write() as conn:
            found = await _ROW.locked(conn, id=_ID)
            updated = change(None if found is None else _settings(found))
            values = {"settings": updated.settings, "updated_at": updated.updated_at}
            if found is None:
                await conn.execute(tenant_settings.insert().values(id=_ID, **values))
            else:
                await conn.execute(
                    tenant_settings.update().where(tenant_settings.c.id == _ID).values(values)
                )
            await announce(conn, TENANT_SETTINGS)
        return updated
