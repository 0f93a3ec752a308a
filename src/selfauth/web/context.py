"""What request handlers are given: the services the composition root built.

Each field is a domain service, a flow or a narrow Protocol, named for what it serves
(`clients` is the client service, never a repository), so a handler can only parse, call
and render. Repositories, worker pools and background tasks stay in `app.py`.
"""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request

from selfauth.config import Settings
from selfauth.domain.actions.rules import RuleConfigService, RuleService
from selfauth.domain.actions.service import ActionService
from selfauth.domain.admins.service import AdministratorService
from selfauth.domain.admins.sessions import AdminSessionService
from selfauth.domain.branding.service import BrandingService, PromptTextService
from selfauth.domain.clients.secrets import SecretHasher
from selfauth.domain.clients.service import ClientGrantService, ClientService
from selfauth.domain.clock import Clock
from selfauth.domain.connections.service import ConnectionService
from selfauth.domain.consent.service import ConsentService
from selfauth.domain.emails.provider import EmailProviderService
from selfauth.domain.emails.templates import EmailTemplateService
from selfauth.domain.keys.service import SigningKeyService
from selfauth.domain.logins import LoginBlocks
from selfauth.domain.metadata_history import MetadataHistory
from selfauth.domain.metadata_schemas.service import MetadataSchemaService
from selfauth.domain.ratelimit import RateLimiter
from selfauth.domain.resource_servers.service import ResourceServerService
from selfauth.domain.tenant.settings import TenantSettingsService
from selfauth.domain.users.idp_tokens import IdpTokenBox
from selfauth.domain.users.service import UserService
from selfauth.flows.account_mails import AccountMails
from selfauth.flows.authorize import Authorizer
from selfauth.flows.client_auth import ClientAuthenticator
from selfauth.flows.cross_origin import CrossOriginLogin
from selfauth.flows.email_links import EmailLinks
from selfauth.flows.grants import GrantRegistry
from selfauth.flows.jobs.queue import JobQueue
from selfauth.flows.log_streams import LogStreamService
from selfauth.flows.mail_outbox import MailOutbox
from selfauth.flows.password_login import PasswordLogin
from selfauth.flows.readiness import Readiness
from selfauth.flows.refresh import RefreshGrant
from selfauth.flows.signup import Signup
from selfauth.flows.tenant_logs import LogWriter
from selfauth.flows.upstream_signin import UpstreamSignIn
from selfauth.hooks.journal import ExecutionJournal
from selfauth.oauth.jwt import TokenVerifier


@dataclass(frozen=True)
class Services:
    settings: Settings
    clock: Clock
    secrets: SecretHasher  # seals the login page's transaction and CSRF token
    verifier: TokenVerifier  # bearer tokens of both APIs
    management_rate_limits: RateLimiter | None  # per caller; None when turned off
    auth_rate_limits: RateLimiter | None  # per client address; None when turned off

    # The Management API: one service per resource.
    users: UserService
    user_blocks: LoginBlocks
    clients: ClientService
    client_grants: ClientGrantService
    connections: ConnectionService
    resource_servers: ResourceServerService
    rules: RuleService
    rule_configs: RuleConfigService
    actions: ActionService
    executions: ExecutionJournal
    jobs: JobQueue
    signing_keys: SigningKeyService  # the JWKS, and /api/v2/keys/signing
    email_provider: EmailProviderService  # /api/v2/emails/provider; the sender's SMTP settings
    email_templates: EmailTemplateService
    mail_outbox: MailOutbox  # queued mails: their listing (ours), and waking the sender
    branding: BrandingService  # /api/v2/branding and its page template; what the pages apply
    prompts: PromptTextService  # the prompts' custom text
    tenant: TenantSettingsService  # /api/v2/tenants/settings (enabled_locales)
    consent: ConsentService  # users' grants: /authorize's consent screen and /api/v2/grants
    administrators: AdministratorService  # who may use the dashboard (/admin)
    admin_sessions: AdminSessionService  # the dashboard's sign-ins
    readiness: Readiness  # /readyz: the database and the sandbox answer
    logs: LogWriter  # the tenant logs: flows' events queued, /api/v2/logs read
    log_streams: LogStreamService  # /api/v2/log-streams (delivery: app.py's Running)
    metadata_history: MetadataHistory  # who changed which metadata key (our addition)
    metadata_schemas: MetadataSchemaService  # /api/v2/metadata-schemas (ours), held by users

    # The Authentication API: the flows of a sign-in.
    client_auth: ClientAuthenticator
    grants: GrantRegistry  # /oauth/token's grant types
    password_login: PasswordLogin  # the login page checks passwords as the password grant does
    refresh: RefreshGrant  # /oauth/revoke ends refresh-token families
    authorizer: Authorizer
    signup: Signup
    cross_origin: CrossOriginLogin  # /co/authenticate and the tickets /authorize redeems
    email_links: EmailLinks  # verification and password-change links, made and followed
    account_mails: AccountMails  # verification, reset and welcome mails, queued and sent
    upstream: UpstreamSignIn  # sign-in at upstream providers (oidc, oauth2, social presets)
    idp_tokens: IdpTokenBox  # opens identities' provider tokens for read:user_idp_tokens


def services_of(request: Request) -> Services:
    found: Services = request.app.state.services
    return found


async def services(request: Request) -> Services:
    """The dependency form; async, so FastAPI does not hop to a thread for it."""
    return services_of(request)
