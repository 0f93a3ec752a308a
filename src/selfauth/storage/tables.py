"""The schema, in SQLAlchemy Core. Alembic migrations create exactly this."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect

metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

# JSONB on PostgreSQL (indexable, compact); SQLite's JSON1 text elsewhere.
Json = sa.JSON().with_variant(JSONB(), "postgresql")


class UTCDateTime(sa.types.TypeDecorator[datetime]):
    """Aware UTC datetimes on both databases (SQLite stores them naive)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if isinstance(value, str):
            value = datetime.fromisoformat(value)
        assert isinstance(value, datetime)
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class JsonValue(sa.types.TypeDecorator[Any]):
    """Any JSON value, a bare number or string too: JSONB on PostgreSQL; JSON text in a TEXT
    column on SQLite (a column declared JSON has numeric affinity there, which would store
    the text `1` as the integer 1)."""

    impl = sa.Text
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> sa.types.TypeEngine[Any]:
        if dialect.name == "postgresql":
            return dialect.type_descriptor(JSONB())
        return dialect.type_descriptor(sa.Text())

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        return value if dialect.name == "postgresql" else orjson.dumps(value).decode()

    def process_result_value(self, value: Any, dialect: Dialect) -> Any:
        if dialect.name == "postgresql" or value is None:
            return value
        return orjson.loads(value)


server_secrets = sa.Table(
    "server_secrets",
    metadata,
    sa.Column("name", sa.String(64), primary_key=True),
    sa.Column("value", sa.Text, nullable=False),
)

