"""Composition root: settings -> database -> services -> FastAPI app."""

from __future__ import annotations

import asyncio
import gc
import logging
import os
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from fastapi import FastAPI

from selfauth import __version__, metrics
from selfauth.config import MIGRATED_TO, Settings, load_settings, usable_cores
from selfauth.domain.actions.rules import RuleConfigService, RuleService
from selfauth.domain.actions.service import ActionService
from selfauth.domain.admins.service import AdministratorService
from selfauth.domain.admins.sessions import AdminSessionService
from selfauth.domain.branding.service import BrandingService, PromptTextService
from selfauth.domain.changes import CLIENTS, METADATA_SCHEMAS, SIGNING_KEYS, TENANT_SETTINGS
from selfauth.domain.clients.secrets import SecretHasher
from selfauth.domain.clients.service import ClientGrantService, ClientService
from selfauth.domain.clock import Clock, utc_now
from selfauth.domain.connections.custom_database import ConfigurationBox
from selfauth.domain.connections.service import ConnectionService
from selfauth.domain.consent.service import ConsentService
from selfauth.domain.emails.liquid import Liquid
from selfauth.domain.emails.outbox import QUEUED, SENDING, RetryPolicy
from selfauth.domain.emails.provider import EmailProviderService
from selfauth.domain.emails.sealing import Sealer
from selfauth.domain.emails.templates import EmailTemplateService
from selfauth.domain.jobs.model import IMPORT
from selfauth.domain.keys.service import SigningKeyService
from selfauth.domain.logs import LogSink, NoLogs
from selfauth.domain.metadata_schemas.service import MetadataSchemaService
from selfauth.domain.passwords import PasswordHasher
from selfauth.domain.ratelimit import RateLimiter, TokenBuckets
from selfauth.domain.resource_servers.service import ResourceServerService
from selfauth.domain.tenant.settings import Configured, TenantSettingsService
from selfauth.domain.users.idp_tokens import IdpTokenBox
from selfauth.domain.users.metadata import MetadataLimits
from selfauth.domain.users.service import UserService
from selfauth.flows.account_mails import AccountMails
from selfauth.flows.authorize import Authorizer
from selfauth.flows.changes import ChangeWatcher
from selfauth.flows.client_auth import ClientAuthenticator
from selfauth.flows.client_credentials import ClientCredentialsGrant
from selfauth.flows.code_exchange import CodeExchange
from selfauth.flows.cross_origin import CrossOriginLogin
from selfauth.flows.custom_database import ScriptedDatabase
from selfauth.flows.email_links import EmailLinks
from selfauth.flows.grants import GrantRegistry
from selfauth.flows.jobs.completion import CompletionMails
from selfauth.flows.jobs.queue import CompletionNotice, JobQueue, JobSettings
from selfauth.flows.log_streams import LogStreamDelivery, LogStreamService
from selfauth.flows.login_hooks import LoginHooks
from selfauth.flows.mail_composer import MailComposer, Tenant
from selfauth.flows.mail_outbox import MailOutbox
from selfauth.flows.mail_sender import MailSender, SenderSettings
from selfauth.flows.metadata_history_retention import HistoryRetention
from selfauth.flows.origins import OriginRegistry
from selfauth.flows.password_login import PasswordLogin
from selfauth.flows.readiness import Readiness
from selfauth.flows.refresh import RefreshGrant
from selfauth.flows.signup import Signup
from selfauth.flows.tenant_logs import LogWriter
from selfauth.flows.upstream_oidc import UpstreamOidc
from selfauth.flows.upstream_signin import UpstreamSignIn
from selfauth.flows.user_tokens import UserTokens
from selfauth.hooks.connection_scripts import ConnectionScripts
from selfauth.hooks.journal import ExecutionJournal
from selfauth.hooks.pool import QuickJsSandbox, SandboxLimits, WorkerPool
from selfauth.hooks.runner import HookRunner
from selfauth.oauth.jwt import TokenSigner, TokenVerifier
from selfauth.storage.actions import SqlActionRepository
from selfauth.storage.admin_sessions import SqlAdminSessionRepository
from selfauth.storage.administrators import SqlAdministratorRepository
from selfauth.storage.bootstrap import BootstrapResult, bootstrap
from selfauth.storage.branding import SqlBrandingRepository, SqlPromptTextRepository
from selfauth.storage.changes import SqlChangeVersions
from selfauth.storage.clients import SqlClientGrantRepository, SqlClientRepository
from selfauth.storage.connections import SqlConnectionRepository
from selfauth.storage.database import Database
from selfauth.storage.email_settings import (
    SqlEmailProviderRepository,
    SqlEmailTemplateRepository,
)
from selfauth.storage.email_tickets import SqlEmailTicketRepository
from selfauth.storage.executions import SqlExecutionRepository
from selfauth.storage.health import newest_revision, schema_revision
from selfauth.storage.hot_records import HotRecords
from selfauth.storage.jobs import SqlJobRepository
from selfauth.storage.keys import SqlKeyRepository
from selfauth.storage.log_streams import SqlLogStreamRepository
from selfauth.storage.login_tickets import SqlLoginTicketRepository
from selfauth.storage.logs import SqlLogRepository
from selfauth.storage.mail_queue import SqlMailQueue
from selfauth.storage.metadata_history import SqlMetadataHistory
from selfauth.storage.metadata_schemas import SqlMetadataSchemaRepository
from selfauth.storage.migrate import upgrade
from selfauth.storage.outbox import SqlOutbox
from selfauth.storage.resource_servers import SqlResourceServerRepository
from selfauth.storage.rules import SqlRuleConfigRepository, SqlRuleRepository
from selfauth.storage.sessions import (
    SqlCodeRepository,
    SqlLoginFailureRepository,
    SqlRefreshTokenRepository,
    SqlSessionRepository,
)
from selfauth.storage.tenant_settings import SqlTenantSettingsRepository
from selfauth.storage.user_grants import SqlUserGrantRepository
from selfauth.storage.users import SqlUserRepository
from selfauth.web import admin, errors, health, openapi, route_index
from selfauth.web import metrics as metrics_page
from selfauth.web.admin import signin as admin_signin
from selfauth.web.authentication import (
    change_password,
    client_script,
    cross_origin,
    signup,
    token,
    userinfo,
    wellknown,
)
from selfauth.web.authentication.token_lane import Layer, TokenLane
from selfauth.web.context import Services
from selfauth.web.cors import CorsLayer
from selfauth.web.guards import RequestGuard
from selfauth.web.management import jobs as management_jobs
from selfauth.web.management import router as management
from selfauth.web.management.audit import ApiAudit
from selfauth.web.metrics import RequestMetrics
from selfauth.web.pages import api_docs, email_links, hosted_login, try_page
from selfauth.web.pages import authorize as pages

