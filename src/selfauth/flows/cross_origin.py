"""Cross-origin authentication (auth0.js `login` with a realm, Lock's embedded login): the
application's page posts the password to `/co/authenticate` from its own origin and gets a
single-use login ticket, which its next `/authorize` redeems to sign the user in.

The ticket is bound to the browser that authenticated, so a ticket carried to another browser
(a link an attacker made from their own login, or one read from a history) signs no one in.
`/co/authenticate` gives the browser the login's verifier twice: in a cookie on selfauth's
domain, which `/authorize` reads, and in the answer, which auth0.js keeps on the application's
origin. Where the browser kept no cookie from that cross-site call, the application's
`cross_origin_loc` page hands the verifier to `/co/verify` instead (Auth0's fallback). Either
way the verifier must match the hash stored with the ticket. The ticket itself is random,
short-lived, used once, bound to its client and kept only as a keyed hash.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from selfauth.domain.clients.model import Client
from selfauth.domain.clients.origins import registered_origins
from selfauth.domain.clients.secrets import SecretHasher
from selfauth.domain.clock import Clock
from selfauth.domain.login_tickets import LoginTicket
from selfauth.domain.logs import LogSink, NoLogs
from selfauth.domain.users.model import User
from selfauth.errors import SelfauthError
from selfauth.flows.password_login import PASSWORD, PASSWORD_REALM, PasswordLogin
from selfauth.flows.tenant_logs import about
from selfauth.hooks.runner import RequestFacts
from selfauth.oauth.errors import (
    AccessDenied,
    BlockedUser,
    InvalidGrant,
    InvalidRequest,
    OAuthError,
    UnauthorizedClient,
)

CROSS_ORIGIN_REFUSED = "Cross origin login not allowed."
_REQUIRED = "All and only of client_id, credential_type, username, password, realm are required."


class UnsupportedCredentialType(OAuthError):
    error_code = "unsupported_credential_type"


class CrossOriginUnauthorized(UnauthorizedClient):
    status_code = 401  # Auth0 answers /co/authenticate's refusal with 401, the token endpoint's 403


class BlockedUserRefused(OAuthError):
    status_code = 403
    error_code = "blocked_user"


class OriginRefused(Exception):
    """The request's `Origin` is not one the client registered: a bare-text 403, as Auth0."""

    def __init__(self, origin: str | None) -> None:
        super().__init__(f"Origin {origin or 'null'} is not allowed.")


class ClientFinder(Protocol):
    async def get(self, client_id: str) -> Client | None: ...


class TicketStore(Protocol):
    async def add(self, ticket: LoginTicket) -> None: ...
    async def pending(
        self, ticket_hash: str, client_id: str, now: datetime
    ) -> LoginTicket | None: ...
    async def redeem(self, ticket_hash: str, client_id: str, now: datetime) -> str | None: ...


class UserFinder(Protocol):
    async def get(self, user_id: str) -> User | None: ...


def _text(body: Mapping[str, Any], name: str) -> str:
    value = body.get(name)
    if not isinstance(value, str) or not value:
        raise InvalidRequest(_REQUIRED)
    return value


@dataclass
class CrossOriginLogin:
    clients: ClientFinder
    users: UserFinder
    tickets: TicketStore
    passwords: PasswordLogin  # its connection choice, password check and brute-force counter
    secrets: SecretHasher
    clock: Clock
    lifetime: timedelta
    logs: LogSink = field(default_factory=NoLogs)  # scoa, fcoa, fco

    async def authenticate(
        self,
        body: Mapping[str, Any],
        origin: str | None,
        ip: str,
        facts: RequestFacts | None = None,
    ) -> dict[str, str]:
        """`{login_ticket, co_verifier, co_id}` for a right password sent from an origin the
        client registered. Logged as `scoa`, `fcoa` with the reason, or `fco` for an origin
        the client did not register."""
        noted: dict[str, Any] = about(facts=facts)
        noted["ip"] = ip
        try:
            answer = await self._authenticate(body, origin, ip, noted)
        except OriginRefused as exc:
            self.logs.record("fco", details={"error": {"message": str(exc)}}, **noted)
            raise
        except SelfauthError as exc:
            details = {"error": {"message": exc.message, "oauthError": exc.error_code}}
            username = body.get("username")
            if "user_name" not in noted and isinstance(username, str):
                noted["user_name"] = username[:512]
            self.logs.record("fcoa", details=details, **noted)
            raise
        self.logs.record("scoa", **noted)
        return answer

    async def _authenticate(
        self, body: Mapping[str, Any], origin: str | None, ip: str, noted: dict[str, Any]
    ) -> dict[str, str]:
        client_id = _text(body, "client_id")
        credential_type = _text(body, "credential_type")
        if credential_type not in (PASSWORD_REALM, PASSWORD):
            raise UnsupportedCredentialType(f"Unsupported credential type: {credential_type}")
        username, password = _text(body, "username"), _text(body, "password")
        realm = _text(body, "realm") if credential_type == PASSWORD_REALM else None
        client = await self.clients.get(client_id)
        noted["client_id"] = client_id[:64]
        # An unknown client is refused as one without the setting: nothing tells them apart.
        if client is None or not client.cross_origin_authentication:
            raise CrossOriginUnauthorized(CROSS_ORIGIN_REFUSED)
        noted.update(about(client=client))
        if origin is None or not registered_origins(client).allows(origin):
            raise OriginRefused(origin)
        connection = await self.passwords.connection_for(
            client, realm or self.passwords.default_connection
        )
        noted.update(about(connection=connection))
        try:
            user = await self.passwords.check_password(connection, username, password, ip)
        except InvalidGrant as exc:
            raise AccessDenied(exc.description) from exc
        except BlockedUser as exc:
            raise BlockedUserRefused(exc.description) from exc
        noted.update(about(user=user))
        return await self._issue(client, user)

    async def _issue(self, client: Client, user: User) -> dict[str, str]:
        ticket, verifier, co_id = (
            secrets.token_urlsafe(32),
            secrets.token_urlsafe(32),
            secrets.token_urlsafe(24),
        )
        now = self.clock()
        await self.tickets.add(
            LoginTicket(
                ticket_hash=self.secrets.digest(ticket),
                client_id=client.client_id,
                user_id=user.user_id,
                co_id=co_id,
                verifier_hash=self.secrets.digest(verifier),
                created_at=now,
                expires_at=now + self.lifetime,
            )
        )
        return {"login_ticket": ticket, "co_verifier": verifier, "co_id": co_id}

    async def pending(self, ticket: str, client_id: str) -> LoginTicket | None:
        """The ticket when it is still good for this client (nothing spent)."""
        return await self.tickets.pending(self.secrets.digest(ticket), client_id, self.clock())

    def verifies(self, ticket: LoginTicket, verifier: str) -> bool:
        """Whether `verifier` is the one issued with the ticket (constant-time)."""
        return hmac.compare_digest(self.secrets.digest(verifier), ticket.verifier_hash)

    async def redeem(self, ticket: str, client_id: str, verifier: str) -> User | None:
        """The ticket's user, the ticket spent; None when it is no good for this client
        (unknown, another client's, expired, used), `verifier` is not its own, or the user is
        gone or blocked since."""
        found = await self.pending(ticket, client_id)
        if found is None or not self.verifies(found, verifier):
            return None
        user_id = await self.tickets.redeem(self.secrets.digest(ticket), client_id, self.clock())
        if user_id is None:
            return None
        user = await self.users.get(user_id)
        return None if user is None or user.blocked else user
