"""The server's current signing key, read straight from its database.

Security tests need tokens that carry a valid signature but a bad claim (wrong issuer, expired,
no `exp`). The only way to make them is to sign with the server's own private key, which a test
may legitimately read from the database it gave the server.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from dataclasses import dataclass, field
from typing import Any

import asyncpg
import jwt

from tests.support.server import RunningServer

_QUERY = "SELECT kid, private_pem FROM signing_keys WHERE current"


@dataclass(frozen=True)
class ServerKey:
    kid: str
    private_pem: str = field(repr=False)

    def sign(self, claims: dict[str, Any], *, headers: dict[str, Any] | None = None) -> str:
        """An RS256 JWT signed with the server's key, `kid` set unless `headers` override it."""
        return jwt.encode(
            claims,
            self.private_pem,
            algorithm="RS256",
            headers={"kid": self.kid, **(headers or {})},
        )


def current_signing_key(server: RunningServer) -> ServerKey:
    if server.backend == "sqlite":
        kid, pem = _from_sqlite(server.database_url)
    else:
        kid, pem = asyncio.run(_from_postgres(server.database_url))
    return ServerKey(kid, pem)


def management_claims(
    server: RunningServer, scope: str = "read:users", **overrides: Any
) -> dict[str, Any]:
    """The claims of a Management API token as the server itself issues them."""
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": server.issuer,
        "sub": f"{server.client_id}@clients",
        "aud": server.audience,
        "iat": now,
        "exp": now + 3600,
        "scope": scope,
        "gty": "client-credentials",
        "azp": server.client_id,
    }
    claims.update(overrides)
    return claims


def _from_sqlite(url: str) -> tuple[str, str]:
    path = url.removeprefix("sqlite:///")
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        rows = connection.execute(_QUERY).fetchall()
    finally:
        connection.close()
    assert len(rows) == 1, f"expected one current signing key, found {len(rows)}"
    kid, pem = rows[0]
    return str(kid), str(pem)


async def _from_postgres(url: str) -> tuple[str, str]:
    connection = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://", 1))
    try:
        rows = await connection.fetch(_QUERY)
    finally:
        await connection.close()
    assert len(rows) == 1, f"expected one current signing key, found {len(rows)}"
    return str(rows[0]["kid"]), str(rows[0]["private_pem"])
