"""What a tenant has from its first start: keys, the Management API, a database connection,
an administrator client and a "Default App" (as Auth0 makes) whose callback is selfauth's
own try page, so a first sign-in takes one click. Idempotent, and safe when several workers
start at once."""

from __future__ import annotations

from dataclasses import dataclass, replace

import sqlalchemy as sa

from selfauth.domain import ids
from selfauth.domain.changes import CLIENTS
from selfauth.domain.clients.model import Client
from selfauth.domain.clients.secrets import SecretHasher
from selfauth.domain.clock import Clock
from selfauth.domain.connections.model import DATABASE_STRATEGY, DEFAULT_DATABASE_CONNECTION
from selfauth.domain.keys.model import generate_rsa_key
from selfauth.domain.resource_servers.model import MANAGEMENT_API_NAME, management_scopes
from selfauth.domain.scopes import MANAGEMENT_SCOPES
from selfauth.storage._rows import to_values
from selfauth.storage.changes import announce
from selfauth.storage.database import Conn, Database
from selfauth.storage.keys import (
    ensure_hmac_key,
    ensure_next_key,
    has_signing_key,
    insert_signing_key,
)
from selfauth.storage.tables import (
    client_grants,
    clients,
    connection_clients,
    connections,
    resource_servers,
    server_secrets,
)

_PG_BOOTSTRAP_LOCK = 0x5E1FA08
_BOOTSTRAP_CLIENT_MARK = "bootstrap_client_id"
_DEFAULT_APP_MARK = "default_app_client_id"
_DASHBOARD_MARK = "dashboard_client_id"
DEFAULT_APP_NAME = "Default App"
DASHBOARD_APP_NAME = "selfauth Dashboard"


@dataclass(frozen=True)
class BootstrapResult:
    client_id: str
    new_secret: str | None  # set only when we generated credentials on this start
    # An earlier bootstrap client that still exists with every scope, when the configured
    # one changed: the operator should delete it if it is no longer used.
    previous_client_id: str | None = None
    # The Default App made at the first start (it may have been deleted since); None when
    # bootstrap was not asked for one.
    default_app_id: str | None = None
    # The dashboard's own application (/admin signs in as it); None when not asked for.
    dashboard_app_id: str | None = None


async def bootstrap(
    database: Database,
    *,
    audience: str,
    clock: Clock,
    client_id: str | None,
    client_secret: str | None,
    default_app_callback: str | None = None,
    dashboard_callback: str | None = None,
) -> BootstrapResult:
    """`default_app_callback`: the try page's URL, the Default App's one callback; the app is
    made once per database (an administrator may edit or delete it, it is not made again).
    `dashboard_callback`: the dashboard's sign-in callback; its application is made again on
    the next start if it was deleted, and its callback follows the issuer."""
    async with database.write() as conn:
        if conn.dialect == "postgresql":
            await conn.execute(
                sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_BOOTSTRAP_LOCK}
            )
        await ensure_hmac_key(conn)
        if not await has_signing_key(conn):
            await insert_signing_key(conn, generate_rsa_key(clock()))
        await ensure_next_key(conn, clock())
        await _ensure_management_api(conn, audience, clock)
        await _ensure_database_connection(conn, clock)
        hmac_key = bytes.fromhex(
            (
                await conn.execute(
                    sa.select(server_secrets.c.value).where(server_secrets.c.name == "hmac")
                )
            ).scalar_one()
        )
        hasher = SecretHasher(hmac_key)
        result = await _ensure_admin_client(conn, hasher, audience, clock, client_id, client_secret)
        if default_app_callback is not None:
            app_id = await _ensure_default_app(conn, hasher, default_app_callback, clock)
            result = replace(result, default_app_id=app_id)
        if dashboard_callback is not None:
            dashboard_id = await _ensure_dashboard_app(conn, hasher, dashboard_callback, clock)
            result = replace(result, dashboard_app_id=dashboard_id)
        await announce(conn, CLIENTS)  # another node learns of the clients made or updated
        return result