if TYPE_CHECKING:
    from redis.asyncio import Redis

log = logging.getLogger("selfauth")


async def prepare(
    database: Database, settings: Settings, clock: Clock, *, migrate: bool = True
) -> BootstrapResult:
    """Migrate (unless `serve` did before starting its workers), then make sure the tenant's
    first-start records exist."""
    if migrate:
        await upgrade(database)
    return await bootstrap(
        database,
        audience=settings.management_audience,
        clock=clock,
        client_id=settings.bootstrap_client_id,
        client_secret=settings.bootstrap_client_secret,
        default_app_callback=try_page.callback_url(settings.issuer_url),
        dashboard_callback=admin_signin.callback_url(settings.issuer_url),
    )


@dataclass(frozen=True)
class Running:
    """What the server runs beside its handlers: the sandbox's workers, the executions
    journal's writer, the job queue's tasks and the outbox's sender, started together and
    stopped in reverse (each stop is safe on a part that never started)."""

    services: Services
    origins: OriginRegistry
    jobs: JobQueue
    journal: ExecutionJournal
    sandbox: QuickJsSandbox
    mail_sender: MailSender
    script_sandbox: QuickJsSandbox  # connection scripts' workers, started as they are needed
    logs: LogWriter  # the tenant logs' writer: flushed last, after every part that logs stopped
    log_streams: LogStreamDelivery  # sends the logs to the log streams; stopped first
    changes: ChangeWatcher  # reloads what another process or node changed
    redis: Redis | None  # the shared rate limits' client, when SELFAUTH_REDIS_URL is set
    history_retention: HistoryRetention | None  # None: the metadata history is kept for ever

    async def start(self) -> None:
        await self.services.tenant.load()  # the pages' default language, read per request
        await self.services.metadata_schemas.load()  # checked on every metadata write
        self.changes.start()
        await self.sandbox.pool.start()  # every worker now, so the first logins do not wait
        self.journal.start()
        self.logs.start()
        self.log_streams.start()
        await self.jobs.start()
        await self.mail_sender.start()
        if self.history_retention is not None:
            self.history_retention.start()

    async def stop(self) -> None:
        await self.changes.stop()
        if self.history_retention is not None:
            await self.history_retention.stop()
        await self.log_streams.stop()  # first: a stop spends no time posting (cursors kept)
        await self.services.upstream.close()
        await self.mail_sender.stop()
        await self.jobs.stop()
        await self.journal.close()
        await self.sandbox.pool.close()
        await self.script_sandbox.pool.close()
        await self.logs.close()
        if self.redis is not None:
            await self.redis.aclose()


