"""Resource servers (APIs)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import sqlalchemy as sa

from selfauth.domain.changes import CLIENTS
from selfauth.domain.resource_servers.model import ResourceServer
from selfauth.errors import Conflict
from selfauth.storage._rows import from_row, rewrite_locked, to_values
from selfauth.storage.changes import announce
from selfauth.storage.database import Database
from selfauth.storage.hot_records import HotRecords, NoRecords
from selfauth.storage.lookup import KeyLookup
from selfauth.storage.tables import resource_servers

_BY_ID = KeyLookup(resource_servers, "id")
_BY_IDENTIFIER = KeyLookup(resource_servers, "identifier")


def _identifier_taken() -> Conflict:
    return Conflict(
        "A resource server with the same identifier already exists.",
        error_code="resource_server_conflict",
    )


class SqlResourceServerRepository:
    def __init__(self, database: Database, hot: HotRecords | None = None) -> None:
        """`hot`: shared with the clients' repositories (storage/hot_records.py); a change
        here announces the `clients` topic, which covers what the token path keeps."""
        self._db = database
        self._hot = hot or NoRecords()

    async def list(self, identifiers: Sequence[str] | None = None) -> list[ResourceServer]:
        query = resource_servers.select().order_by(
            resource_servers.c.is_system.desc(),
            resource_servers.c.created_at,
            resource_servers.c.id,
        )
        if identifiers is not None:
            query = query.where(resource_servers.c.identifier.in_(identifiers))
        async with self._db.read() as conn:
            rows = (await conn.execute(query)).all()
        return [from_row(ResourceServer, row) for row in rows]

    async def get(self, id_or_identifier: str) -> ResourceServer | None:
        """Auth0 accepts either the id or the identifier in the path."""
        query = resource_servers.select().where(
            sa.or_(
                resource_servers.c.id == id_or_identifier,
                resource_servers.c.identifier == id_or_identifier,
            )
        )
        async with self._db.read() as conn:
            row = (await conn.execute(query)).first()
        return None if row is None else from_row(ResourceServer, row)

    async def by_identifier(self, identifier: str) -> ResourceServer | None:
        async def read() -> ResourceServer | None:
            found = await _BY_IDENTIFIER.one(self._db, identifier=identifier)
            return None if found is None else ResourceServer(**found)

        return await self._hot.get(("api", identifier), read)

    async def insert(self, server: ResourceServer) -> None:
        try:
            async with self._db.write() as conn:
                values = to_values(server, resource_servers)
                await conn.execute(resource_servers.insert().values(values))
                await announce(conn, CLIENTS)
        except sa.exc.IntegrityError as exc:
            raise _identifier_taken() from exc
        self._hot.clear()

    async def update(
        self, server_id: str, change: Callable[[ResourceServer], ResourceServer]
    ) -> ResourceServer | None:
        """Read-modify-write on the locked row (None: no such API), so concurrent changes of
        different properties never lose one another's."""
        try:
            async with self._db.write() as conn:
                found = await rewrite_locked(conn, _BY_ID, ResourceServer, change, id=server_id)
                if found is None:
                    return None
                await announce(conn, CLIENTS)
        except sa.exc.IntegrityError as exc:
            raise _identifier_taken() from exc
        self._hot.clear()
        return found[1]

    async def delete(self, server_id: str) -> bool:
        async with self._db.write() as conn:
            result = await conn.execute(
                resource_servers.delete().where(resource_servers.c.id == server_id)
            )
            await announce(conn, CLIENTS)
        self._hot.clear()  # and the grants for it (the foreign key's cascade)
        return bool(result.rowcount)  # type: ignore[attr-defined]