async def _mark(conn: Conn, name: str) -> str | None:
    value = (
        await conn.execute(sa.select(server_secrets.c.value).where(server_secrets.c.name == name))
    ).scalar_one_or_none()
    return None if value is None else str(value)


async def _enable_on_default_connection(conn: Conn, client_id: str) -> None:
    connection_id = (
        await conn.execute(
            sa.select(connections.c.id).where(connections.c.name == DEFAULT_DATABASE_CONNECTION)
        )
    ).scalar_one_or_none()
    if connection_id is not None:
        await conn.execute(
            connection_clients.insert().values(connection_id=connection_id, client_id=client_id)
        )


async def _ensure_dashboard_app(
    conn: Conn, hasher: SecretHasher, callback: str, clock: Clock
) -> str:
    """`callback` is /admin/callback; /admin/signed-out beside it is where logout returns.
    A first-party web application for the dashboard's own sign-in (authorization code with
    PKCE, redeemed inside the server, so its secret is never used or shown), enabled on the
    default database connection, where the first administrator is made."""
    signed_out = callback.removesuffix("callback") + "signed-out"
    found = await _mark(conn, _DASHBOARD_MARK)
    if found is not None and await _client_exists(conn, found):
        await conn.execute(
            clients.update()
            .where(clients.c.client_id == found)
            .values(callbacks=[callback], allowed_logout_urls=[signed_out])
        )
        return found
    now = clock()
    client = Client(
        client_id=ids.client_id(),
        name=DASHBOARD_APP_NAME,
        description="The selfauth dashboard (/admin) signs administrators in as this application.",
        secret_hash=hasher.digest(ids.client_secret()),
        created_at=now,
        updated_at=now,
        app_type="regular_web",
        callbacks=[callback],
        allowed_logout_urls=[signed_out],
        grant_types=["authorization_code"],
    )
    await conn.execute(clients.insert().values(to_values(client, clients)))
    await _enable_on_default_connection(conn, client.client_id)
    if found is None:
        await conn.execute(
            server_secrets.insert().values(name=_DASHBOARD_MARK, value=client.client_id)
        )
    else:
        await conn.execute(
            server_secrets.update()
            .where(server_secrets.c.name == _DASHBOARD_MARK)
            .values(value=client.client_id)
        )
    return client.client_id


async def _ensure_default_app(conn: Conn, hasher: SecretHasher, callback: str, clock: Clock) -> str:
    """A confidential web application with the authorization-code grant, enabled on the
    default database connection. Its secret is never shown: the try page redeems codes
    inside the server, and an administrator who wants to use the app elsewhere rotates it."""
    mark = (
        await conn.execute(
            sa.select(server_secrets.c.value).where(server_secrets.c.name == _DEFAULT_APP_MARK)
        )
    ).scalar_one_or_none()
    if mark is not None:
        return str(mark)
    now = clock()
    client = Client(
        client_id=ids.client_id(),
        name=DEFAULT_APP_NAME,
        secret_hash=hasher.digest(ids.client_secret()),
        created_at=now,
        updated_at=now,
        app_type="regular_web",
        callbacks=[callback],
        grant_types=["authorization_code", "refresh_token"],
    )
    await conn.execute(clients.insert().values(to_values(client, clients)))
    connection_id = (
        await conn.execute(
            sa.select(connections.c.id).where(connections.c.name == DEFAULT_DATABASE_CONNECTION)
        )
    ).scalar_one_or_none()
    if connection_id is not None:
        await conn.execute(
            connection_clients.insert().values(
                connection_id=connection_id, client_id=client.client_id
            )
        )
    await conn.execute(
        server_secrets.insert().values(name=_DEFAULT_APP_MARK, value=client.client_id)
    )
    return client.client_id


