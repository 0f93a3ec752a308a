"""Custom database connections: a database connection (`strategy: "auth0"`) whose users live in
the tenant's own store, reached by the JavaScript of `options.customScripts` (Auth0's `login`,
`get_user`, `create`, `verify`, `change_password`, `delete`, `change_email`), with
`options.enabledDatabaseCustomization: true`. With `options.import_mode: true` users move into
selfauth on their first successful login (lazy migration).

`options.configuration` (the scripts' `configuration`: connection strings, API keys) is
write-only, as on Auth0, whose answers show its keys with encrypted values: it is stored
sealed (AES-GCM under a key derived from the server's, `domain/emails/sealing.py`), answered
sealed, opened only to run a script. A sealed value sent back (a GET-modify-PATCH round trip)
is kept as it is."""

from __future__ import annotations

from typing import Any

from selfauth.domain.connections.model import Connection
from selfauth.domain.emails.sealing import Sealer, SealError

SCRIPT_NAMES = (
    "login",
    "get_user",
    "create",
    "verify",
    "change_password",
    "delete",
    "change_email",
)
CONFIGURATION_LABEL = b"selfauth custom database configuration v1"
_SEALED_AS = "custom database configuration"


def customized(connection: Connection) -> bool:
    """The connection's users live in the tenant's store, reached through its scripts."""
    return connection.is_database and connection.options.get("enabledDatabaseCustomization") is True


def import_mode(connection: Connection) -> bool:
    """Users move into selfauth at their first login (lazy migration)."""
    return customized(connection) and connection.options.get("import_mode") is True


def script(connection: Connection, name: str) -> str | None:
    """The source of one of the connection's scripts, or None when it has none."""
    scripts = connection.options.get("customScripts")
    code = scripts.get(name) if isinstance(scripts, dict) else None
    return code if isinstance(code, str) and code.strip() else None


def scripted(connection: Connection, name: str) -> bool:
    """Whether this operation goes to the tenant's store: a customized connection without
    import mode (with import mode, selfauth's own store answers once users are here)."""
    return customized(connection) and not import_mode(connection) and name in SCRIPT_NAMES


class ConfigurationBox:
    """Seals `options.configuration` values when saved, opens them for a script."""

    def __init__(self, server_key: bytes) -> None:
        self._sealer = Sealer(server_key, CONFIGURATION_LABEL)

    def _opens(self, value: str) -> bool:
        try:
            self._sealer.open(value, _SEALED_AS)
        except SealError:
            return False
        return True

    def sealed_options(self, options: dict[str, Any]) -> dict[str, Any]:
        """`options` with each configuration value sealed (`null` values dropped); values
        already sealed by this server are kept."""
        configuration = options.get("configuration")
        if not isinstance(configuration, dict):
            return options
        sealed = {
            key: value if self._opens(value) else self._sealer.seal(value, _SEALED_AS)
            for key, value in configuration.items()
            if isinstance(value, str)
        }
        return {**options, "configuration": sealed}

    def opened(self, connection: Connection) -> dict[str, str]:
        """The configuration as the scripts see it; a value that no longer opens (the server's
        key changed) is left out."""
        configuration = connection.options.get("configuration")
        if not isinstance(configuration, dict):
            return {}
        found: dict[str, str] = {}
        for key, value in configuration.items():
            if not isinstance(value, str):
                continue
            try:
                found[key] = self._sealer.open(value, _SEALED_AS)
            except SealError:
                continue
        return found
