"""Connections and the clients enabled on them."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa

from selfauth.domain.connections.model import Connection
from selfauth.errors import Conflict, InvalidBody
from selfauth.storage._rows import from_row, to_values
from selfauth.storage.database import Conn, Database
from selfauth.storage.lookup import KeyLookup
from selfauth.storage.metadata_schemas import delete_for_connection
from selfauth.storage.tables import clients, connection_clients, connections

_BY_ID = KeyLookup(connections, "id")
_BY_NAME = KeyLookup(connections, "name")
_ENABLED_CLIENTS = KeyLookup(
    connection_clients, "connection_id", columns=("client_id",), order_by="client_id"
)


def _name_taken(name: str) -> Conflict:
    return Conflict(
        f"A connection with the same name already exists ({name}).",
        error_code="connection_conflict",
    )


class SqlConnectionRepository:
    def __init__(self, database: Database) -> None:
        self._db = database

    async def _load(
        self, conn: Conn, where: sa.ColumnElement[bool] | None = None
    ) -> list[Connection]:
        query = connections.select().order_by(connections.c.name)
        if where is not None:
            query = query.where(where)
        rows = (await conn.execute(query)).all()
        if not rows:
            return []
        ids = [row.id for row in rows]
        links = await conn.execute(
            sa.select(connection_clients.c.connection_id, connection_clients.c.client_id)
            .where(connection_clients.c.connection_id.in_(ids))
            .order_by(connection_clients.c.client_id)
        )
        enabled: dict[str, list[str]] = defaultdict(list)
        for link in links:
            enabled[link.connection_id].append(link.client_id)
        return [from_row(Connection, row, enabled_clients=enabled[row.id]) for row in rows]

    async def list(self) -> list[Connection]:
        async with self._db.read() as conn:
            return await self._load(conn)

    async def get(self, connection_id: str) -> Connection | None:
        return await self._with_clients(await _BY_ID.one(self._db, id=connection_id))

    async def get_by_name(self, name: str) -> Connection | None:
        return await self._with_clients(await _BY_NAME.one(self._db, name=name))

    async def _with_clients(self, found: dict[str, Any] | None) -> Connection | None:
        if found is None:
            return None
        links = await _ENABLED_CLIENTS.all(self._db, connection_id=found["id"])
        return Connection(**found, enabled_clients=[link["client_id"] for link in links])

    async def insert(self, connection: Connection) -> None:
        """A connection and its enabled clients, in one transaction."""
        try:
            async with self._db.write() as conn:
                await conn.execute(connections.insert().values(to_values(connection, connections)))
                await _replace_enabled_clients(conn, connection)
        except sa.exc.IntegrityError as exc:
            raise _name_taken(connection.name) from exc

    async def update(
        self, connection_id: str, change: Callable[[Connection], Connection]
    ) -> Connection | None:
        """Read-modify-write on the locked row (None: no such connection), its enabled
        clients included, so concurrent changes never lose one another's."""
        try:
            async with self._db.write() as conn:
                current = await self._locked(conn, connection_id)
                if current is None:
                    return None
                updated = change(current)
                await conn.execute(
                    connections.update()
                    .where(connections.c.id == connection_id)
                    .values(to_values(updated, connections))
                )
                await _replace_enabled_clients(conn, updated)
        except sa.exc.IntegrityError as exc:
            raise _name_taken(updated.name) from exc
        return updated

    async def _locked(self, conn: Conn, connection_id: str) -> Connection | None:
        found = await _BY_ID.locked(conn, id=connection_id)
        if found is None:
            return None
        links = await conn.execute(
            sa.select(connection_clients.c.client_id)
            .where(connection_clients.c.connection_id == connection_id)
            .order_by(connection_clients.c.client_id)
        )
        return Connection(**found, enabled_clients=[link.client_id for link in links])

    async def delete(
        self, connection_id: str, check: Callable[[Connection | None], None] | None = None
    ) -> bool:
        """`check` sees the connection locked first (None: not there) and raises to keep it."""
        async with self._db.write() as conn:
            if check is not None:
                check(await self._locked(conn, connection_id))
            result = await conn.execute(
                connections.delete().where(connections.c.id == connection_id)
            )
            if result.rowcount:  # type: ignore[attr-defined]
                await delete_for_connection(conn, connection_id)
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def enable_on_all(self, client_id: str) -> None:
        """Enables every connection for a new client, in one statement: a connection created or
        deleted meanwhile is either linked or gone, never half. On PostgreSQL a connection
        deleted after the statement's snapshot fails its foreign key; the next try no longer
        sees it."""
        for attempt in range(_LINK_ATTEMPTS):
            try:
                async with self._db.write() as conn:
                    await conn.execute(
                        connection_clients.insert().from_select(
                            ["connection_id", "client_id"],
                            sa.select(connections.c.id, sa.literal(client_id, sa.String(64))),
                        )
                    )
                return
            except sa.exc.IntegrityError:
                if attempt == _LINK_ATTEMPTS - 1:
                    raise


_LINK_ATTEMPTS = 5


async def _replace_enabled_clients(conn: Conn, connection: Connection) -> None:
    wanted = sorted(set(connection.enabled_clients))
    if wanted:
        known = (
            (
                await conn.execute(
                    sa.select(clients.c.client_id).where(clients.c.client_id.in_(wanted))
                )
            )
            .scalars()
            .all()
        )
        missing = sorted(set(wanted) - set(known))
        if missing:
            raise InvalidBody(
                f"Payload validation error: 'Unknown client ids: {', '.join(missing)}' on "
                "property enabled_clients."
            )
    await conn.execute(
        connection_clients.delete().where(connection_clients.c.connection_id == connection.id)
    )
    if wanted:
        await conn.execute(
            connection_clients.insert(),
            [{"connection_id": connection.id, "client_id": cid} for cid in wanted],
        )
