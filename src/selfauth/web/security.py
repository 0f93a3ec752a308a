"""Bearer-token checks and the scope rules of the Management API."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from fastapi import Request

from selfauth.domain.metadata_history import CLIENT, USER, Author
from selfauth.errors import Forbidden, InvalidBody, Unauthorized
from selfauth.oauth.jwt import InvalidToken
from selfauth.web.context import Services, services_of
from selfauth.web.ratelimit import charge


class BadAuthorizationHeader(InvalidBody):
    error_code = "invalid_authorization_header"


@dataclass(frozen=True)
class Principal:
    """Who is calling, from a verified token."""

    subject: str
    scopes: frozenset[str]
    claims: dict[str, Any]

    @property
    def is_client(self) -> bool:
        return self.subject.endswith("@clients")

    def has_any(self, *scopes: str) -> bool:
        return not self.scopes.isdisjoint(scopes)

    @property
    def author(self) -> Author:
        """The caller, as the metadata history names who made a change: an application
        (client credentials) or a user's own token."""
        if self.is_client:
            return Author(CLIENT, self.subject.removesuffix("@clients"))
        return Author(USER, self.subject)


def insufficient_scope(accepted: tuple[str, ...]) -> Forbidden:
    return Forbidden(f"Insufficient scope, expected any of: {','.join(accepted)}")


@dataclass(frozen=True)
class Caller:
    """What a Management API handler gets: who calls, and the services to serve them."""

    principal: Principal
    services: Services


PRINCIPAL = "selfauth.principal"


def require(*accepted: str) -> Callable[[Request], Awaitable[Caller]]:
    """The one dependency of every Management API endpoint: a valid token, charged to the
    caller's rate limit, holding any of `accepted`."""

    async def dependency(request: Request) -> Caller:
        found = services_of(request)
        principal = await authenticate(request)
        client = principal.claims.get("azp") or principal.subject.removesuffix("@clients")
        limits = found.management_rate_limits
        await charge(request, limits, principal.subject, client_id=str(client))
        if not principal.has_any(*accepted):
            raise insufficient_scope(accepted)
        request.scope[PRINCIPAL] = principal  # who called, for the sapi log (audit.py)
        return Caller(principal, found)

    return dependency


async def authenticate(request: Request) -> Principal:
    """The caller's verified token."""
    return await _verify_bearer(request)


async def _verify_bearer(request: Request) -> Principal:
    header = request.headers.get("authorization")
    if not header:
        raise Unauthorized("Missing authentication")
    scheme, _, token = header.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token or " " in token:
        raise BadAuthorizationHeader("Bad HTTP authentication header format")
    found = services_of(request)
    try:
        claims = await found.verifier.verify(token, found.settings.management_audience)
    except InvalidToken as exc:
        raise Unauthorized(str(exc)) from exc
    scope = claims.get("scope")
    scopes = frozenset(scope.split()) if isinstance(scope, str) else frozenset()
    return Principal(subject=str(claims["sub"]), scopes=scopes, claims=claims)