def migrate_for_workers(settings: Settings) -> str:
    """`serve --workers N`: migrate once, in the supervising process before any worker
    starts, and return the revision for the workers (config.MIGRATED_TO), so that no worker
    loads Alembic and Mako (11 MB of each one's memory, for work done once)."""

    async def run() -> None:
        database = Database(settings.database, connections=settings.database_connections)
        try:
            await upgrade(database)
        finally:
            await database.dispose()

    asyncio.run(run())
    return newest_revision()


async def build_services(
    database: Database, settings: Settings, clock: Clock, *, newest: str | None = None
) -> Running:
    """`newest`: the schema revision this code expects, when already known (MIGRATED_TO)."""
    shared = None
    if settings.redis_url:
        # redis is imported only when configured: 7 MB of every worker's memory otherwise.
        from selfauth.storage.redis_buckets import redis_client

        shared = redis_client(settings.redis_url, settings.redis_timeout_seconds)
    change_versions = SqlChangeVersions(database)
    versions_at_start = await change_versions.read()  # before anything is loaded
    keys = SqlKeyRepository(database)
    published = await keys.published()
    server_key = await keys.hmac_key()
    secrets = SecretHasher(server_key)
    idp_tokens = IdpTokenBox(server_key)
    users = SqlUserRepository(database, history=settings.metadata_history)
    hot = HotRecords()  # what token requests read by key; cleared on any change
    clients = SqlClientRepository(database, hot, history=settings.metadata_history)
    origins = OriginRegistry(clients)  # the CORS layer's; told of each change (watch)
    grants = SqlClientGrantRepository(database, hot)
    connections = SqlConnectionRepository(database)
    resource_servers = SqlResourceServerRepository(database, hot)
    verifier = TokenVerifier(
        keys.published, issuer=settings.issuer_url, leeway=settings.token_leeway_seconds
    )
    await verifier.refresh_keys()
    # Threads only for cores no worker process has (one process on a larger machine).
    cores = usable_cores()
    signer = TokenSigner(published[0], threads=cores if cores > settings.worker_count else 0)

    async def keys_changed() -> None:
        """A rotation or revocation through this process: sign with the new current key and
        trust exactly the published ones, at once."""
        signer.use((await keys.published())[0])
        await verifier.refresh_keys()

    signing_keys = SigningKeyService(keys, clock, keys_changed)
    hasher = PasswordHasher(settings.bcrypt_cost)
    failures = SqlLoginFailureRepository(database)
    refresh_tokens = SqlRefreshTokenRepository(database)
    codes = SqlCodeRepository(database)
    rules = SqlRuleRepository(database)
    rule_configs = SqlRuleConfigRepository(database)
    actions = SqlActionRepository(database)
    limits = SandboxLimits(
        call_seconds=settings.hook_script_seconds,
        total_seconds=settings.hook_trigger_seconds,
        memory_bytes=settings.hook_memory_mb << 20,
        log_chars=settings.hook_log_chars,
    )
    sandbox = QuickJsSandbox(WorkerPool(settings.hook_workers, limits))
    # Connection scripts hold their worker while their requests are out (bench/RESULTS.md: a
    # pool of 2 caps logins at 2 / the provider's latency), so they get workers of their own,
    # started on first use: a slow provider or legacy store never holds up Rules and Actions.
    script_sandbox = QuickJsSandbox(WorkerPool(settings.connection_script_workers, limits))
    connection_scripts = ConnectionScripts(script_sandbox, settings.upstream_timeout_seconds)
    configuration_box = ConfigurationBox(server_key)
    metadata_schemas = MetadataSchemaService(
        SqlMetadataSchemaRepository(database), connections, users, clock
    )
    user_service = UserService(
        users,
        connections,
        hasher,
        metadata_limits(settings),
        clock,
        ScriptedDatabase(connection_scripts, configuration_box, settings.tenant),
        metadata_schemas,
    )
    journal = ExecutionJournal(SqlExecutionRepository(database), clock)
    logs = LogWriter(
        SqlLogRepository(database),
        clock,
        retention=timedelta(days=settings.log_retention_days),
        enabled=settings.logs,
        interval=settings.log_flush_seconds,
    )
    stream_store = SqlLogStreamRepository(database)
    stream_sealer = Sealer(server_key, b"selfauth log stream authorization v1")
    metadata_history = SqlMetadataHistory(database)
    history_retention = (
        HistoryRetention(
            metadata_history,
            clock,
            timedelta(days=settings.metadata_history_days),
            settings.metadata_history_purge_seconds,
        )
        if settings.metadata_history_days
        else None
    )
    stream_delivery = LogStreamDelivery(
        stream_store,
        stream_sealer,
        clock,
        logs.flush,
        poll=settings.log_stream_poll_seconds,
        timeout=settings.log_stream_timeout_seconds,
        retry=settings.log_stream_retry_seconds,
        retry_max=settings.log_stream_retry_max_seconds,
        suspend_failures=settings.log_stream_suspend_failures,
        suspend_seconds=settings.log_stream_suspend_seconds,
    )
    hook_runner = HookRunner(
        sandbox, rules, rule_configs, actions, journal, tenant=settings.issuer_url, clock=clock
    )
    login_hooks = LoginHooks(hook_runner, user_service, connections)
    user_tokens = UserTokens(
        signer,
        refresh_tokens,
        resource_servers,
        grants,
        secrets,
        settings.issuer_url,
        settings.management_audience,
        clock,
    )
    client_credentials = ClientCredentialsGrant(
        grants,
        resource_servers,
        signer,
        settings.issuer_url,
        clock,
        settings.management_audience,
        hook_runner,
    )
    branding = BrandingService(SqlBrandingRepository(database), clock)
    emails = Emails.build(database, settings, clock, server_key, branding, logs)
    links = EmailLinks(
        SqlEmailTicketRepository(database),
        user_service,
        connections,
        hasher,
        secrets,
        clock,
        settings.issuer_url,
    )
    account_mails = AccountMails(
        emails.composer,
        emails.templates,
        links,
        SqlMailQueue(database),
        clients,
        connections,
        user_service,
        SqlJobRepository(database, history=settings.metadata_history),
        clock,
        emails.sender.wake,
        logs,
    )
    password_login = PasswordLogin(
        connections,
        users,
        failures,
        hasher,
        user_tokens,
        settings.default_directory,
        clock,
        login_hooks,
        account_mails,  # a brute-force block mails the user an unblock link
        user_service,  # custom database connections' login scripts
        logs,
    )
    refresh = RefreshGrant(refresh_tokens, users, user_tokens, secrets, clock, login_hooks)
    code_exchange = CodeExchange(codes, refresh_tokens, users, user_tokens, secrets, clock)
    jobs = job_queue(database, connections, secrets, settings, clock, emails.sender.wake)
    services = Services(
        settings=settings,
        clock=clock,
        secrets=secrets,
        verifier=verifier,
        management_rate_limits=_buckets(
            settings.management_rate_limit,
            settings.management_rate_burst,
            shared,
            f"selfauth:ratelimit:{settings.issuer_url}:management:",
        ),
        auth_rate_limits=_buckets(
            settings.auth_rate_limit,
            settings.auth_rate_burst,
            shared,
            f"selfauth:ratelimit:{settings.issuer_url}:authentication:",
        ),
        users=user_service,
        user_blocks=failures,
        clients=ClientService(
            origins.watch(clients),
            secrets,
            clock,
            connections if settings.enable_client_connections else None,
        ),
        client_grants=ClientGrantService(grants, clients, resource_servers),
        connections=ConnectionService(connections, clock, configuration_box),
        resource_servers=ResourceServerService(resource_servers, clock),
        rules=RuleService(rules, sandbox, clock),
        rule_configs=RuleConfigService(rule_configs, clock),
        actions=ActionService(actions, sandbox, clock, hook_runner),
        executions=journal,
        jobs=jobs,
        signing_keys=signing_keys,
        email_provider=emails.provider,
        email_templates=emails.templates,
        mail_outbox=emails.outbox,
        branding=branding,
        prompts=PromptTextService(SqlPromptTextRepository(database), clock),
        tenant=TenantSettingsService(
            SqlTenantSettingsRepository(database),
            Configured(
                friendly_name=settings.tenant_friendly_name,
                support_email=settings.tenant_support_email,
                support_url=settings.tenant_support_url,
            ),
            clock,
        ),
        consent=ConsentService(SqlUserGrantRepository(database), resource_servers, clock),
        administrators=AdministratorService(SqlAdministratorRepository(database), clock),
        admin_sessions=AdminSessionService(
            SqlAdminSessionRepository(database),
            secrets,
            clock,
            timedelta(seconds=settings.admin_session_seconds),
            timedelta(seconds=settings.admin_idle_seconds),
        ),
        logs=logs,
        log_streams=LogStreamService(stream_store, stream_sealer, clock, stream_delivery.changed),
        metadata_history=metadata_history,
        readiness=Readiness(
            partial(schema_revision, database), newest or newest_revision(), sandbox
        ),
        client_auth=ClientAuthenticator(clients, secrets),
        grants=GrantRegistry([client_credentials, password_login, refresh, code_exchange], logs),
        password_login=password_login,
        refresh=refresh,
        authorizer=Authorizer(
            clients,
            connections,
            users,
            codes,
            SqlSessionRepository(database),
            secrets,
            clock,
            settings.default_directory,
            settings.allow_plain_pkce,
            login_hooks,
            user_tokens,
        ),
        signup=Signup(user_service, clients, hook_runner, account_mails, logs=logs),
        cross_origin=CrossOriginLogin(
            clients,
            users,
            SqlLoginTicketRepository(database),
            password_login,
            secrets,
            clock,
            timedelta(seconds=settings.login_ticket_ttl_seconds),
            logs,
        ),
        email_links=links,
        account_mails=account_mails,
        upstream=UpstreamSignIn(
            UpstreamOidc(settings.upstream_timeout_seconds),
            connection_scripts,
            idp_tokens,
            clock,
        ),
        idp_tokens=idp_tokens,
        metadata_schemas=metadata_schemas,
    )

    async def clients_changed() -> None:
        origins.invalidate()
        hot.clear()

    changes = ChangeWatcher(
        change_versions.read,
        {
            SIGNING_KEYS: keys_changed,
            CLIENTS: clients_changed,
            TENANT_SETTINGS: services.tenant.load,
            METADATA_SCHEMAS: metadata_schemas.load,
        },
        seen=versions_at_start,
        interval=settings.changes_poll_seconds,
    )
    return Running(
        services,
        origins,
        jobs,
        journal,
        sandbox,
        emails.sender,
        script_sandbox,
        logs,
        stream_delivery,
        changes,
        shared,
        history_retention,
    )


