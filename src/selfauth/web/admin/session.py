"""Who is asking: the signed-in administrator of a dashboard request, and the form checks.

Every dashboard page depends on `signed_in`. Without a live sign-in the browser is sent to the
sign-in (and back to the page afterwards); a signed-in user who is not (or no longer) an
administrator sees the refusal page. Every POST reads its form through `Admin.form`, which
refuses a missing or wrong CSRF token before anything else happens."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from fastapi import Request
from starlette.datastructures import UploadFile
from starlette.responses import Response

from selfauth.domain.metadata_history import ADMIN, Author
from selfauth.domain.users.model import User
from selfauth.web.context import Services, services_of

COOKIE = "selfauth_admin"
ADMIN_USER = "selfauth.admin_user"  # the signed-in administrator, for the sapi log (audit.py)
CSRF_FIELD = "csrf"
CSRF_HEADER = "x-csrf-token"


class SignInRequired(Exception):
    """No live sign-in: the answer is a redirect to the sign-in, coming back to `target`."""

    def __init__(self, target: str) -> None:
        super().__init__(target)
        self.target = target


class NotAdministrator(Exception):
    """A signed-in user without the administrator role."""

    def __init__(self, user: User | None) -> None:
        super().__init__("not an administrator")
        self.user = user


class CsrfRefused(Exception):
    """A POST without this sign-in's CSRF token."""


@dataclass(frozen=True)
class Admin:
    services: Services
    user: User
    token: str  # the sign-in's token (the cookie's value): never rendered
    csrf: str  # this sign-in's CSRF token, rendered into every form

    @property
    def user_id(self) -> str:
        return self.user.user_id

    @property
    def author(self) -> Author:
        """The administrator, as the metadata history names who made a change."""
        return Author(ADMIN, self.user_id, self.label[:255])

    @property
    def label(self) -> str:
        """How the administrator is named in the page's header."""
        return str(self.user.email or self.user.username or self.user.user_id)

    async def form(self, request: Request) -> dict[str, str]:
        """The POSTed form's text fields, once its CSRF token (the `csrf` field, or the
        `X-CSRF-Token` header for a script's request) is this sign-in's."""
        fields, _ = await self.form_with_files(request)
        return fields

    async def form_with_files(self, request: Request) -> tuple[dict[str, str], dict[str, Any]]:
        form = await request.form()
        fields = {k: v for k, v in form.items() if isinstance(v, str)}
        files = {k: v for k, v in form.items() if isinstance(v, UploadFile)}
        presented = fields.pop(CSRF_FIELD, None) or request.headers.get(CSRF_HEADER, "")
        if not self.services.admin_sessions.csrf_matches(self.token, presented):
            raise CsrfRefused
        return fields, files

    def check_csrf_header(self, request: Request) -> None:
        """For a script's POST without a form body (a JSON call): the header must match."""
        presented = request.headers.get(CSRF_HEADER, "")
        if not self.services.admin_sessions.csrf_matches(self.token, presented):
            raise CsrfRefused


def back_here(request: Request) -> str:
    """The dashboard address to come back to after signing in: this request's own path."""
    path = request.url.path
    return path + (f"?{request.url.query}" if request.url.query else "")


def safe_target(target: str | None) -> str:
    """Only a dashboard path is a place to come back to (never another host: `//x` or `/\\x`)."""
    if not target or not (target == "/admin" or target.startswith(("/admin/", "/admin?"))):
        return "/admin/"
    if any(c in target for c in "\\\r\n"):
        return "/admin/"
    return target


def sign_in_address(target: str) -> str:
    return f"/admin/login?next={quote(target, safe='')}"


async def signed_in(request: Request) -> Admin:
    """The dependency every dashboard page has."""
    found = services_of(request)
    token = request.cookies.get(COOKIE)
    session = await found.admin_sessions.resume(token) if token else None
    if token is None or session is None:
        raise SignInRequired(back_here(request))
    user = await found.users.get_or_none(session.user_id)
    if user is None:
        raise SignInRequired(back_here(request))
    if not await found.administrators.is_admin(user.user_id):
        raise NotAdministrator(user)
    request.scope[ADMIN_USER] = user
    return Admin(found, user, token, found.admin_sessions.csrf_token(token))


def cookie_secure(found: Services) -> bool:
    return found.settings.issuer_url.startswith("https://")


def set_session_cookie(response: Response, found: Services, token: str) -> None:
    response.set_cookie(
        COOKIE,
        token,
        max_age=found.settings.admin_session_seconds,
        path="/admin",
        httponly=True,
        secure=cookie_secure(found),
        samesite="lax",  # the sign-in's callback arrives by a top-level redirect
    )


def clear_session_cookie(response: Response, found: Services) -> None:
    response.delete_cookie(COOKIE, path="/admin", secure=cookie_secure(found), httponly=True)
