"""The client settings object Lock reads from `/client/{client_id}.js` (reference 8.3, 8.4 e).

Lock groups an application's connections by strategy and, for database connections, shapes
its forms from what is here (sign-up and forgot-password links, username field, password hints),
so these say what selfauth enforces.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from selfauth.domain.clients.model import Client
from selfauth.domain.connections.model import Connection
from selfauth.domain.connections.password_policy import PasswordPolicy
from selfauth.domain.users.attributes import username_limits

# Lock shows its "Protected by Auth0" badge for the subscriptions `free` and `dev` only.
SUBSCRIPTION = "self-hosted"


def client_settings(client: Client, connections: list[Connection], issuer: str) -> dict[str, Any]:
    """`connections`: those enabled for the client that selfauth signs in with, in order."""
    strategies: dict[str, list[dict[str, Any]]] = {}
    for connection in connections:
        strategies.setdefault(connection.strategy, []).append(_connection(connection))
    settings: dict[str, Any] = {
        "id": client.client_id,
        "tenant": tenant_name(issuer),
        "subscription": SUBSCRIPTION,
        "authorize": f"{issuer}authorize",
        "hasAllowedOrigins": bool(client.allowed_origins),
        "strategies": [{"name": name, "connections": found} for name, found in strategies.items()],
    }
    if client.callbacks:
        settings["callback"] = client.callbacks[0]
    return settings


def tenant_name(issuer: str) -> str:
    """The first label of the issuer's host, as auth0.js derives `__tenant` from the domain."""
    host = urlsplit(issuer).hostname or ""
    return host.split(".")[0]


def _connection(connection: Connection) -> dict[str, Any]:
    view: dict[str, Any] = {"name": connection.name}
    if connection.display_name is not None:
        view["display_name"] = connection.display_name
    if connection.is_database:
        view.update(_database(connection.options, requires_username=connection.requires_username))
    return view


def _database(options: dict[str, Any], *, requires_username: bool) -> dict[str, Any]:
    policy = PasswordPolicy.from_options(options)
    low, high = username_limits(options)  # what sign-up enforces
    # Lock knows the named levels only: under the flexible policy (`password_options`) it is
    # told the minimum length, and the server's answer names the other rules.
    level = "none" if policy.complexity is not None else policy.level
    return {
        "requires_username": requires_username,
        "showSignup": not options.get("disable_signup", False),
        # Lock's "Don't remember your password?" posts to /dbconnections/change_password.
        "showForgot": True,
        "passwordPolicy": level,
        "password_complexity_options": {"min_length": policy.effective_min_length},
        "validation": {"username": {"min": low, "max": high}},
    }
