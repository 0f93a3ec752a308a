"""Use cases on connections."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import datetime
from typing import Any, Protocol

from selfauth.domain import ids
from selfauth.domain.clock import Clock
from selfauth.domain.connections.custom_database import ConfigurationBox
from selfauth.domain.connections.defaults import with_database_defaults
from selfauth.domain.connections.etag import connection_etag
from selfauth.domain.connections.model import (
    DATABASE_STRATEGY,
    ENTERPRISE_STRATEGIES,
    Connection,
    check_name,
    check_options,
    check_strategy,
)
from selfauth.domain.etags import IfMatch, precondition
from selfauth.domain.users import metadata
from selfauth.errors import NotFound

# Top-level properties Auth0 stores that selfauth keeps in `extra_properties` and echoes.
EXTRA_PROPERTIES = (
    "show_as_button",
    "authentication",
    "connected_accounts",
    "cross_app_access_requesting_app",
    "cross_app_access_resource_app",
)
# Auth0 names the connection in `display_name` when these are created without one.
_NAMED_BY_DEFAULT = frozenset({"oidc", "okta", "waad"})


class ConnectionStore(Protocol):
    async def get(self, connection_id: str) -> Connection | None: ...
    async def get_by_name(self, name: str) -> Connection | None: ...
    async def list(self) -> list[Connection]: ...
    async def insert(self, connection: Connection) -> None: ...
    async def update(
        self, connection_id: str, change: Callable[[Connection], Connection]
    ) -> Connection | None: ...
    async def delete(
        self, connection_id: str, check: Callable[[Connection | None], None] | None = None
    ) -> bool: ...


def inexistent_connection() -> NotFound:
    return NotFound("The connection does not exist", error_code="inexistent_connection")


class ConnectionService:
    def __init__(
        self, store: ConnectionStore, clock: Clock, box: ConfigurationBox | None = None
    ) -> None:
        self._store = store
        self._clock = clock
        self._box = box  # seals a custom database's `options.configuration`

    def _sealed(self, options: dict[str, Any]) -> dict[str, Any]:
        return options if self._box is None else self._box.sealed_options(options)

    async def get(self, connection_id: str) -> Connection:
        connection = await self._store.get(connection_id)
        if connection is None:
            raise inexistent_connection()
        return connection

    async def by_name(self, name: str) -> Connection | None:
        return await self._store.get_by_name(name)

    async def all(self) -> list[Connection]:
        return await self._store.list()

    async def signing_in_for(self, client_id: str) -> list[Connection]:
        """The connections enabled for a client that selfauth can sign in with, by name."""
        return [
            connection
            for connection in await self._store.list()
            if connection.signs_in and client_id in connection.enabled_clients
        ]

    async def buttons_for(self, client_id: str) -> list[Connection]:
        """The upstream connections enabled for a client that the login page offers as buttons
        (`show_as_button`), by name."""
        return [
            connection
            for connection in await self._store.list()
            if connection.is_upstream
            and client_id in connection.enabled_clients
            and connection.extra_properties.get("show_as_button") is True
        ]

    async def create(self, fields: dict[str, Any]) -> Connection:
        name = check_name(fields.pop("name"))
        strategy = check_strategy(fields.pop("strategy"))
        options = check_options(strategy, fields.get("options") or {})
        if strategy == DATABASE_STRATEGY:
            options = self._sealed(with_database_defaults(options, creating=True))
        fields["options"] = options
        if not fields.get("realms"):
            fields["realms"] = [name]
        if "metadata" in fields:
            fields["metadata"] = _checked_metadata(fields["metadata"])
        if strategy in _NAMED_BY_DEFAULT:
            fields.setdefault("display_name", name)
        extra = {key: fields.pop(key) for key in EXTRA_PROPERTIES if key in fields}
        connection = Connection(
            id=ids.connection_id(),
            name=name,
            strategy=strategy,
            created_at=self._clock(),
            extra_properties=extra,
            **fields,
        )
        await self._store.insert(connection)
        return connection

    async def update(
        self, connection_id: str, fields: dict[str, Any], if_match: IfMatch | None = None
    ) -> Connection:
        """Every given field replaces the stored one; `options` is replaced whole, as on Auth0.

        `null` leaves `options` and `enabled_clients` as they are, and removes
        `cross_app_access_resource_app`. On the locked row; with `if_match`, only while the
        connection still has one of its ETags.
        """
        for key in ("options", "enabled_clients"):
            if key in fields and fields[key] is None:
                del fields[key]

        def change(current: Connection) -> Connection:
            if if_match is not None:
                if_match.check(connection_etag(current), "connection")
            given = dict(fields)
            if "metadata" in given:
                given["metadata"] = _checked_metadata(given["metadata"])
            if "options" in given:
                options = check_options(current.strategy, given["options"])
                if current.is_database:
                    options = self._sealed(with_database_defaults(options, creating=False))
                given["options"] = options
            if "realms" in given and not given["realms"]:
                given["realms"] = [current.name]
            extra = dict(current.extra_properties)
            for key in EXTRA_PROPERTIES:
                if key in given:
                    value = given.pop(key)
                    if value is None:
                        extra.pop(key, None)
                    else:
                        extra[key] = value
            return dataclasses.replace(current, extra_properties=extra, **given)

        updated = await self._store.update(connection_id, change)
        if updated is None:
            raise inexistent_connection()
        return updated

    async def delete(self, connection_id: str, if_match: IfMatch | None = None) -> datetime | None:
        """When the connection was deleted, or None when there was none to delete.

        Deleting a connection deletes its users with it, before the answer: Auth0 may still be
        deleting when it answers (202), selfauth never is, so a repeated delete finds nothing
        (Auth0's 204 once its deletion is done). With `if_match`, only while the connection
        still has one of its ETags (gone: 412).
        """
        check = precondition(if_match, connection_etag, "connection")
        if not await self._store.delete(connection_id, check):
            return None
        return self._clock()


def _checked_metadata(given: dict[str, str | None]) -> dict[str, str]:
    """Auth0's connection metadata allows `null` values: they name no value, so none is kept."""
    kept = {key: value for key, value in given.items() if value is not None}
    metadata.check_client_metadata(kept, "metadata")
    return kept


def connection_view(connection: Connection) -> dict[str, Any]:
    """The connection as Auth0 answers it, with Auth0's defaults for what was never set."""
    extra = connection.extra_properties
    view: dict[str, Any] = {
        "id": connection.id,
        "name": connection.name,
        "strategy": connection.strategy,
        "options": connection.options,
        "enabled_clients": connection.enabled_clients,
        "realms": connection.realms,
        "is_domain_connection": connection.is_domain_connection,
        "authentication": extra.get("authentication", {"active": True}),
        "connected_accounts": extra.get("connected_accounts", {"active": False}),
    }
    if connection.display_name is not None:
        view["display_name"] = connection.display_name
    if connection.metadata:
        view["metadata"] = connection.metadata
    if "show_as_button" in extra or connection.strategy in ENTERPRISE_STRATEGIES:
        view["show_as_button"] = extra.get("show_as_button", False)
    for key in ("cross_app_access_requesting_app", "cross_app_access_resource_app"):
        if key in extra:
            view[key] = extra[key]
    return view
