"""The metadata schemas: kept per connection or tenant-wide, applied to every metadata write.

Which schema applies to a user's field: their connection's own for that field when it has
one, else the tenant-wide one for that field, else none. Each process keeps every schema
compiled in memory (a few rows at most); a change bumps the `metadata_schemas` topic
(domain/changes.py) and every process reloads, so a schema set through one worker is
enforced by all within SELFAUTH_CHANGES_POLL_SECONDS. Setting a schema never rewrites a
user: the answer counts the users who violate it.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from selfauth.domain.clock import Clock, iso
from selfauth.domain.connections.model import Connection
from selfauth.domain.metadata_schemas.validator import FIELDS, TENANT, CompiledSchema
from selfauth.domain.search import Query
from selfauth.domain.search.ast import Compare, Field, FieldKind, MatchAll, Op, ValueType
from selfauth.domain.users.model import User
from selfauth.errors import InvalidBody, NotFound

log = logging.getLogger("selfauth.metadata_schemas")
_WALK_BATCH = 500
_IDENTITY_CONNECTION = Field(FieldKind.IDENTITY, "connection", ValueType.TEXT)


@dataclass(frozen=True)
class StoredSchema:
    target: str  # a connection's id, or TENANT
    field: str  # user_metadata or app_metadata
    schema: dict[str, Any]
    updated_at: datetime


class MetadataSchemaRepository(Protocol):
    async def all(self) -> list[StoredSchema]: ...
    async def put(self, stored: StoredSchema) -> None: ...
    async def delete(self, target: str, field: str) -> bool: ...


class UserWalker(Protocol):
    async def walk(
        self, query: Query, *, after: tuple[Any, str] | None, take: int
    ) -> list[User]: ...


class ConnectionById(Protocol):
    async def get(self, connection_id: str) -> Connection | None: ...


@dataclass(frozen=True)
class Applied:
    """The schemas one connection's users are held to (None: that field is free)."""

    user_metadata: CompiledSchema | None = None
    app_metadata: CompiledSchema | None = None

    def check(
        self, user_metadata: Mapping[str, Any] | None, app_metadata: Mapping[str, Any] | None
    ) -> None:
        """InvalidBody for the first field that breaks its schema (None: not checked)."""
        if self.user_metadata is not None and user_metadata is not None:
            self.user_metadata.check(user_metadata)
        if self.app_metadata is not None and app_metadata is not None:
            self.app_metadata.check(app_metadata)

    def get(self, field: str) -> CompiledSchema | None:
        return self.user_metadata if field == "user_metadata" else self.app_metadata


NONE = Applied()


class Snapshot:
    """The schemas compiled at one moment: read without awaiting, inside a locked write."""

    def __init__(self, compiled: Mapping[tuple[str, str], CompiledSchema]) -> None:
        self._compiled = compiled

    def for_connection(self, connection_id: str) -> Applied:
        """Per field: the connection's own schema, else the tenant-wide one, else none."""
        found = [
            self._compiled.get((connection_id, f)) or self._compiled.get((TENANT, f))
            for f in FIELDS
        ]
        if found[0] is None and found[1] is None:
            return NONE
        return Applied(*found)

    def own(self, target: str, field: str) -> CompiledSchema | None:
        """The schema set on exactly this target (a connection's id, or TENANT)."""
        return self._compiled.get((target, field))


NO_SCHEMAS = Snapshot({})


def check_field(field: str) -> str:
    if field not in FIELDS:
        raise NotFound(
            f"There is no metadata schema for {field!r}: use user_metadata or app_metadata.",
            error_code="inexistent_metadata_schema",
        )
    return field


class MetadataSchemaService:
    def __init__(
        self,
        repo: MetadataSchemaRepository,
        connections: ConnectionById,
        users: UserWalker,
        clock: Clock,
    ) -> None:
        self._repo = repo
        self._connections = connections
        self._users = users
        self._clock = clock
        self._compiled: dict[tuple[str, str], CompiledSchema] | None = None
        self._stored: dict[tuple[str, str], StoredSchema] = {}

    async def load(self) -> None:
        """Read and compile every schema (at start, and when another process changed one)."""
        stored = {(row.target, row.field): row for row in await self._repo.all()}
        compiled: dict[tuple[str, str], CompiledSchema] = {}
        for key, row in stored.items():
            try:
                compiled[key] = CompiledSchema(row.field, row.schema)
            except InvalidBody:  # valid when set; only a change of library could do this
                log.error("the stored %s schema of %s no longer compiles", row.field, row.target)
        self._stored, self._compiled = stored, compiled

    async def snapshot(self) -> Snapshot:
        """The schemas as this process has them (loaded on first use)."""
        if self._compiled is None:
            await self.load()
        return Snapshot(self._compiled or {})

    # --- the Management API ---------------------------------------------------------------

    async def get(self, target: str, field: str) -> dict[str, Any]:
        await self._target(target)
        check_field(field)
        await self.load()  # answer what is stored, not this process's copy
        stored = self._stored.get((target, field))
        if stored is None:
            raise NotFound(
                "The metadata schema does not exist.", error_code="inexistent_metadata_schema"
            )
        return _view(stored)

    async def put(self, target: str, field: str, body: Any) -> dict[str, Any]:
        """Set a schema (`{"schema": {...}}`); the answer counts who violates it now."""
        connection = await self._target(target)
        check_field(field)
        if not isinstance(body, dict) or set(body) != {"schema"}:
            raise InvalidBody('Payload validation error: the body must be {"schema": {...}}.')
        CompiledSchema(field, body["schema"])  # a 400 for a schema that is not one
        stored = StoredSchema(target, field, body["schema"], self._clock())
        await self._repo.put(stored)
        await self.load()
        violating = await self._violating(connection, field)
        return {**_view(stored), "violating_users": violating}

    async def delete(self, target: str, field: str) -> None:
        await self._target(target)
        check_field(field)
        await self._repo.delete(target, field)
        await self.load()

    async def _target(self, target: str) -> Connection | None:
        if target == TENANT:
            return None
        connection = await self._connections.get(target)
        if connection is None:
            raise NotFound("The connection does not exist", error_code="inexistent_connection")
        return connection

    async def _violating(self, connection: Connection | None, field: str) -> int:
        """The users the new schema applies to (the connection's, or for a tenant-wide one
        those whose connection has none of its own for `field`) whose stored `field` breaks
        it: read in batches, never changed."""
        count = 0
        schemas = await self.snapshot()
        schema = schemas.own(TENANT if connection is None else connection.id, field)
        if schema is None:  # compiled when stored, so only if it changed in between
            return 0
        after: tuple[Any, str] | None = None
        query: Query = MatchAll()
        if connection is not None:  # its users, and the users with a linked identity of it
            query = Compare(_IDENTITY_CONNECTION, Op.EQ, connection.name)
        while True:
            batch = await self._users.walk(query, after=after, take=_WALK_BATCH)
            for user in batch:
                if connection is not None and user.connection_id != connection.id:
                    continue
                applies = schemas.for_connection(user.connection_id).get(field) is schema
                if applies and not schema.is_valid(getattr(user, field)):
                    count += 1
            if len(batch) < _WALK_BATCH:
                return count
            after = (batch[-1].created_at, batch[-1].user_id)


def _view(stored: StoredSchema) -> dict[str, Any]:
    return {
        "connection_id": None if stored.target == TENANT else stored.target,
        "field": stored.field,
        "schema": stored.schema,
        "updated_at": iso(stored.updated_at),
    }
