"""The `selfauth` command."""

from __future__ import annotations

import asyncio
import logging
import logging.config
import os
from collections.abc import Callable
from pathlib import Path

import typer

from selfauth.config import Settings, check_bootstrap_pair, check_tls, load_settings
from selfauth.domain.clock import utc_now
from selfauth.errors import ConfigurationError

cli = typer.Typer(add_completion=False, no_args_is_help=True, help="selfauth identity server")


def _settings(*, serving: bool = False, **overrides: object) -> Settings:
    try:
        settings = load_settings(**{k: v for k, v in overrides.items() if v is not None})
        check_bootstrap_pair(settings)
        if serving:
            check_tls(settings)
    except ConfigurationError as exc:
        typer.echo(f"selfauth: configuration error: {exc}", err=True)
        raise typer.Exit(2) from exc
    return settings


@cli.command()
def serve(
    host: str = typer.Option(None, help="Interface to listen on (default 127.0.0.1)"),
    port: int = typer.Option(None, help="Port to listen on (default 8080)"),
    tls_cert: str = typer.Option(None, help="PEM certificate file: serve HTTPS (with --tls-key)"),
    tls_key: str = typer.Option(None, help="PEM private key file of --tls-cert"),
    workers: int = typer.Option(None, help="Server processes on the port (default: one a core)"),
) -> None:
    """Migrate the database and serve the APIs."""
    settings = _settings(
        serving=True,
        host=host,
        port=port,
        tls_cert_file=tls_cert,
        tls_key_file=tls_key,
        workers=workers,
    )
    from selfauth.app import create_app, migrate_for_workers

    log_level = os.environ.get("SELFAUTH_LOG_LEVEL", "info").lower()
    say = _banner(settings, log_level)
    if settings.issuer is None:
        say(logging.WARNING, f"selfauth: SELFAUTH_ISSUER not set; using {settings.issuer_url}")
    say(
        logging.INFO,
        f"selfauth {settings.database.dialect} database; issuer {settings.issuer_url}; "
        f"Management API at {settings.issuer_url}api/v2/",
    )
    from selfauth.server import run, run_workers

    access_log = os.environ.get("SELFAUTH_ACCESS_LOG", "0") == "1"
    if settings.worker_count > 1:
        say(logging.INFO, f"selfauth: {settings.worker_count} worker processes")
        migrated_to = migrate_for_workers(settings)
        run_workers(settings, log_level=log_level, access_log=access_log, migrated_to=migrated_to)
        return
    run(create_app(settings, utc_now), settings, log_level=log_level, access_log=access_log)


def _banner(settings: Settings, log_level: str) -> Callable[[int, str], None]:
    """How `serve` says what it serves: to stderr, or with SELFAUTH_LOG_FORMAT=json as a log
    line like every other (logging is configured now, and again the same way by uvicorn)."""
    if settings.log_format != "json":
        return lambda _level, text: typer.echo(text, err=True)
    from selfauth.log_format import uvicorn_log_config

    logging.config.dictConfig(uvicorn_log_config(log_level))
    return logging.getLogger("selfauth.cli").log


@cli.command()
def migrate() -> None:
    """Bring the database schema to the newest version, then exit."""
    settings = _settings()
    from selfauth.app import prepare
    from selfauth.storage.database import Database

    async def run() -> None:
        database = Database(settings.database, connections=settings.database_connections)
        try:
            result = await prepare(database, settings, utc_now)
        finally:
            await database.dispose()
        typer.echo(f"selfauth: database at the newest schema; admin client {result.client_id}")
        if result.new_secret is not None:
            typer.echo(f"selfauth: admin client secret (shown once): {result.new_secret}")

    asyncio.run(run())


_IMPORT_FILE = typer.Argument(..., exists=True, dir_okay=False, help="A JSON array of users")
_EXPORT_FIELDS = typer.Option([], help="Fields to export, e.g. email,user_metadata.plan")
users = typer.Typer(no_args_is_help=True, help="Import and export users, directly in the database.")
cli.add_typer(users, name="users")


@users.command("import")
def users_import(
    file: Path = _IMPORT_FILE,
    connection: str = typer.Option(
        "Username-Password-Authentication", help="Database connection to import into"
    ),
    upsert: bool = typer.Option(False, help="Overwrite users that exist (matched by email)"),
) -> None:
    """Import users as an Auth0 import job does, showing progress, then the summary."""
    from selfauth.cli_users import run_import

    run_import(_settings(), file, connection, upsert)


@users.command("export")
def users_export(
    format: str = typer.Option("json", help="json (one object per line) or csv"),
    fields: list[str] = _EXPORT_FIELDS,
    connection: str = typer.Option(None, help="Only this connection's users"),
    limit: int = typer.Option(None, min=1, help="At most this many users"),
) -> None:
    """Write users to standard output (never their password hashes)."""
    from selfauth.cli_users import run_export

    if format not in ("json", "csv"):
        typer.echo("selfauth: --format is json or csv", err=True)
        raise typer.Exit(2)
    run_export(_settings(), format, fields, connection, limit)


admins = typer.Typer(no_args_is_help=True, help="Who may use the dashboard (/admin).")
cli.add_typer(admins, name="admins")


@admins.command("add")
def admins_add(
    email: str = typer.Argument(..., help="The user's email"),
    create: bool = typer.Option(
        False,
        help="Create the user on the database connection when nobody has the email (password "
        "from SELFAUTH_ADMIN_PASSWORD, else generated and printed once)",
    ),
    connection: str = typer.Option(None, help="The connection --create makes the user on"),
) -> None:
    """Make the user(s) with EMAIL administrators of the dashboard."""
    from selfauth.cli_admins import add

    add(_settings(), email, create, connection)


@admins.command("remove")
def admins_remove(email: str = typer.Argument(..., help="The user's email")) -> None:
    """Take the administrator role from the user(s) with EMAIL."""
    from selfauth.cli_admins import remove

    remove(_settings(), email)


@admins.command("list")
def admins_list() -> None:
    """The dashboard's administrators."""
    from selfauth.cli_admins import listing

    listing(_settings())


def main() -> None:
    cli(prog_name="selfauth")


if __name__ == "__main__":
    main()
