"""What request handlers are given: the services the composition root built."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request

from selfauth.config import Settings
from selfauth.domain.clients.secrets import SecretHasher
from selfauth.domain.clients.service import ClientGrantService, ClientService
from selfauth.domain.clock import Clock
from selfauth.domain.connections.service import ConnectionService
from selfauth.domain.ratelimit import TokenBuckets
from selfauth.domain.resource_servers.service import ResourceServerService
from selfauth.domain.users.service import UserService
from selfauth.flows.authorize import Authorizer
from selfauth.flows.client_auth import ClientAuthenticator
from selfauth.flows.client_credentials import ClientCredentialsGrant
from selfauth.flows.code_exchange import CodeExchange
from selfauth.flows.password_login import PasswordLogin
from selfauth.flows.refresh import RefreshGrant
from selfauth.oauth.jwt import TokenVerifier
from selfauth.storage.clients import SqlClientGrantRepository, SqlClientRepository
from selfauth.storage.connections import SqlConnectionRepository
from selfauth.storage.keys import SqlKeyRepository
from selfauth.storage.resource_servers import SqlResourceServerRepository
from selfauth.storage.sessions import SqlLoginFailureRepository


@dataclass
class Services:
    settings: Settings
    clock: Clock
    users: UserService
    clients: SqlClientRepository
    client_grants: SqlClientGrantRepository
    connections: SqlConnectionRepository
    resource_servers: SqlResourceServerRepository
    keys: SqlKeyRepository
    secrets: SecretHasher
    verifier: TokenVerifier
    client_credentials: ClientCredentialsGrant
    client_service: ClientService
    grant_service: ClientGrantService
    resource_server_service: ResourceServerService
    connection_service: ConnectionService
    rate_limits: TokenBuckets | None
    auth_rate_limits: TokenBuckets | None
    client_auth: ClientAuthenticator
    password_login: PasswordLogin
    refresh: RefreshGrant
    login_failures: SqlLoginFailureRepository
    authorizer: Authorizer
    code_exchange: CodeExchange


def services_of(request: Request) -> Services:
    found: Services = request.app.state.services
    return found


async def services(request: Request) -> Services:
    """The dependency form; async, so FastAPI does not hop to a thread for it."""
    return services_of(request)
