"""`selfauth admins add|remove|list`: who may use the dashboard (/admin), set directly in the
database (`SELFAUTH_DATABASE_URL`, as `selfauth serve` reads it). Whoever can run this can read
the server's database, so it needs no other credential; a running server sees a grant at once."""

from __future__ import annotations

import asyncio
import os
import secrets
from collections.abc import Awaitable, Callable
from typing import TypeVar

import typer
from rich.console import Console

from selfauth.cli_database import open_tenant
from selfauth.config import Settings
from selfauth.domain.clock import utc_now
from selfauth.domain.connections.model import DEFAULT_DATABASE_CONNECTION
from selfauth.errors import SelfauthError
from selfauth.web.context import Services

T = TypeVar("T")
GRANTED_BY = "selfauth admins add"


def _with_services(settings: Settings, work: Callable[[Services], Awaitable[T]]) -> T:
    from selfauth.app import build_services

    async def run() -> T:
        database = await open_tenant(settings, Console(stderr=True))
        try:
            running = await build_services(database, settings, utc_now)
            try:
                return await work(running.services)
            finally:
                await running.stop()
        finally:
            await database.dispose()

    try:
        return asyncio.run(run())
    except SelfauthError as exc:
        typer.echo(f"selfauth: {exc.message}", err=True)
        raise typer.Exit(1) from exc


def _generated_password() -> str:
    # Long and random, with each character class a password policy may ask for.
    return secrets.token_urlsafe(18) + "aZ7!"


def add(settings: Settings, email: str, create: bool, connection: str | None) -> None:
    async def work(found: Services) -> str:
        users = await found.users.by_email(email)
        created_password: str | None = None
        if not users:
            if not create:
                raise SelfauthError(
                    f"No user has the email {email}; sign up first, or pass --create."
                )
            password = os.environ.get("SELFAUTH_ADMIN_PASSWORD") or _generated_password()
            if not os.environ.get("SELFAUTH_ADMIN_PASSWORD"):
                created_password = password
            user = await found.users.create(
                {
                    "connection": connection or DEFAULT_DATABASE_CONNECTION,
                    "email": email,
                    "password": password,
                    "email_verified": True,
                }
            )
            users = [user]
        lines = []
        for user in users:
            new = await found.administrators.grant(user.user_id, GRANTED_BY)
            state = "is now an administrator" if new else "was already an administrator"
            lines.append(f"{email} ({user.user_id}) {state}")
        if created_password is not None:
            lines.append(f"created with the password (shown once): {created_password}")
        return "\n".join(lines)

    typer.echo(_with_services(settings, work))


def remove(settings: Settings, email: str) -> None:
    async def work(found: Services) -> str:
        users = await found.users.by_email(email)
        if not users:
            raise SelfauthError(f"No user has the email {email}.")
        lines = []
        for user in users:
            gone = await found.administrators.revoke(user.user_id)
            state = "is no longer an administrator" if gone else "was not an administrator"
            lines.append(f"{email} ({user.user_id}) {state}")
        return "\n".join(lines)

    typer.echo(_with_services(settings, work))


def listing(settings: Settings) -> None:
    async def work(found: Services) -> str:
        lines = []
        for admin in await found.administrators.list():
            user = await found.users.get_or_none(admin.user_id)
            email = user.email if user is not None else "?"
            granted = admin.granted_at.isoformat(timespec="seconds")
            lines.append(f"{email}\t{admin.user_id}\tgranted {granted} by {admin.granted_by}")
        return "\n".join(lines) or "No administrators yet: selfauth admins add EMAIL --create"

    typer.echo(_with_services(settings, work))
