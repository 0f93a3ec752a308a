"""Many users written straight into a selfauth database, for the benches that need a big
tenant (search, the dashboard's users list): through the drivers in batches, as an import
would take hours over HTTP. Each bench generates its own rows (`user_row` dicts keyed by the
users table's columns); this module writes them and their search terms."""

from __future__ import annotations

import contextlib
import json
import secrets
import sqlite3
from collections.abc import Iterable, Iterator
from datetime import UTC
from typing import Any

from _harness import HOST, Tenant, free_port, running_server, selfauth_command

from selfauth.domain.search.terms import metadata_terms
from selfauth.storage.search_terms_bulk import TABLE as TERMS
from selfauth.storage.search_terms_bulk import term_row
from selfauth.storage.tables import users

COLUMNS = [c.name for c in users.columns]
JSON_COLUMNS = {"identities", "user_metadata", "app_metadata"}
DATE_COLUMNS = {"created_at", "updated_at", "last_login", "last_password_reset"}


def _sqlite_value(name: str, value: Any) -> Any:
    if value is None:
        return None
    if name in JSON_COLUMNS:
        return json.dumps(value, separators=(",", ":"))
    if name in DATE_COLUMNS:
        # SQLAlchemy's SQLite DATETIME format, naive UTC (storage/tables.py UTCDateTime).
        return value.astimezone(UTC).replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f")
    if isinstance(value, bool):
        return int(value)
    return value


def load_sqlite(path: str, batches: Iterable[list[dict[str, Any]]]) -> None:
    """The users and their search terms (SQLite searches metadata through the terms)."""
    database = sqlite3.connect(path)
    database.execute("PRAGMA synchronous=OFF")
    # Column names come from storage/tables.py, values travel as parameters.
    insert_user = (
        f"INSERT INTO users ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})"  # noqa: S608
    )
    term_columns = [c.name for c in TERMS.columns]
    insert_term = (
        f"INSERT INTO {TERMS.name} ({', '.join(term_columns)}) "  # noqa: S608
        f"VALUES ({', '.join('?' * len(term_columns))})"
    )
    for batch in batches:
        rows, term_rows = [], []
        for user in batch:
            rows.append(tuple(_sqlite_value(name, user.get(name)) for name in COLUMNS))
            for term in metadata_terms(user["user_metadata"], user["app_metadata"]):
                term_rows.append(term_row(user["user_id"], term))
        with database:
            database.executemany(insert_user, rows)
            database.executemany(insert_term, term_rows)
    database.execute("ANALYZE")
    database.close()


def asyncpg_url(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://", 1)


async def load_postgres(url: str, batches: Iterable[list[dict[str, Any]]]) -> None:
    """The users, by COPY (PostgreSQL searches metadata through its JSONB indexes)."""
    import asyncpg

    conn = await asyncpg.connect(asyncpg_url(url), timeout=30)
    try:
        for batch in batches:
            records = [
                tuple(json.dumps(u.get(n)) if n in JSON_COLUMNS else u.get(n) for n in COLUMNS)
                for u in batch
            ]
            await conn.copy_records_to_table("users", records=records, columns=COLUMNS)
        await conn.execute("VACUUM ANALYZE users")
    finally:
        await conn.close()


@contextlib.contextmanager
def tenant_on(url: str, ready_timeout: float = 60.0) -> Iterator[Tenant]:
    """selfauth on `url` (as `_harness.selfauth_tenant`, which hides the database's URL);
    `ready_timeout`: a start that migrates millions of rows takes minutes."""
    port = free_port()
    issuer = f"http://{HOST}:{port}/"
    admin_id, admin_secret = f"bench-{secrets.token_hex(8)}", secrets.token_urlsafe(32)
    env = {
        "SELFAUTH_DATABASE_URL": url,
        "SELFAUTH_WORKERS": "1",  # one process, unless a bench says otherwise
        "SELFAUTH_ISSUER": issuer,
        "SELFAUTH_BOOTSTRAP_CLIENT_ID": admin_id,
        "SELFAUTH_BOOTSTRAP_CLIENT_SECRET": admin_secret,
        "SELFAUTH_MANAGEMENT_RATE_LIMIT": "0",
    }
    argv = selfauth_command(port)
    with running_server(
        "selfauth", argv, port, env=env, ready_path="/.well-known/jwks.json", timeout=ready_timeout
    ) as server:
        yield Tenant(server, issuer, admin_id, admin_secret)
