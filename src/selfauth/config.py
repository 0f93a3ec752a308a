"""Typed settings read from `SELFAUTH_*` environment variables and validated at start."""

from __future__ import annotations

import ipaddress
import os
import ssl
from dataclasses import dataclass
from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from selfauth.errors import ConfigurationError

DEFAULT_DATABASE_URL = "sqlite:///selfauth.db"


@dataclass(frozen=True)
class DatabaseURL:
    """A user-facing database URL and the SQLAlchemy URL we drive it with."""

    dialect: Literal["sqlite", "postgresql"]
    public: str
    sqlalchemy: str


# Set by `selfauth serve --workers N` for its workers: the schema revision it migrated the
# database to before starting them, so that they neither migrate nor load Alembic.
MIGRATED_TO = "SELFAUTH_MIGRATED_TO"


def usable_cores() -> int:
    """The CPUs this process may run on (a `taskset` or a container's cpuset narrows them),
    not every CPU of the machine."""
    try:
        return len(os.sched_getaffinity(0)) or 1
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def parse_database_url(url: str) -> DatabaseURL:
    """Map `sqlite:///file.db` and `postgresql://...` to the drivers we use."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        raise ValueError("expected sqlite:///path/file.db or postgresql://user@host:port/db")
    scheme = scheme.lower()
    if scheme in ("sqlite", "sqlite+pysqlite"):
        if not rest.startswith("/") or rest == "/":
            raise ValueError("a SQLite URL names a file: sqlite:///path/file.db")
        return DatabaseURL("sqlite", url, f"sqlite+pysqlite://{rest}")
    if scheme in ("postgresql", "postgres", "postgresql+asyncpg"):
        if not urlsplit(f"postgresql://{rest}").hostname:
            raise ValueError("a PostgreSQL URL names a host: postgresql://user@host:port/db")
        return DatabaseURL("postgresql", url, f"postgresql+asyncpg://{rest}")
    raise ValueError(f"unsupported scheme {scheme!r}: use sqlite:/// or postgresql://")


def parse_trusted_proxies(value: str) -> list[str]:
    """`10.0.0.1, 10.1.0.0/16, ::1` -> normalised addresses and networks; a host name, `*` or
    anything else that is not an IP address or a CIDR network is refused."""
    found: list[str] = []
    for item in (part.strip() for part in value.split(",")):
        if not item:
            continue
        try:
            if "/" in item:
                found.append(str(ipaddress.ip_network(item, strict=False)))
            else:
                found.append(str(ipaddress.ip_address(item)))
        except ValueError:
            raise ValueError(
                f"{item!r} is not an IP address or CIDR network "
                "(expected a comma-separated list such as 10.0.0.5,10.1.0.0/16)"
            ) from None
    return found


class Settings(BaseSettings):
    """Everything the server can be told; one instance is built at start and passed down."""

    model_config = SettingsConfigDict(env_prefix="SELFAUTH_", extra="ignore")

    database_url: str = DEFAULT_DATABASE_URL
    # At most this many connections to PostgreSQL per process (docs/operations.md): processes
    # times this must stay under the server's max_connections. Requests beyond it wait.
    database_connections: int = Field(default=30, ge=3, le=10_000)
    issuer: str | None = None
    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=1, le=65535)
    # Server processes sharing the port (uvicorn's supervisor restarts one that dies); each
    # keeps its own caches, kept current through the change versions (docs/deployment.md).
    # Unset: one per core.
    workers: int | None = Field(default=None, ge=1, le=64)
    # client ids are stored in a VARCHAR(64) column (storage/tables.py)
    bootstrap_client_id: str | None = Field(default=None, min_length=8, max_length=64)
    bootstrap_client_secret: str | None = Field(default=None, min_length=16, max_length=256)
    bcrypt_cost: int = Field(default=10, ge=4, le=15)
    metadata_max_bytes: int = Field(default=16_384, ge=256, le=1_048_576)
    metadata_max_depth: int = Field(default=10, ge=1, le=64)
    max_body_bytes: int = Field(default=1_048_576, ge=1024)
    token_leeway_seconds: int = Field(default=10, ge=0, le=300)
    # The database connection the plain `password` grant signs users in with (Auth0's
    # tenant "default directory").
    default_directory: str = "Username-Password-Authentication"
    # A new application is enabled for every existing connection, as Auth0's tenant flag
    # `enable_client_connections` (on by default) does; off: enabled for none until a
    # connection's `enabled_clients` names it.
    enable_client_connections: bool = True
    # PKCE's `plain` method sends the verifier in the clear; refused unless turned on.
    allow_plain_pkce: bool = False
    # Management API requests per second per caller (0 turns the limit off), and the burst.
    management_rate_limit: float = Field(default=50.0, ge=0)
    management_rate_burst: int = Field(default=100, ge=1)
    # Authentication API requests per second per client address (0: off), and the burst.
    # Behind a reverse proxy not named in `trusted_proxies`, every request comes from the
    # proxy's address: name it there (or raise these).
    auth_rate_limit: float = Field(default=300.0, ge=0)
    auth_rate_burst: int = Field(default=600, ge=1)
    # User search: how far page/per_page may reach (Auth0: 1000); from/take walks further.
    search_max_results: int = Field(default=1000, ge=1, le=1_000_000)
    # Rules and Actions: sandbox worker processes, the wall-clock limit of one script and of a
    # whole trigger (Auth0's 20 s), the engine's memory cap, and console output kept per script.
    hook_workers: int = Field(default=2, ge=1, le=64)
    hook_script_seconds: float = Field(default=5.0, gt=0, le=300)
    hook_trigger_seconds: float = Field(default=20.0, gt=0, le=300)
    hook_memory_mb: int = Field(default=64, ge=8, le=1024)
    hook_log_chars: int = Field(default=4096, ge=0, le=1_048_576)
    # Connection scripts (fetchUserProfile, custom databases): worker processes of their own,
    # each held while its script's requests are out; same time and memory limits as hooks.
    connection_script_workers: int = Field(default=4, ge=1, le=64)
    # Import and export jobs: where their files live (default: `jobs/` beside a SQLite file,
    # `./selfauth-jobs` with PostgreSQL), how many run at once, the largest import upload,
    # and how long an export's download link works.
    jobs_dir: str | None = None
    max_concurrent_jobs: int = Field(default=2, ge=1, le=64)
    max_import_bytes: int = Field(default=10 * 1024**3, ge=1024)
    export_url_ttl_seconds: int = Field(default=60, ge=1, le=86_400)
    # How long a cross-origin login ticket (`/co/authenticate`) waits for its `/authorize`.
    login_ticket_ttl_seconds: int = Field(default=300, ge=1, le=3600)
    # The dashboard's sign-ins (/admin): at most this long in all, and ended after this long
    # without a request.
    admin_session_seconds: int = Field(default=8 * 3600, ge=60, le=7 * 86_400)
    admin_idle_seconds: int = Field(default=30 * 60, ge=60, le=7 * 86_400)
    # Reverse proxies whose X-Forwarded-For / X-Forwarded-Proto are believed: comma-separated
    # addresses or CIDR networks. None by default, so no client picks its own address (the
    # brute-force block and the per-address limits key by it).
    trusted_proxies: str = ""
    # Slow clients: how long a connection may take to send a request's headers (from its
    # opening, or from the end of the previous answer), how long a request body may stay idle
    # between two chunks (then 408), and how many connections may be open before requests
    # are answered 503.
    header_timeout_seconds: float = Field(default=10.0, gt=0, le=3600)
    body_timeout_seconds: float = Field(default=30.0, gt=0, le=3600)
    max_connections: int = Field(default=1000, ge=2, le=1_000_000)
    # HTTPS without a reverse proxy: a PEM certificate (chain) file and its private key's PEM
    # file, both or neither. With them the derived issuer is https://host:port/.
    tls_cert_file: str | None = None
    tls_key_file: str | None = None
    # What email templates read as `tenant`, `friendly_name`, `support_email` and
    # `support_url` (the tenant name defaults to the issuer's host), and the From address of
    # last resort (after the template's `from` and the provider's `default_from_address`;
    # default no-reply@ the issuer's host).
    tenant_name: str | None = Field(default=None, max_length=255)
    tenant_friendly_name: str | None = Field(default=None, max_length=255)
    tenant_support_email: str | None = Field(default=None, max_length=320)
    # How long a call to an upstream identity provider (discovery, JWKS, token) may take.
    upstream_timeout_seconds: float = Field(default=10.0, gt=0, le=120)
    # Where import jobs with `send_completion_email` report (Auth0 mails the tenant's admins).
    tenant_admin_email: str | None = Field(default=None, max_length=320)
    tenant_support_url: str | None = Field(default=None, max_length=2048)
    email_from: str | None = Field(default=None, max_length=320)
    # Email delivery (docs/emails.md): how often the sender looks for mails another process
    # queued, the SMTP timeout of one command, how long a sender's claim on a mail lasts (at
    # least 5 timeouts + 2 s: a delivery ends before its claim runs out), how many tries before
    # a mail is given up, the first retry's delay and the backoff's cap, and a PEM bundle of
    # CAs trusted beside the system's (a private relay's certificate).
    mail_poll_seconds: float = Field(default=5.0, gt=0, le=3600)
    mail_timeout_seconds: float = Field(default=20.0, gt=0, le=600)
    mail_lease_seconds: float = Field(default=120.0, gt=0, le=86_400)
    mail_max_attempts: int = Field(default=15, ge=1, le=100)
    mail_retry_seconds: float = Field(default=10.0, gt=0, le=86_400)
    mail_retry_max_seconds: float = Field(default=3600.0, gt=0, le=7 * 86_400)
    mail_tls_ca_file: str | None = None
    # Days a sent, failed or held mail is kept (bodies and all) before the sender deletes it;
    # 0 keeps every mail.
    mail_keep_days: int = Field(default=30, ge=0, le=36_500)
    # Tenant logs (/api/v2/logs): days kept (the writer deletes older ones now and then), how
    # often the writer stores what has gathered, and `off` to record none
    # (bench/logging_cost.py measures what they cost).
    log_retention_days: int = Field(default=30, ge=1, le=36_500)
    # The metadata history (GET /api/v2/users/{id}/metadata-history): `off` records none;
    # days an entry is kept, 0 for ever, fractions allowed; older entries are deleted every
    # `purge_seconds`.
    metadata_history: bool = True
    metadata_history_days: float = Field(default=0, ge=0, le=36_500)
    metadata_history_purge_seconds: float = Field(default=3600.0, gt=0, le=86_400)
    log_flush_seconds: float = Field(default=0.2, gt=0, le=3600)
    logs: bool = True
    # Log streams (/api/v2/log-streams, docs/management-api.md): how often each active stream
    # is looked at, a request's timeout, the retry backoff (doubling from the first to the
    # cap), and suspension after this many consecutive failures spanning at least this long.
    log_stream_poll_seconds: float = Field(default=1.0, gt=0, le=3600)
    log_stream_timeout_seconds: float = Field(default=10.0, gt=0, le=300)
    log_stream_retry_seconds: float = Field(default=1.0, gt=0, le=3600)
    log_stream_retry_max_seconds: float = Field(default=60.0, gt=0, le=86_400)
    log_stream_suspend_failures: int = Field(default=10, ge=1, le=100_000)
    log_stream_suspend_seconds: float = Field(default=60.0, ge=0, le=30 * 86_400)
    # Rate limits shared by every process and node (docs/deployment.md): a Redis URL such as
    # redis://127.0.0.1:6379/0, and how long a request waits for Redis before it is counted
    # in this process alone. Unset: each process counts on its own.
    redis_url: str | None = None
    redis_timeout_seconds: float = Field(default=0.5, gt=0, le=30)
    # How often each process reads the change versions (domain/changes.py): the bound on how
    # long another worker or node keeps using signing keys, origins or tenant settings that
    # changed (docs/deployment.md).
    changes_poll_seconds: float = Field(default=1.0, gt=0, le=60)
    # /metrics (docs/operations.md): on by default; off drops the request-counting middleware
    # too. Readable from these addresses or CIDR networks (default: this host only), or by
    # any caller presenting `Authorization: Bearer <metrics_token>`.
    metrics: bool = True
    metrics_allow: str = "127.0.0.1,::1"
    metrics_token: str | None = Field(default=None, min_length=16, max_length=256)
    # The server's own log lines: `text` (uvicorn's format) or `json` (one object per line).
    log_format: Literal["text", "json"] = "text"

    @model_validator(mode="after")
    def _mail_claim_outlasts_a_delivery(self) -> Settings:
        least = self.mail_timeout_seconds * 5 + 2
        if self.mail_lease_seconds < least:
            raise ValueError(
                f"SELFAUTH_MAIL_LEASE_SECONDS must be at least {least:g} (5 x "
                "SELFAUTH_MAIL_TIMEOUT_SECONDS + 2): a delivery must end before the sender's "
                "claim on the mail runs out"
            )
        return self

    @field_validator("database_url")
    @classmethod
    def _database_url_is_supported(cls, value: str) -> str:
        parse_database_url(value)
        return value

    @field_validator("issuer")
    @classmethod
    def _issuer_is_a_base_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError("expected an http(s) URL such as https://auth.example.com/")
        if not value.endswith("/"):
            raise ValueError("must end with a trailing slash, as Auth0's issuer does")
        if parts.query or parts.fragment:
            raise ValueError("must not carry a query or fragment")
        return value

    @field_validator("trusted_proxies")
    @classmethod
    def _trusted_proxies_are_addresses(cls, value: str) -> str:
        parse_trusted_proxies(value)
        return value

    @property
    def trusted_proxy_list(self) -> list[str]:
        """The trusted proxies, normalised (`10.0.0.0/8`, `::1`); empty when none."""
        return parse_trusted_proxies(self.trusted_proxies)

    @field_validator("metrics_allow")
    @classmethod
    def _metrics_allow_is_addresses(cls, value: str) -> str:
        parse_trusted_proxies(value)
        return value

    @property
    def metrics_allow_list(self) -> list[str]:
        """Who may read /metrics without the token, normalised as trusted_proxy_list is."""
        return parse_trusted_proxies(self.metrics_allow)

    @property
    def database(self) -> DatabaseURL:
        return parse_database_url(self.database_url)

    @property
    def worker_count(self) -> int:
        return self.workers or usable_cores()

    @property
    def issuer_url(self) -> str:
        scheme = "https" if self.tls_cert_file else "http"
        return self.issuer or f"{scheme}://{self.host}:{self.port}/"

    @property
    def jobs_path(self) -> str:
        if self.jobs_dir:
            return self.jobs_dir
        url = self.database
        if url.dialect == "sqlite":
            database_file = url.sqlalchemy.removeprefix("sqlite+pysqlite:///")
            return f"{database_file.rpartition('/')[0] or '.'}/jobs"
        return "selfauth-jobs"

    @property
    def management_audience(self) -> str:
        return f"{self.issuer_url}api/v2/"

    @property
    def tenant(self) -> str:
        return self.tenant_name or urlsplit(self.issuer_url).hostname or "selfauth"

    @property
    def email_from_address(self) -> str:
        return self.email_from or f"no-reply@{urlsplit(self.issuer_url).hostname or 'localhost'}"


def load_settings(**overrides: object) -> Settings:
    """Build settings from the environment; a bad value names its variable."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            field = str(error["loc"][0]) if error["loc"] else "settings"
            problems.append(f"SELFAUTH_{field.upper()}: {error['msg']}")
        raise ConfigurationError("; ".join(problems)) from exc