async def _ensure_management_api(conn: Conn, audience: str, clock: Clock) -> None:
    found = (
        await conn.execute(sa.select(resource_servers.c.id).where(resource_servers.c.is_system))
    ).first()
    values = {
        "identifier": audience,
        "name": MANAGEMENT_API_NAME,
        "scopes": management_scopes(),
        "token_lifetime": 86_400,
        "signing_alg": "RS256",
        "allow_offline_access": False,
        "skip_consent_for_verifiable_first_party_clients": False,
        "is_system": True,
    }
    if found is None:
        await conn.execute(
            resource_servers.insert().values(id=ids.object_id(), created_at=clock(), **values)
        )
    else:  # the issuer (and so the audience) or our scope list may have changed
        await conn.execute(
            resource_servers.update().where(resource_servers.c.id == found.id).values(**values)
        )


async def _ensure_database_connection(conn: Conn, clock: Clock) -> None:
    marker = (
        await conn.execute(
            sa.select(server_secrets.c.name).where(server_secrets.c.name == "default_connection")
        )
    ).first()
    if marker is not None:
        return  # made once; an administrator may have deleted it since
    await conn.execute(
        connections.insert().values(
            id=ids.connection_id(),
            name=DEFAULT_DATABASE_CONNECTION,
            strategy=DATABASE_STRATEGY,
            options={"brute_force_protection": True, "passwordPolicy": "good"},
            realms=[DEFAULT_DATABASE_CONNECTION],
            metadata={},
            display_name=None,
            is_domain_connection=False,
            created_at=clock(),
        )
    )
    await conn.execute(server_secrets.insert().values(name="default_connection", value="made"))


async def _ensure_admin_client(
    conn: Conn,
    hasher: SecretHasher,
    audience: str,
    clock: Clock,
    client_id: str | None,
    client_secret: str | None,
) -> BootstrapResult:
    new_secret = None
    mark = (
        await conn.execute(
            sa.select(server_secrets.c.value).where(server_secrets.c.name == _BOOTSTRAP_CLIENT_MARK)
        )
    ).scalar_one_or_none()
    marked_exists = mark is not None and await _client_exists(conn, mark)
    if client_id is None or client_secret is None:
        if mark is not None and marked_exists:
            return BootstrapResult(mark, None)
        # First start, or the generated client was deleted: make one so nobody is locked out.
        client_id, client_secret = ids.client_id(), ids.client_secret()
        new_secret = client_secret
    previous = mark if marked_exists and mark != client_id else None
    now = clock()
    if not await _client_exists(conn, client_id):
        client = Client(
            client_id=client_id,
            name="selfauth administrator (bootstrap)",
            secret_hash=hasher.digest(client_secret),
            created_at=now,
            updated_at=now,
            app_type="non_interactive",
            grant_types=["client_credentials"],
        )
        await conn.execute(clients.insert().values(to_values(client, clients)))
    else:
        await conn.execute(
            clients.update()
            .where(clients.c.client_id == client_id)
            .values(secret_hash=hasher.digest(client_secret), updated_at=now)
        )
    await _ensure_full_grant(conn, client_id, audience)
    await conn.execute(
        server_secrets.delete().where(server_secrets.c.name == _BOOTSTRAP_CLIENT_MARK)
    )
    await conn.execute(server_secrets.insert().values(name=_BOOTSTRAP_CLIENT_MARK, value=client_id))
    return BootstrapResult(client_id, new_secret, previous)


async def _client_exists(conn: Conn, client_id: str) -> bool:
    query = sa.select(clients.c.client_id).where(clients.c.client_id == client_id)
    return (await conn.execute(query)).first() is not None


async def _ensure_full_grant(conn: Conn, client_id: str, audience: str) -> None:
    scope = list(MANAGEMENT_SCOPES)
    found = (
        await conn.execute(
            sa.select(client_grants.c.id).where(
                client_grants.c.client_id == client_id, client_grants.c.audience == audience
            )
        )
    ).first()
    if found is None:
        await conn.execute(
            client_grants.insert().values(
                id=ids.client_grant_id(), client_id=client_id, audience=audience, scope=scope
            )
        )
    else:
        await conn.execute(
            client_grants.update().where(client_grants.c.id == found.id).values(scope=scope)
        )
