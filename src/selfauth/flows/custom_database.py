"""A custom database connection's scripts, run in the sandbox (hooks/connection_scripts.py) with
Auth0's signatures: `login(identifier, password, cb)`, `getUser(email, cb)`, `create(user, cb)`,
`verify(email, cb)`, `changePassword(email, newPassword, cb)`, `deleteUser(id, cb)`,
`changeEmail(email, newEmail, verified, cb)`. Each gets the connection's `configuration`
(opened here, sealed at rest) and reaches only the hosts in `options.allowed_hosts`; `create`'s
`user` names the tenant, as Auth0's does."""

from __future__ import annotations

from typing import Any

from selfauth.domain.connections.allowed_hosts import allowed_hosts
from selfauth.domain.connections.custom_database import ConfigurationBox, script
from selfauth.domain.connections.model import Connection
from selfauth.domain.users.legacy import ScriptError
from selfauth.hooks.connection_scripts import ConnectionScripts, ScriptCall, ScriptFailed


class ScriptedDatabase:
    """`LegacyStore` (domain/users/legacy.py) on the sandbox."""

    def __init__(self, scripts: ConnectionScripts, box: ConfigurationBox, tenant: str) -> None:
        self._scripts = scripts
        self._box = box
        self._tenant = tenant

    async def _call(self, connection: Connection, name: str, args: list[Any]) -> Any:
        code = script(connection, name)
        if code is None:
            raise ScriptError(name, f"the connection {connection.name} has no {name} script")
        call = ScriptCall(
            name=name,
            code=code,
            args=args,
            configuration=self._box.opened(connection),
            allowed_hosts=allowed_hosts((), connection.options),
        )
        try:
            return await self._scripts.call(call)
        except ScriptFailed as failed:
            raise ScriptError(name, failed.message, failed.kind, failed.code) from failed

    async def _profile(self, connection: Connection, name: str, args: list[Any]) -> Any:
        value = await self._call(connection, name, args)
        if value is None or value is False:
            return None
        if not isinstance(value, dict):
            raise ScriptError(name, "the script answered something other than a profile")
        return value

    async def login(
        self, connection: Connection, identifier: str, password: str
    ) -> dict[str, Any] | None:
        """The profile, or None for `callback(null)` (wrong credentials, as Auth0 reads it)."""
        found: dict[str, Any] | None = await self._profile(
            connection, "login", [identifier, password]
        )
        return found

    async def get_user(self, connection: Connection, email: str) -> dict[str, Any] | None:
        found: dict[str, Any] | None = await self._profile(connection, "get_user", [email])
        return found

    async def create(self, connection: Connection, user: dict[str, Any]) -> None:
        await self._call(connection, "create", [{**user, "tenant": self._tenant}])

    async def change_password(self, connection: Connection, email: str, password: str) -> Any:
        return await self._call(connection, "change_password", [email, password])

    async def verify(self, connection: Connection, email: str) -> Any:
        return await self._call(connection, "verify", [email])

    async def delete(self, connection: Connection, local_id: str) -> None:
        await self._call(connection, "delete", [local_id])

    async def change_email(
        self, connection: Connection, email: str, new_email: str, verified: bool
    ) -> Any:
        return await self._call(connection, "change_email", [email, new_email, verified])