@dataclass(frozen=True)
class Emails:
    """The provider and templates (Management API), the composer the flows mail with, and
    the outbox's sender (docs/emails.md)."""

    provider: EmailProviderService
    templates: EmailTemplateService
    composer: MailComposer
    sender: MailSender
    outbox: MailOutbox

    @classmethod
    def build(
        cls,
        database: Database,
        settings: Settings,
        clock: Clock,
        key: bytes,
        branding: BrandingService | None = None,
        logs: LogSink | None = None,
    ) -> Emails:
        liquid = Liquid()
        provider = EmailProviderService(SqlEmailProviderRepository(database, Sealer(key)), clock)
        templates = EmailTemplateService(SqlEmailTemplateRepository(database), liquid, clock)
        tenant = Tenant(
            name=settings.tenant,
            friendly_name=settings.tenant_friendly_name or settings.tenant,
            support_email=settings.tenant_support_email,
            support_url=settings.tenant_support_url,
            from_address=settings.email_from_address,
        )
        sender = MailSender(
            SqlOutbox(database), provider, sender_settings(settings), clock, logs or NoLogs()
        )
        outbox = MailOutbox(SqlOutbox(database), sender, clock)
        composer = MailComposer(templates, provider, liquid, tenant, branding)
        return cls(provider, templates, composer, sender, outbox)


