"""Run Alembic migrations on either database, safely from several workers at once.

Alembic (with Mako) is imported when a migration runs, not with the server: it is 11 MB of
every worker's memory otherwise, for work done once at start."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.engine import Connection

if TYPE_CHECKING:
    from alembic.config import Config

from selfauth.storage.database import Database

MIGRATIONS = Path(__file__).parent / "migrations"
# An arbitrary constant: every selfauth process takes this advisory lock to migrate.
_PG_MIGRATION_LOCK = 0x5E1FA07


def alembic_config(connection: Connection | None = None) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def _upgrade(connection: Connection) -> None:
    if connection.dialect.name == "postgresql":
        connection.execute(
            sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_MIGRATION_LOCK}
        )
    from alembic import command

    command.upgrade(alembic_config(connection), "head")


async def upgrade(database: Database) -> None:
    """Bring the schema to the newest revision."""
    if database.sync_engine is not None:
        async with database.write():
            pass  # make sure the file exists and WAL is on before Alembic opens it
        with database.sync_engine.connect() as connection:
            connection.info["begin"] = "BEGIN IMMEDIATE"
            try:
                with connection.begin():
                    _upgrade(connection)
            finally:
                connection.info.pop("begin", None)  # the pooled connection goes back plain
        return
    assert database.async_engine is not None
    async with database.async_engine.begin() as aconnection:
        await aconnection.run_sync(_upgrade)
