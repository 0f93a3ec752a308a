"""The `selfauth` command."""

from __future__ import annotations

import asyncio
import os

import typer
import uvicorn

from selfauth.config import Settings, check_bootstrap_pair, load_settings
from selfauth.domain.clock import utc_now
from selfauth.errors import ConfigurationError

cli = typer.Typer(add_completion=False, no_args_is_help=True, help="selfauth identity server")


def _settings(**overrides: object) -> Settings:
    try:
        settings = load_settings(**{k: v for k, v in overrides.items() if v is not None})
        check_bootstrap_pair(settings)
    except ConfigurationError as exc:
        typer.echo(f"selfauth: configuration error: {exc}", err=True)
        raise typer.Exit(2) from exc
    return settings


@cli.command()
def serve(
    host: str = typer.Option(None, help="Interface to listen on (default 127.0.0.1)"),
    port: int = typer.Option(None, help="Port to listen on (default 8080)"),
) -> None:
    """Migrate the database and serve the APIs."""
    settings = _settings(host=host, port=port)
    from selfauth.app import create_app

    if settings.issuer is None:
        typer.echo(f"selfauth: SELFAUTH_ISSUER not set; using {settings.issuer_url}", err=True)
    typer.echo(
        f"selfauth {settings.database.dialect} database; issuer {settings.issuer_url}; "
        f"Management API at {settings.issuer_url}api/v2/",
        err=True,
    )
    uvicorn.run(
        create_app(settings, utc_now),
        host=settings.host,
        port=settings.port,
        log_level=os.environ.get("SELFAUTH_LOG_LEVEL", "info").lower(),
        access_log=os.environ.get("SELFAUTH_ACCESS_LOG", "0") == "1",
        server_header=False,
    )


@cli.command()
def migrate() -> None:
    """Bring the database schema to the newest version, then exit."""
    settings = _settings()
    from selfauth.app import prepare
    from selfauth.storage.database import Database

    async def run() -> None:
        database = Database(settings.database)
        try:
            result = await prepare(database, settings, utc_now)
        finally:
            await database.dispose()
        typer.echo(f"selfauth: database at the newest schema; admin client {result.client_id}")
        if result.new_secret is not None:
            typer.echo(f"selfauth: admin client secret (shown once): {result.new_secret}")

    asyncio.run(run())


def main() -> None:
    cli(prog_name="selfauth")


if __name__ == "__main__":
    main()
