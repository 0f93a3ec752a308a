"""The client settings object Lock reads from `/client/{client_id}.js` (reference 8.3, 8.4 e).

Lock groups an application's connections by strategy and, for database connections, shapes
its forms from what is here (sign-up and forgot-password links, username field, password hints),
so these say what selfauth enforces.

Lock (14, `core/client/index.js`) classifies a strategy by its name alone: `auth0` is the database
form, its `connection/social` list (`github`, `google-oauth2`, `windowslive`, `apple`, ...) and
`oauth1`/`oauth2` are social buttons, its `connection/enterprise` list (`oidc`, `samlp`, ...)
is enterprise: matched by the email's domain (`domain`, then `domain_aliases`), or one quick
sign-in button when it is the only connection. Its social buttons name a preset by Lock's own
label ("GitHub") and an `oauth2` connection by `display_name`, else `name`. A click sends the
browser to `/authorize?connection=NAME`.
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
    """`connections`: those enabled for the client that selfauth signs in with (database and
    upstream ones), in order."""
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
    elif connection.is_social:
        view.update(_social(connection.options))
    elif connection.is_upstream:
        view.update(_enterprise(connection.options))
    return view


def _social(options: dict[str, Any]) -> dict[str, Any]:
    """Auth0 adds the connection's `scope` as stored (a list, or Apple's and a custom OAuth2
    connection's string); Lock does not read it, native Locks may."""
    scope = options.get("scope")
    if isinstance(scope, str) or (
        isinstance(scope, list) and all(isinstance(item, str) for item in scope)
    ):
        return {"scope": scope}
    return {}


def _enterprise(options: dict[str, Any]) -> dict[str, Any]:
    """The email domains Lock matches (home realm discovery): `domain` first, then the aliases.
    Auth0 leaves both out when the connection names none (as `tenant_domain` and
    `domain_aliases` in its options)."""
    view: dict[str, Any] = {}
    domain = options.get("tenant_domain")
    if isinstance(domain, str) and domain:
        view["domain"] = domain
    aliases = options.get("domain_aliases")
    if isinstance(aliases, list):
        found = [alias for alias in aliases if isinstance(alias, str) and alias]
        if found:
            view["domain_aliases"] = found
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