def sender_settings(settings: Settings) -> SenderSettings:
    return SenderSettings(
        poll_seconds=settings.mail_poll_seconds,
        timeout_seconds=settings.mail_timeout_seconds,
        lease_seconds=settings.mail_lease_seconds,
        retry=RetryPolicy(
            max_attempts=settings.mail_max_attempts,
            first_delay=timedelta(seconds=settings.mail_retry_seconds),
            cap=timedelta(seconds=settings.mail_retry_max_seconds),
        ),
        tls_ca_file=settings.mail_tls_ca_file,
        keep=timedelta(days=settings.mail_keep_days) if settings.mail_keep_days else None,
    )


def job_queue(
    database: Database,
    connections: SqlConnectionRepository,
    secrets: SecretHasher,
    settings: Settings,
    clock: Clock,
    wake_sender: Callable[[], None] | None = None,
) -> JobQueue:
    """`wake_sender` wakes the server's mail sender for an import's completion mail; the CLI's
    imports have none, and their mail waits for a running server's sender to look."""
    job_settings = JobSettings(
        directory=Path(settings.jobs_path),
        max_concurrent=settings.max_concurrent_jobs,
        link_ttl_seconds=settings.export_url_ttl_seconds,
        metadata=metadata_limits(settings),
    )
    repo = SqlJobRepository(database, history=settings.metadata_history)
    completion = None
    if settings.tenant_admin_email:
        mails = CompletionMails(
            settings.tenant_admin_email, settings.email_from_address, settings.tenant
        )
        completion = CompletionNotice(mails, wake_sender or _nothing)
    # Its own copy of the schemas, read afresh as each import starts (a CLI import has no
    # change watcher).
    schemas = MetadataSchemaService(
        SqlMetadataSchemaRepository(database), connections, SqlUserRepository(database), clock
    )
    return JobQueue(
        repo, connections, secrets, job_settings, settings.issuer_url, clock, completion, schemas
    )


