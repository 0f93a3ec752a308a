"""Which client is calling the token endpoint (RFC 6749 2.3), confidential or public."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from selfauth.domain.clients.model import Client
from selfauth.domain.clients.secrets import SecretHasher
from selfauth.oauth.credentials import ClientCredentials
from selfauth.oauth.errors import InvalidClient

_NO_DIGEST = "0" * 64


class ClientFinder(Protocol):
    async def get(self, client_id: str) -> Client | None: ...


@dataclass(frozen=True)
class AuthenticatedClient:
    client: Client
    confidential: bool  # it proved a secret; only then are its forwarded-for headers trusted


@dataclass
class ClientAuthenticator:
    clients: ClientFinder
    secrets: SecretHasher

    async def authenticate(
        self, credentials: ClientCredentials, *, allow_public: bool
    ) -> AuthenticatedClient:
        client = await self.clients.get(credentials.client_id)
        secret = credentials.client_secret
        public = client is not None and client.token_endpoint_auth_method == "none"  # noqa: S105
        if public and allow_public and secret is None:
            assert client is not None
            return AuthenticatedClient(client, confidential=False)
        # Compare against a digest even for unknown clients, so timing reveals nothing.
        digest = client.secret_hash if client is not None and not public else _NO_DIGEST
        if secret is None or not self.secrets.matches(secret, digest) or client is None:
            raise InvalidClient("Client authentication failed.")
        return AuthenticatedClient(client, confidential=True)
