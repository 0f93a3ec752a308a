"""The database as the commands that work on it directly (`selfauth users`, `selfauth admins`)
open it: migrated, and given the first-start records only when it is empty. A tenant that
exists is left as its server configured it: these commands know no issuer, and the bootstrap
would move the Management API's audience and the dashboard's callback to the default one."""

from __future__ import annotations

from rich.console import Console

from selfauth.config import Settings
from selfauth.domain.clock import utc_now
from selfauth.storage.connections import SqlConnectionRepository
from selfauth.storage.database import Database
from selfauth.storage.migrate import upgrade


async def open_tenant(settings: Settings, err: Console) -> Database:
    from selfauth.app import prepare

    database = Database(settings.database, connections=settings.database_connections)
    await upgrade(database)
    if not await SqlConnectionRepository(database).list():
        result = await prepare(database, settings, utc_now)
        if result.new_secret is not None:
            err.print(f"selfauth: created the admin client {result.client_id}: {result.new_secret}")
    return database