def check_bootstrap_pair(settings: Settings) -> None:
    """Both bootstrap credentials or neither."""
    if (settings.bootstrap_client_id is None) != (settings.bootstrap_client_secret is None):
        raise ConfigurationError(
            "SELFAUTH_BOOTSTRAP_CLIENT_ID and SELFAUTH_BOOTSTRAP_CLIENT_SECRET must be set together"
        )


def check_tls(settings: Settings) -> None:
    """The certificate and key both or neither, readable and matching; and an issuer that says
    https, since a server that speaks only TLS cannot be reached at an http:// issuer's URLs."""
    cert, key = settings.tls_cert_file, settings.tls_key_file
    if cert is None and key is None:
        return
    if cert is None or key is None:
        raise ConfigurationError(
            "SELFAUTH_TLS_CERT_FILE (--tls-cert) and SELFAUTH_TLS_KEY_FILE (--tls-key) "
            "must be set together"
        )
    for variable, path in (("SELFAUTH_TLS_CERT_FILE", cert), ("SELFAUTH_TLS_KEY_FILE", key)):
        try:
            with open(path, "rb"):
                pass
        except OSError as exc:
            raise ConfigurationError(f"{variable}: cannot read {path}: {exc.strerror}") from None
    try:
        ssl.create_default_context(ssl.Purpose.CLIENT_AUTH).load_cert_chain(cert, key)
    except (ssl.SSLError, ValueError) as exc:
        raise ConfigurationError(
            "SELFAUTH_TLS_CERT_FILE and SELFAUTH_TLS_KEY_FILE: not a PEM certificate and its "
            f"matching private key ({exc})"
        ) from None
    if urlsplit(settings.issuer_url).scheme != "https":
        raise ConfigurationError(
            f"SELFAUTH_ISSUER: {settings.issuer_url} is http:// but the server speaks only HTTPS "
            "with SELFAUTH_TLS_CERT_FILE; use https:// (or leave SELFAUTH_ISSUER unset)"
        )