def _nothing() -> None:
    pass


def metadata_limits(settings: Settings) -> MetadataLimits:
    return MetadataLimits(settings.metadata_max_bytes, settings.metadata_max_depth)


def _buckets(rate: float, burst: int, shared: Redis | None, prefix: str) -> RateLimiter | None:
    """The limit's buckets: in Redis when one is configured (every process and node counts
    together), else this process's own; None when the limit is off."""
    if rate <= 0:
        return None
    if shared is None:
        return TokenBuckets(rate, burst)
    from selfauth.storage.redis_buckets import RedisBuckets

    return RedisBuckets(shared, prefix, rate, burst)


def app_from_environment() -> FastAPI:
    """A worker process's app (`selfauth serve --workers N`): its settings come from the
    environment, where `serve` put the command line's options before starting the workers."""
    return create_app(load_settings(), utc_now, migrated_to=os.environ.get(MIGRATED_TO))


def create_app(
    settings: Settings, clock: Clock = utc_now, *, migrated_to: str | None = None
) -> FastAPI:
    """`migrated_to`: the revision the database was migrated to before this process started
    (a worker of `serve --workers N`): it then skips the migration."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        database = Database(
            settings.database,
            connections=settings.database_connections,
            background_checkpoints=True,
        )
        try:
            result = await prepare(database, settings, clock, migrate=migrated_to is None)
            database.start_checkpoints()
            if result.new_secret is not None:
                _announce_credentials(settings, result)
            if result.previous_client_id is not None:
                log.warning(
                    "the bootstrap client changed; the previous one (%s) still exists with every "
                    "Management API scope: delete it if nothing uses it",
                    result.previous_client_id,
                )
            running = await build_services(database, settings, clock, newest=migrated_to)
            app.state.services = running.services
            app.state.origins = running.origins
            app.state.metrics_scrape = metrics_scrape(database, running)
            app.state.default_app_id = result.default_app_id  # the try page signs in as it
            app.state.dashboard_app_id = result.dashboard_app_id  # /admin signs in as it
            # Start-up objects (tables, routes, keys) live for the whole process: keep them out
            # of the collector's way, which shortens the pauses that make latency tails.
            gc.collect()
            gc.freeze()
            try:
                await running.start()
                async with metrics.refreshed_while_serving(app.state.metrics_scrape):
                    yield
            finally:
                await running.stop()
        finally:
            await database.dispose()

    app = FastAPI(
        title="selfauth",
        version=__version__,
        lifespan=lifespan,
        docs_url=None,  # web/pages/api_docs.py serves /docs with local assets
        redoc_url=None,
        # selfauth configures no OpenTelemetry provider; with nothing to report, FastAPI's
        # per-request check for one is pure overhead on every request.
        telemetry={"tracing": False, "metrics": False, "logs": False},
    )
    errors.install(app)
    openapi.install(app)  # /openapi.json: bodies and errors as the handlers read and send them
    if settings.logs:  # innermost: the Management API's writes as sapi/fapi log events
        app.add_middleware(ApiAudit)
    layers: list[Layer] = [
        (CorsLayer, {}),  # inside the guard: error answers get CORS headers too
        (RequestGuard, {"body_seconds": settings.body_timeout_seconds}),
    ]
    if settings.metrics:  # outermost: the guard's own answers are counted too
        layers.append((RequestMetrics, {}))
    for layer, options in layers:
        app.add_middleware(layer, **options)
    # The token endpoint's shorter lane through the same layers (token_lane.py says why).
    app.add_middleware(TokenLane, layers=layers)
    # The route index (web/route_index.py) asks only the routers a path can match, in this
    # order; the full scan it falls back to (404, 405, redirects) goes in this order too.
    app.include_router(token.router)
    for router in management.ROUTERS:
        # Every operation there checks a bearer token and charges a rate limit.
        app.include_router(router, prefix=management.PREFIX, responses=openapi.MANAGEMENT_COMMON)
    app.include_router(wellknown.router)
    app.include_router(health.router)
    app.include_router(metrics_page.router)
    app.include_router(userinfo.router)
    app.include_router(signup.router)
    app.include_router(change_password.router)
    app.include_router(cross_origin.router)
    app.include_router(client_script.router)
    app.include_router(pages.router)
    app.include_router(hosted_login.router)
    app.include_router(email_links.router)
    app.include_router(api_docs.router)
    app.include_router(try_page.router)
    app.include_router(management_jobs.download_router)
    admin.install(app)
    route_index.install(app.router)  # last: it reads every route
    return app


def metrics_scrape(database: Database, running: Running) -> metrics.Scrape:
    """What /metrics reads when it is read: the outbox's waiting mails (one indexed count per
    status), this process's running jobs, and the pool's in-memory counters."""
    outbox = SqlOutbox(database)

    async def outbox_depth() -> int:
        waiting = 0
        for status in (QUEUED, SENDING):
            waiting += (await outbox.listing(status=status, limit=0))[1]
        return waiting

    async def running_jobs() -> list[metrics.JobProgress]:
        jobs = await running.jobs.running()
        # An import counts rows read; an export's progress is the users it has written.
        return [
            metrics.JobProgress(
                job.type, job.rows_done if job.type == IMPORT else job.progress_done
            )
            for job in jobs
        ]

    return metrics.Scrape(outbox_depth, running_jobs, database.pool_use)


def _announce_credentials(settings: Settings, result: BootstrapResult) -> None:
    # Printed once, on the start that created them; only the HMAC digest is stored.
    print(
        "\nCreated the administrator client (shown once, store it now):\n"
        f"  client_id:     {result.client_id}\n"
        f"  client_secret: {result.new_secret}\n"
        f"  audience:      {settings.management_audience}\n",
        flush=True,
    )