signing_keys = sa.Table(
    "signing_keys",
    metadata,
    sa.Column("kid", sa.String(64), primary_key=True),
    sa.Column("alg", sa.String(16), nullable=False),
    sa.Column("private_pem", sa.Text, nullable=False),
    sa.Column("public_jwk", Json, nullable=False),
    sa.Column("current", sa.Boolean, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    # Rotation (migration 0018): domain/keys/model.py says what each state means.
    sa.Column("next", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("previous", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("current_since", UTCDateTime, nullable=True),
    sa.Column("current_until", UTCDateTime, nullable=True),
    sa.Column("revoked_at", UTCDateTime, nullable=True),
)

resource_servers = sa.Table(
    "resource_servers",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("identifier", sa.String(600), nullable=False, unique=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("scopes", Json, nullable=False),
    sa.Column("token_lifetime", sa.Integer, nullable=False),
    sa.Column("signing_alg", sa.String(16), nullable=False),
    sa.Column("allow_offline_access", sa.Boolean, nullable=False),
    sa.Column("skip_consent_for_verifiable_first_party_clients", sa.Boolean, nullable=False),
    sa.Column("is_system", sa.Boolean, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    # Auth0 properties stored and echoed that selfauth does not act on (docs/auth0-properties.md).
    sa.Column("extra_properties", Json, nullable=False, server_default=sa.text("'{}'")),
)

clients = sa.Table(
    "clients",
    metadata,
    sa.Column("client_id", sa.String(64), primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("description", sa.String(140), nullable=True),
    sa.Column("app_type", sa.String(32), nullable=True),
    sa.Column("is_first_party", sa.Boolean, nullable=False),
    sa.Column("callbacks", Json, nullable=False),
    sa.Column("allowed_origins", Json, nullable=False),
    sa.Column("web_origins", Json, nullable=False),
    sa.Column("allowed_logout_urls", Json, nullable=False),
    sa.Column("grant_types", Json, nullable=False),
    sa.Column("token_endpoint_auth_method", sa.String(32), nullable=False),
    sa.Column("client_metadata", Json, nullable=False),
    # HMAC-SHA-256 of the secret under a server key: the secret is random, so a fast
    # keyed hash is as strong as a slow KDF and keeps the token endpoint fast.
    sa.Column("secret_hash", sa.String(128), nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
    # Auth0 properties stored and echoed that selfauth does not act on (docs/auth0-properties.md).
    sa.Column("extra_properties", Json, nullable=False, server_default=sa.text("'{}'")),
)

client_grants = sa.Table(
    "client_grants",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column(
        "client_id",
        sa.String(64),
        sa.ForeignKey("clients.client_id", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column(
        "audience",
        sa.String(600),
        sa.ForeignKey("resource_servers.identifier", ondelete="CASCADE", onupdate="CASCADE"),
        nullable=False,
    ),
    sa.Column("scope", Json, nullable=False),
    sa.UniqueConstraint("client_id", "audience"),
    # Auth0 properties stored and echoed that selfauth does not act on (docs/auth0-properties.md).
    sa.Column("extra_properties", Json, nullable=False, server_default=sa.text("'{}'")),
)

connections = sa.Table(
    "connections",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("name", sa.String(128), nullable=False, unique=True),
    sa.Column("display_name", sa.String(128), nullable=True),
    sa.Column("strategy", sa.String(32), nullable=False),
    sa.Column("options", Json, nullable=False),
    sa.Column("realms", Json, nullable=False),
    sa.Column("metadata", Json, nullable=False),
    sa.Column("is_domain_connection", sa.Boolean, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    # Auth0 properties stored and echoed that selfauth does not act on (docs/auth0-properties.md).
    sa.Column("extra_properties", Json, nullable=False, server_default=sa.text("'{}'")),
)

connection_clients = sa.Table(
    "connection_clients",
    metadata,
    sa.Column(
        "connection_id",
        sa.String(32),
        sa.ForeignKey("connections.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column(
        "client_id",
        sa.String(64),
        sa.ForeignKey("clients.client_id", ondelete="CASCADE"),
        primary_key=True,
    ),
)

users = sa.Table(
    "users",
    metadata,
    sa.Column("user_id", sa.String(300), primary_key=True),
    sa.Column(
        "connection_id",
        sa.String(32),
        sa.ForeignKey("connections.id", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column("email", sa.String(254), nullable=True),
    sa.Column("email_verified", sa.Boolean, nullable=False),
    sa.Column("username", sa.String(128), nullable=True),
    sa.Column("phone_number", sa.String(16), nullable=True),
    sa.Column("phone_verified", sa.Boolean, nullable=False),
    sa.Column("given_name", sa.String(150), nullable=True),
    sa.Column("family_name", sa.String(150), nullable=True),
    sa.Column("name", sa.String(300), nullable=True),
    sa.Column("nickname", sa.String(350), nullable=True),
    sa.Column("picture", sa.Text, nullable=True),
    sa.Column("blocked", sa.Boolean, nullable=False),
    # bcrypt, or an imported hash (domain/password_hashes.py), which may be longer.
    sa.Column("password_hash", sa.Text, nullable=True),
    sa.Column("identities", Json, nullable=False),
    sa.Column("user_metadata", Json, nullable=False),
    sa.Column("app_metadata", Json, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
    sa.Column("last_login", UTCDateTime, nullable=True),
    sa.Column("last_ip", sa.String(64), nullable=True),
    sa.Column("logins_count", sa.Integer, nullable=False),
    sa.Column("last_password_reset", UTCDateTime, nullable=True),
    # Account linking (migration 0012): a secondary's row keeps its credentials and its email's
    # uniqueness, points at its primary, and goes when the primary goes.
    sa.Column(
        "linked_to",
        sa.String(300),
        sa.ForeignKey("users.user_id", ondelete="CASCADE"),
        nullable=True,
    ),
    sa.UniqueConstraint("connection_id", "email"),
    sa.UniqueConstraint("connection_id", "username"),
    sa.Index(None, "email"),
    sa.Index(None, "created_at"),
    # Partial: most users are no one's secondary, and a `linked_to IS NULL` filter (every
    # listing has one) must never be planned through this index. The cascade from a deleted
    # primary (`linked_to = ?`) still uses it.
    sa.Index(
        None,
        "linked_to",
        sqlite_where=sa.text("linked_to IS NOT NULL"),
        postgresql_where=sa.text("linked_to IS NOT NULL"),
    ),
)

# The users list's sort orders (migration 0017): (field, user_id), as `ORDER BY field, user_id`.
for _sorted in (
    "updated_at",
    "last_login",
    "name",
    "nickname",
    "given_name",
    "family_name",
    "username",
    "logins_count",
):
    sa.Index(f"ix_users_{_sorted}_user_id", users.c[_sorted], users.c.user_id)

# User search (storage/search.py). Case-insensitive fields are compared lower-cased.
sa.Index("ix_users_lower_email", sa.func.lower(users.c.email))
sa.Index("ix_users_lower_name", sa.func.lower(users.c.name))
# PostgreSQL answers metadata and identity searches from the JSONB columns through GIN.
for _column in ("user_metadata", "app_metadata", "identities"):
    sa.Index(
        f"ix_users_{_column}_gin",
        users.c[_column],
        postgresql_using="gin",
        postgresql_ops={_column: "jsonb_path_ops"},
    ).ddl_if(dialect="postgresql")

# SQLite has no JSON index, so each searchable metadata value (domain/search/terms.py) is a
# row here, written in the same transaction as the user.
user_search_terms = sa.Table(
    "user_search_terms",
    metadata,
    sa.Column(
        "user_id",
        sa.String(300),
        sa.ForeignKey("users.user_id", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column("path", sa.Text, nullable=False),
    sa.Column("text", sa.Text, nullable=True),
    sa.Column("number", sa.Float, nullable=True),
    sa.Column("flag", sa.Boolean, nullable=True),
    # With user_id last, finding the users who hold a value reads the index alone. Partial: a
    # term is a string or a number, so each row enters one of the two, not both.
    sa.Index(None, "path", "text", "user_id", sqlite_where=sa.text("text IS NOT NULL")),
    sa.Index(None, "path", "number", "user_id", sqlite_where=sa.text("number IS NOT NULL")),
    sa.Index(None, "user_id"),
)

refresh_tokens = sa.Table(
    "refresh_tokens",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    # HMAC-SHA-256 of the token under the server key; the token itself is never stored.
    sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
    # Every token rotated from the same login shares a family: reuse revokes the family.
    sa.Column("family_id", sa.String(32), nullable=False, index=True),
    sa.Column(
        "client_id",
        sa.String(64),
        sa.ForeignKey("clients.client_id", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column(
        "user_id",
        sa.String(300),
        sa.ForeignKey("users.user_id", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column("audience", sa.String(600), nullable=True),
    sa.Column("scope", Json, nullable=False),
    # When the user signed in (seconds); refreshed ID tokens keep it (OIDC Core 12.2).
    sa.Column("auth_time", sa.Integer, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("expires_at", UTCDateTime, nullable=False),
    sa.Column("rotated_at", UTCDateTime, nullable=True),
    sa.Column("revoked_at", UTCDateTime, nullable=True),
    sa.Index(None, "user_id"),  # a user's own (the dashboard) and the cascade of a deletion
)

login_failures = sa.Table(
    "login_failures",
    metadata,
    # One counter per user and source address, as Auth0's brute-force protection keeps.
    sa.Column(
        "user_id",
        sa.String(300),
        sa.ForeignKey("users.user_id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("ip", sa.String(64), primary_key=True),
    sa.Column("failures", sa.Integer, nullable=False),
    # Attempts whose password check is under way: each holds one of the `limit` slots.
    sa.Column("pending", sa.Integer, nullable=False),
    sa.Column("blocked_at", UTCDateTime, nullable=True),
    sa.Column("updated_at", UTCDateTime, nullable=False),
)

authorization_codes = sa.Table(
    "authorization_codes",
    metadata,
    # HMAC-SHA-256 of the code; the code itself is never stored.
    sa.Column("code_hash", sa.String(64), primary_key=True),
    sa.Column(
        "client_id",
        sa.String(64),
        sa.ForeignKey("clients.client_id", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column(
        "user_id",
        sa.String(300),
        sa.ForeignKey("users.user_id", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column("redirect_uri", sa.Text, nullable=False),
    sa.Column("scope", Json, nullable=False),
    sa.Column("audience", sa.String(600), nullable=True),
    sa.Column("nonce", sa.String(512), nullable=True),
    sa.Column("code_challenge", sa.String(128), nullable=True),
    sa.Column("code_challenge_method", sa.String(8), nullable=True),
    sa.Column("auth_time", sa.Integer, nullable=False),
    # The refresh-token family this code's exchange starts: a replayed code revokes it.
    sa.Column("family_id", sa.String(32), nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("expires_at", UTCDateTime, nullable=False),
    sa.Column("used_at", UTCDateTime, nullable=True),
    # What the login's hooks added for the tokens (claims, scope changes), applied at exchange.
    sa.Column("hook_result", Json, nullable=True),
)

login_sessions = sa.Table(
    "login_sessions",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    # HMAC-SHA-256 of the cookie's value.
    sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
    sa.Column(
        "user_id",
        sa.String(300),
        sa.ForeignKey("users.user_id", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column("auth_time", sa.Integer, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("expires_at", UTCDateTime, nullable=False),
    sa.Column("revoked_at", UTCDateTime, nullable=True),
    sa.Index(None, "user_id"),  # a user's own (the dashboard) and the cascade of a deletion
)

# Cross-origin authentication's single-use tickets (`/co/authenticate`, then `/authorize`).
login_tickets = sa.Table(
    "login_tickets",
    metadata,
    # HMAC-SHA-256 of the ticket; the ticket itself is never stored.
    sa.Column("ticket_hash", sa.String(64), primary_key=True),
    sa.Column(
        "client_id",
        sa.String(64),
        sa.ForeignKey("clients.client_id", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column(
        "user_id",
        sa.String(300),
        sa.ForeignKey("users.user_id", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column("co_id", sa.String(64), nullable=False),
    # HMAC-SHA-256 of the co_verifier the application keeps (for a later `/co/verify`).
    sa.Column("verifier_hash", sa.String(64), nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("expires_at", UTCDateTime, nullable=False, index=True),
    sa.Column("used_at", UTCDateTime, nullable=True),
)

jobs = sa.Table(
    "jobs",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("type", sa.String(32), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("connection_id", sa.String(32), nullable=True),
    sa.Column("connection_name", sa.String(128), nullable=True),
    sa.Column("external_id", sa.String(255), nullable=True),
    sa.Column("upsert", sa.Boolean, nullable=False),
    sa.Column("send_completion_email", sa.Boolean, nullable=False),
    sa.Column("format", sa.String(8), nullable=True),
    sa.Column("limit", sa.Integer, nullable=True),
    sa.Column("fields", Json, nullable=True),
    sa.Column("file_path", sa.Text, nullable=True),
    # Progress is committed with each batch's users, so a restart resumes exactly there.
    sa.Column("progress_total", sa.BigInteger, nullable=False),
    sa.Column("progress_done", sa.BigInteger, nullable=False),
    sa.Column("rows_done", sa.Integer, nullable=False),
    sa.Column("inserted", sa.Integer, nullable=False),
    sa.Column("updated", sa.Integer, nullable=False),
    sa.Column("failed", sa.Integer, nullable=False),
    sa.Column("status_details", sa.Text, nullable=True),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
    sa.Column("started_at", UTCDateTime, nullable=True),
    sa.Column("completed_at", UTCDateTime, nullable=True),
    # The worker running the job and until when; past that, another worker may take it over.
    sa.Column("lease_owner", sa.String(32), nullable=True),
    sa.Column("lease_until", UTCDateTime, nullable=True),
    sa.Index(None, "status"),
)

job_errors = sa.Table(
    "job_errors",
    metadata,
    sa.Column(
        "job_id", sa.String(32), sa.ForeignKey("jobs.id", ondelete="CASCADE"), primary_key=True
    ),
    # The row's position in the file (0-based), so errors list in file order.
    sa.Column("row_index", sa.Integer, primary_key=True),
    sa.Column("user", Json, nullable=False),
    sa.Column("errors", Json, nullable=False),
)

rules = sa.Table(
    "rules",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("name", sa.String(255), nullable=False, unique=True),
    sa.Column("script", sa.Text, nullable=False),
    sa.Column("order", sa.Integer, nullable=False),
    sa.Column("enabled", sa.Boolean, nullable=False),
    sa.Column("stage", sa.String(32), nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
    # The login runtime reads the enabled rules of a stage in run order.
    sa.Index(None, "stage", "enabled", "order"),
)

rules_configs = sa.Table(
    "rules_configs",
    metadata,
    sa.Column("key", sa.String(127), primary_key=True),
    # Plain text: only rules read it; no API returns it (see docs/management-api.md).
    sa.Column("value", sa.Text, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
)

actions = sa.Table(
    "actions",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("name", sa.String(255), nullable=False, unique=True),
    sa.Column("supported_triggers", Json, nullable=False),
    sa.Column("code", sa.Text, nullable=False),
    sa.Column("runtime", sa.String(16), nullable=False),
    # [{name, value, updated_at}]; values in plain text, never returned by any API.
    sa.Column("secrets", Json, nullable=False),
    # No foreign key: a version row refers back to its action (the cycle would need
    # deferred constraints); the storage keeps the two in step in one transaction.
    sa.Column("deployed_version_id", sa.String(36), nullable=True),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
    # [{name, version}] as the Management API was given them.
    sa.Column("dependencies", Json, nullable=False, server_default=sa.text("'[]'")),
)

action_versions = sa.Table(
    "action_versions",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column(
        "action_id",
        sa.String(36),
        sa.ForeignKey("actions.id", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column("number", sa.Integer, nullable=False),
    sa.Column("code", sa.Text, nullable=False),
    sa.Column("runtime", sa.String(16), nullable=False),
    sa.Column("supported_triggers", Json, nullable=False),
    sa.Column("secrets", Json, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.UniqueConstraint("action_id", "number"),
    # [{name, version}] as the Management API was given them.
    sa.Column("dependencies", Json, nullable=False, server_default=sa.text("'[]'")),
)

trigger_bindings = sa.Table(
    "trigger_bindings",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("trigger_id", sa.String(64), nullable=False),
    sa.Column("position", sa.Integer, nullable=False),
    # No cascade: a bound action cannot be deleted until it is unbound (`?force=true`).
    sa.Column("action_id", sa.String(36), sa.ForeignKey("actions.id"), nullable=False),
    sa.Column("display_name", sa.String(255), nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
    sa.UniqueConstraint("trigger_id", "position"),
    sa.Index(None, "action_id"),
)

# One row per trigger run that had scripts: what each Rule/Action did, its logs and timing.
# No foreign keys: the record outlives the user or client it was about.
hook_executions = sa.Table(
    "hook_executions",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("trigger_id", sa.String(32), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("user_id", sa.String(300), nullable=True),
    sa.Column("client_id", sa.String(64), nullable=True),
    sa.Column("results", Json, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
    sa.Index(None, "created_at"),
    sa.Index(None, "user_id", "created_at"),
)

# --- email ------------------------------------------------------------------------------------

# The tenant's one email provider (`/api/v2/emails/provider`): row id 1 or none.
email_provider = sa.Table(
    "email_provider",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(32), nullable=False),
    sa.Column("enabled", sa.Boolean, nullable=False),
    sa.Column("default_from_address", sa.String(320), nullable=True),
    # What the API may answer (smtp_host, smtp_port, smtp_user, ...).
    sa.Column("credentials", Json, nullable=False),
    # The write-only parts (smtp_pass, api_key, ...), encrypted under the server key: the
    # sender needs them back, so they cannot be a one-way hash.
    sa.Column("sealed_secrets", sa.Text, nullable=True),
    sa.Column("settings", Json, nullable=True),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
)

# Templates a tenant set (`/api/v2/email-templates`); the others are built in.
email_templates = sa.Table(
    "email_templates",
    metadata,
    sa.Column("template", sa.String(64), primary_key=True),
    sa.Column("body", sa.Text, nullable=True),
    sa.Column("from_address", sa.String(320), nullable=True),
    sa.Column("subject", sa.Text, nullable=True),
    sa.Column("result_url", sa.String(2048), nullable=True),
    sa.Column("syntax", sa.String(16), nullable=False),
    sa.Column("url_lifetime_in_seconds", sa.Integer, nullable=True),
    sa.Column("include_email_in_redirect", sa.Boolean, nullable=False),
    sa.Column("enabled", sa.Boolean, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
)

# Mails to send, rendered, queued in the transaction of the change that causes them and
# sent by the background sender; kept after sending (the outbox listing shows them).
email_outbox = sa.Table(
    "email_outbox",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("template", sa.String(64), nullable=False),
    # No foreign key: a mail's record outlives the user it was for.
    sa.Column("user_id", sa.String(300), nullable=True),
    sa.Column("recipient", sa.String(320), nullable=False),
    sa.Column("from_address", sa.String(320), nullable=False),
    sa.Column("subject", sa.Text, nullable=False),
    sa.Column("html", sa.Text, nullable=False),
    sa.Column("text", sa.Text, nullable=False),
    # queued, sending, sent, failed (gave up), held (no provider enabled)
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("next_attempt_at", UTCDateTime, nullable=False),
    sa.Column("last_error", sa.Text, nullable=True),
    # The sender holding the mail and until when; past that, another may take it.
    sa.Column("lease_owner", sa.String(32), nullable=True),
    sa.Column("lease_until", UTCDateTime, nullable=True),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("sent_at", UTCDateTime, nullable=True),
    sa.Index(None, "status", "next_attempt_at"),
    sa.Index(None, "created_at"),
)

# The single-use links of verification and password-change mails and tickets.
email_tickets = sa.Table(
    "email_tickets",
    metadata,
    # HMAC-SHA-256 of the ticket; the ticket itself is only in the link.
    sa.Column("ticket_hash", sa.String(64), primary_key=True),
    sa.Column("kind", sa.String(32), nullable=False),  # email_verification, password_change
    sa.Column(
        "user_id",
        sa.String(300),
        sa.ForeignKey("users.user_id", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column("client_id", sa.String(64), nullable=True),
    sa.Column("result_url", sa.String(2048), nullable=True),
    sa.Column("include_email_in_redirect", sa.Boolean, nullable=False),
    sa.Column("mark_email_as_verified", sa.Boolean, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("expires_at", UTCDateTime, nullable=False),
    sa.Column("used_at", UTCDateTime, nullable=True),
    sa.Index(None, "expires_at"),
)

# --- branding (migration 0013) ----------------------------------------------------------------

# The tenant's branding (`/api/v2/branding`) and Universal Login page template: row id 1 or none.
branding = sa.Table(
    "branding",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    # Auth0's wire object as set: colors, logo_url, favicon_url, font.
    sa.Column("settings", Json, nullable=False),
    sa.Column("template", sa.Text, nullable=True),
    sa.Column("updated_at", UTCDateTime, nullable=False),
)

# `/api/v2/prompts/{prompt}/custom-text/{language}`: screen -> text key -> text.
prompt_custom_texts = sa.Table(
    "prompt_custom_texts",
    metadata,
    sa.Column("prompt", sa.String(64), primary_key=True),
    sa.Column("language", sa.String(16), primary_key=True),
    sa.Column("texts", Json, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
)

# `/api/v2/tenants/settings` (domain/tenant/settings.py): one row, the settings as set.
tenant_settings = sa.Table(
    "tenant_settings",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("settings", Json, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
)

# --- user grants (migration 0015) -------------------------------------------------------------

# `/api/v2/grants`: a user's consent to a (third-party) client for an API's scopes.
user_grants = sa.Table(
    "user_grants",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column(
        "user_id",
        sa.String(300),
        sa.ForeignKey("users.user_id", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column(
        "client_id",
        sa.String(64),
        sa.ForeignKey("clients.client_id", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column("audience", sa.String(600), nullable=False),
    sa.Column("scope", Json, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
    sa.UniqueConstraint("user_id", "client_id", "audience"),
    sa.Index(None, "client_id"),
)

# --- the dashboard's administrators (migration 0016) ------------------------------------------

# Users who may use /admin: the dashboard's one role. `granted_by` says how ("selfauth admins
# add", or the administrator's user_id who granted it from the dashboard).
administrators = sa.Table(
    "administrators",
    metadata,
    sa.Column(
        "user_id",
        sa.String(300),
        sa.ForeignKey("users.user_id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("granted_by", sa.String(300), nullable=False),
    sa.Column("granted_at", UTCDateTime, nullable=False),
)

# The dashboard's sign-ins: a random token in the administrator's cookie, kept here only as its
# HMAC, so a copy of the database opens no session; deleted on logout and with the user.
admin_sessions = sa.Table(
    "admin_sessions",
    metadata,
    sa.Column("token_hash", sa.String(64), primary_key=True),
    sa.Column(
        "user_id",
        sa.String(300),
        sa.ForeignKey("users.user_id", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("last_seen_at", UTCDateTime, nullable=False),
    sa.Column("expires_at", UTCDateTime, nullable=False),
    sa.Index(None, "user_id"),
)

# --- tenant logs ------------------------------------------------------------------------------

# Auth0's log events (`/api/v2/logs`): written in batches by flows/tenant_logs.py's writer.
# `log_id` sorts as the events happened (900 + the date, then a sequence), so checkpoint
# paging (`from`) is an index range on the primary key.
logs = sa.Table(
    "logs",
    metadata,
    sa.Column("log_id", sa.String(56), primary_key=True),
    sa.Column("date", UTCDateTime, nullable=False),
    sa.Column("type", sa.String(32), nullable=False),
    sa.Column("description", sa.Text, nullable=True),
    sa.Column("client_id", sa.String(64), nullable=True),
    sa.Column("client_name", sa.String(255), nullable=True),
    sa.Column("ip", sa.String(64), nullable=True),
    sa.Column("user_agent", sa.String(512), nullable=True),
    sa.Column("user_id", sa.String(300), nullable=True),
    sa.Column("user_name", sa.String(512), nullable=True),
    sa.Column("connection", sa.String(128), nullable=True),
    sa.Column("connection_id", sa.String(64), nullable=True),
    sa.Column("strategy", sa.String(64), nullable=True),
    sa.Column("strategy_type", sa.String(32), nullable=True),
    sa.Column("audience", sa.String(600), nullable=True),
    sa.Column("scope", sa.Text, nullable=True),
    sa.Column("details", Json, nullable=True),
    sa.Column("hostname", sa.String(255), nullable=True),
    sa.Index(None, "date", "log_id"),
    sa.Index(None, "user_id", "date"),
    sa.Index(None, "type", "date"),
)

# --- log streams ------------------------------------------------------------------------------

# Auth0's log streams (`/api/v2/log-streams`): where to POST the logs, and `cursor`, the last
# log id delivered (advanced only on the receiver's 2xx). `lease_*` lets one server process
# deliver a stream at a time; `failures`/`failing_since` decide suspension.
log_streams = sa.Table(
    "log_streams",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("name", sa.String(255), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("filters", Json, nullable=False),
    sa.Column("sink", Json, nullable=False),  # httpAuthorization sealed
    sa.Column("cursor", sa.String(56), nullable=False),
    sa.Column("failures", sa.Integer, nullable=False),
    sa.Column("failing_since", UTCDateTime, nullable=True),
    sa.Column("lease_owner", sa.String(32), nullable=True),
    sa.Column("lease_until", UTCDateTime, nullable=True),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
)

# --- change versions --------------------------------------------------------------------------

# One row a topic of cached state (domain/changes.py), its version bumped by each change: how
# every server process learns that what it keeps in memory is stale.
changes = sa.Table(
    "changes",
    metadata,
    sa.Column("topic", sa.String(64), primary_key=True),
    sa.Column("version", sa.BigInteger, nullable=False),
)

# One row per changed root key of a metadata object (our addition: Auth0 keeps no history).
# Deleted with its user or client.
metadata_history = sa.Table(
    "metadata_history",
    metadata,
    sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True),
    sa.Column(
        "user_id",
        sa.String(300),
        sa.ForeignKey("users.user_id", ondelete="CASCADE"),
        nullable=True,
    ),
    sa.Column(
        "client_id",
        sa.String(64),
        sa.ForeignKey("clients.client_id", ondelete="CASCADE"),
        nullable=True,
    ),
    sa.Column("field", sa.String(16), nullable=False),
    sa.Column("key", sa.Text, nullable=False),
    sa.Column("old_value", JsonValue, nullable=True),
    sa.Column("new_value", JsonValue, nullable=True),
    sa.Column("changed_at", UTCDateTime, nullable=False),
    sa.Column("author_type", sa.String(16), nullable=False),
    sa.Column("author_id", sa.String(300), nullable=True),
    sa.Column("author_name", sa.String(255), nullable=True),
    sa.Index(None, "user_id", "id"),
    sa.Index(None, "client_id", "id"),
    sa.Index(None, "changed_at"),
)

# --- metadata schemas (migration 0024) -------------------------------------------------------

# An optional JSON Schema for user_metadata or app_metadata (our addition): `target` is a
# connection's id, or "*" for the tenant-wide one. A connection's rows are deleted with it
# (storage/connections.py, in the same transaction: "*" can have no foreign key).
metadata_schemas = sa.Table(
    "metadata_schemas",
    metadata,
    sa.Column("target", sa.String(32), primary_key=True),
    sa.Column("field", sa.String(16), primary_key=True),
    sa.Column("schema", Json, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
)
