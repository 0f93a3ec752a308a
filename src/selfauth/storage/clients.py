"""Clients and client grants."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa

from selfauth.domain.changes import CLIENTS
from selfauth.domain.clients.model import Client, ClientGrant
from selfauth.domain.metadata_history import SYSTEM, Author, Authors, key_changes
from selfauth.errors import Conflict
from selfauth.storage import metadata_history as history
from selfauth.storage._rows import from_row, rewrite_locked, to_values
from selfauth.storage.changes import announce
from selfauth.storage.database import Database
from selfauth.storage.hot_records import HotRecords, NoRecords
from selfauth.storage.lookup import KeyLookup
from selfauth.storage.tables import client_grants, clients

_CLIENT_BY_ID = KeyLookup(clients, "client_id")
_DECODED_LIMIT = 10_000  # clients whose last decoding is kept; past it, it starts over
_GRANT_BY_ID = KeyLookup(client_grants, "id")
_GRANT_BY_PAIR = KeyLookup(client_grants, "client_id", "audience")


class SqlClientRepository:
    def __init__(
        self, database: Database, hot: HotRecords | None = None, *, history: bool = True
    ) -> None:
        """`hot`: the records the token path keeps in memory (storage/hot_records.py), shared
        with the grants' and resource servers' repositories: a client's change or deletion
        clears them (its grants go with it). `history`: whether `client_metadata` changes are
        recorded (SELFAUTH_METADATA_HISTORY)."""
        self._db = database
        self._history = history
        self._hot = hot or NoRecords()
        self._decoded: dict[str, tuple[tuple[Any, ...], Client]] = {}

    async def list(
        self, *, offset: int, limit: int, newest_first: bool = False
    ) -> tuple[list[Client], int]:
        order = (clients.c.created_at, clients.c.client_id)
        query = clients.select().order_by(*(c.desc() for c in order) if newest_first else order)
        async with self._db.read() as conn:
            rows = (await conn.execute(query.offset(offset).limit(limit))).all()
            total = (
                await conn.execute(sa.select(sa.func.count()).select_from(clients))
            ).scalar_one()
        return [from_row(Client, row) for row in rows], total

    async def get(self, client_id: str) -> Client | None:
        # Read anew every time, not kept: /authorize, the dashboard and every grant's client
        # check read it, and a client changed through another worker must show at once there.
        # What is kept is the decoding: the same row as last time (compared as the driver
        # gave it, every column) is the same client, without decoding its JSON again.
        row = await _CLIENT_BY_ID.raw(self._db, client_id=client_id)
        if row is None:
            return None
        kept = self._decoded.get(client_id)
        if kept is not None and kept[0] == row:
            return kept[1]
        client = Client(**_CLIENT_BY_ID.decode(row))
        if len(self._decoded) >= _DECODED_LIMIT:
            self._decoded.clear()
        self._decoded[client_id] = (row, client)
        return client

    async def insert(self, client: Client) -> None:
        try:
            async with self._db.write() as conn:
                await conn.execute(clients.insert().values(to_values(client, clients)))
                # The CORS layer's origins (flows/origins.py) and the hot records, elsewhere.
                await announce(conn, CLIENTS)
        except sa.exc.IntegrityError as exc:
            raise Conflict("A client with this client_id already exists.") from exc
        self._hot.clear()

    async def update(
        self, client_id: str, change: Callable[[Client], Client], by: Authors | None = None
    ) -> Client | None:
        """Read-modify-write on the locked row (None: no such client), so two concurrent
        changes (of `client_metadata`, say) never lose one another's. The keys of
        `client_metadata` it changes go to the metadata history, by `by` (the server's own
        change when None)."""
        async with self._db.write() as conn:
            found = await rewrite_locked(conn, _CLIENT_BY_ID, Client, change, client_id=client_id)
            if found is None:
                return None
            current, updated = found
            if self._history:
                changes = key_changes(
                    "client_metadata",
                    current.client_metadata,
                    updated.client_metadata,
                    by or Author(SYSTEM),
                )
                await history.record(conn, changes, updated.updated_at, client_id=client_id)
            await announce(conn, CLIENTS)
        self._hot.clear()
        return updated

    async def delete(
        self, client_id: str, check: Callable[[Client | None], None] | None = None
    ) -> bool:
        """`check` sees the row locked first (None: not there) and raises to keep it."""
        async with self._db.write() as conn:
            if check is not None:
                found = await _CLIENT_BY_ID.locked(conn, client_id=client_id)
                check(None if found is None else Client(**found))
            result = await conn.execute(clients.delete().where(clients.c.client_id == client_id))
            await announce(conn, CLIENTS)
        self._hot.clear()  # its grants went with it (the foreign key's cascade)
        return bool(result.rowcount)  # type: ignore[attr-defined]


class SqlClientGrantRepository:
    def __init__(self, database: Database, hot: HotRecords | None = None) -> None:
        self._db = database
        self._hot = hot or NoRecords()

    async def list(
        self, *, client_id: str | None = None, audience: str | None = None
    ) -> list[ClientGrant]:
        query = client_grants.select().order_by(client_grants.c.id)
        if client_id is not None:
            query = query.where(client_grants.c.client_id == client_id)
        if audience is not None:
            query = query.where(client_grants.c.audience == audience)
        async with self._db.read() as conn:
            rows = (await conn.execute(query)).all()
        return [from_row(ClientGrant, row) for row in rows]

    async def get(self, grant_id: str) -> ClientGrant | None:
        async with self._db.read() as conn:
            query = client_grants.select().where(client_grants.c.id == grant_id)
            row = (await conn.execute(query)).first()
        return None if row is None else from_row(ClientGrant, row)

    async def find(self, client_id: str, audience: str) -> ClientGrant | None:
        async def read() -> ClientGrant | None:
            found = await _GRANT_BY_PAIR.one(self._db, client_id=client_id, audience=audience)
            return None if found is None else ClientGrant(**found)

        return await self._hot.get(("grant", client_id, audience), read)

    async def insert(self, grant: ClientGrant) -> None:
        try:
            async with self._db.write() as conn:
                await conn.execute(client_grants.insert().values(to_values(grant, client_grants)))
                await announce(conn, CLIENTS)  # what the token path keeps (hot_records.py)
        except sa.exc.IntegrityError as exc:
            raise Conflict(
                "A client grant for this client and audience already exists.",
                error_code="client_grant_conflict",
            ) from exc
        self._hot.clear()

    async def update(
        self, grant_id: str, change: Callable[[ClientGrant], ClientGrant]
    ) -> ClientGrant | None:
        """Read-modify-write on the locked row (None: no such grant)."""
        async with self._db.write() as conn:
            found = await rewrite_locked(conn, _GRANT_BY_ID, ClientGrant, change, id=grant_id)
            if found is None:
                return None
            await announce(conn, CLIENTS)  # what the token path keeps (hot_records.py)
        self._hot.clear()
        return found[1]

    async def delete(self, grant_id: str) -> bool:
        async with self._db.write() as conn:
            result = await conn.execute(
                client_grants.delete().where(client_grants.c.id == grant_id)
            )
            await announce(conn, CLIENTS)
        self._hot.clear()
        return bool(result.rowcount)  # type: ignore[attr-defined]
