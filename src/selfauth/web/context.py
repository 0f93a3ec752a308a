"""What request handlers are given: the services the composition root built."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request

from selfauth.config import Settings
from selfauth.domain.actions.rules import RuleService
from selfauth.domain.actions.service import ActionService
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
from selfauth.flows.jobs.runner import JobRunner
from selfauth.flows.password_login import PasswordLogin
from selfauth.flows.refresh import RefreshGrant
from selfauth.flows.signup import Signup
from selfauth.hooks.journal import ExecutionJournal
from selfauth.hooks.pool import QuickJsSandbox
from selfauth.oauth.jwt import TokenVerifier
from selfauth.storage.actions import SqlActionRepository
from selfauth.storage.clients import SqlClientGrantRepository, SqlClientRepository
from selfauth.storage.connections import SqlConnectionRepository
from selfauth.storage.executions import SqlExecutionRepository
from selfauth.storage.keys import SqlKeyRepository
from selfauth.storage.resource_servers import SqlResourceServerRepository
from selfauth.storage.rules import SqlRuleConfigRepository, SqlRuleRepository
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
    rules: SqlRuleRepository
    rule_configs: SqlRuleConfigRepository
    actions: SqlActionRepository
    rule_service: RuleService
    action_service: ActionService
    sandbox: QuickJsSandbox
    signup: Signup
    executions: SqlExecutionRepository
    journal: ExecutionJournal
    jobs: JobRunner


def services_of(request: Request) -> Services:
    found: Services = request.app.state.services
    return found


async def services(request: Request) -> Services:
    """The dependency form; async, so FastAPI does not hop to a thread for it."""
    return services_of(request)
