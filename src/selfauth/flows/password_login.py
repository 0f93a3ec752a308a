"""The password grants: `password` and Auth0's `password-realm` (RFC 6749 4.3)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from selfauth import metrics
from selfauth.domain.clients.model import Client
from selfauth.domain.clock import Clock
from selfauth.domain.connections import custom_database
from selfauth.domain.connections.model import Connection, not_for_sign_in
from selfauth.domain.emails.message import MailsIfNeeded, PendingMail
from selfauth.domain.logins import BRUTE_FORCE_LIMIT, Attempt
from selfauth.domain.logs import LogSink, NoLogs
from selfauth.domain.passwords import PasswordHasher
from selfauth.domain.users.legacy import ScriptError
from selfauth.domain.users.model import User
from selfauth.errors import TooManyRequests
from selfauth.flows.grants import TokenRequest
from selfauth.flows.login_hooks import LoginHooks
from selfauth.flows.tenant_logs import about
from selfauth.flows.user_tokens import TokenSpec, UserTokens
from selfauth.oauth.errors import (
    AccessDenied,
    BlockedUser,
    InvalidGrant,
    InvalidRequest,
    OAuthError,
    TooManyAttempts,
    UnauthorizedClient,
)

PASSWORD = "password"  # noqa: S105 (a grant type's name)
PASSWORD_REALM = "http://auth0.com/oauth/grant-type/password-realm"  # noqa: S105
WRONG_CREDENTIALS = "Wrong email or password."
BUSY = "Too many login attempts for this account are under way; try again shortly."
BLOCKED = (
    "Your account has been blocked after multiple consecutive login attempts. Ask an "
    "administrator to unblock it."
)


class ConnectionFinder(Protocol):
    async def get_by_name(self, name: str) -> Connection | None: ...


class LoginUsers(Protocol):
    async def get(self, user_id: str) -> User | None: ...
    async def find_login(self, connection_id: str, identifier: str) -> User | None: ...
    async def record_login(self, user_id: str, ip: str, now: datetime) -> User | None: ...
    async def replace_password_hash(self, user_id: str, old: str, new: str) -> None: ...


class LegacyLogins(Protocol):
    """A custom database's `login` script (domain/users/service.py): the user it returned,
    stored; None for wrong credentials; `ScriptError` otherwise."""

    async def legacy_login(
        self, connection: Connection, identifier: str, password: str
    ) -> User | None: ...


class WrongPassword(InvalidGrant):
    """A known user, a wrong password (the login page logs it as `fp`)."""


class UnknownUser(InvalidGrant):
    """No such user on the connection (`fu`); the same answer as a wrong password."""


class ScriptUnauthorized(OAuthError):
    """A login script's `UnauthorizedError(message)`: the user reads its message (401
    `unauthorized`, as a blocked user's refusal)."""

    status_code = 401
    error_code = "unauthorized"


class FailureCounter(Protocol):
    async def attempt(self, user_id: str, ip: str, limit: int, now: datetime) -> Attempt: ...
    async def settle(
        self,
        user_id: str,
        ip: str,
        *,
        succeeded: bool,
        limit: int,
        now: datetime,
        mails_if_blocked: MailsIfNeeded | None = None,
    ) -> bool: ...


class BlockMails(Protocol):
    """The blocked_account mail (with its unblock link), and waking the sender."""

    async def blocked_account(self, user: User, ip: str) -> list[PendingMail]: ...
    def wake(self) -> None: ...


@dataclass
class PasswordLogin:
    connections: ConnectionFinder
    users: LoginUsers
    failures: FailureCounter
    hasher: PasswordHasher
    tokens: UserTokens
    default_connection: str
    clock: Clock
    hooks: LoginHooks
    mails: BlockMails | None = None
    legacy: LegacyLogins | None = None  # custom database connections' login scripts
    logs: LogSink = field(default_factory=NoLogs)  # `limit_wc` when a block begins

    grant_types = frozenset({PASSWORD, PASSWORD_REALM})
    public_clients = True

    async def issue(self, request: TokenRequest) -> dict[str, Any]:
        client, params, grant_type = request.client, request.params, request.grant_type
        username, password = params.get("username"), params.get("password")
        if not isinstance(username, str) or not username:
            raise InvalidRequest("Missing required parameter: username")
        if not isinstance(password, str) or not password:
            raise InvalidRequest("Missing required parameter: password")
        realm = params.get("realm") if grant_type == PASSWORD_REALM else None
        if grant_type == PASSWORD_REALM and (not isinstance(realm, str) or not realm):
            raise InvalidRequest("Missing required parameter: realm")
        connection = await self.connection_for(client, realm or self.default_connection)
        server = await self.tokens.resolve_audience(params.get("audience"), client)
        scopes = await self.tokens.scopes_for(server, params.get("scope"), client)
        user = await self.check_password(connection, username, password, request.facts.ip)
        protocol = "oauth2-password" if grant_type == PASSWORD_REALM else "oauth2-resource-owner"
        user, additions = await self.hooks.after_login(
            client,
            user,
            protocol=protocol,
            request=request.facts,
            scopes=scopes,
            audience=server.identifier if server else None,
            connection=connection,
        )
        spec = TokenSpec(
            audience=server,
            scopes=scopes,
            grant_type=PASSWORD,
            auth_time=int(self.clock().timestamp()),
            additions=additions,
        )
        request.noted.update(about(user=user, connection=connection))
        return await self.tokens.issue(client, user, spec)

    async def connection_for(self, client: Client, name: str) -> Connection:
        """The database connection `name`, if `client` may sign users in with it."""
        connection = await self.connections.get_by_name(name)
        if connection is None:
            raise InvalidRequest(f"Unknown database connection: {name}")
        if not connection.signs_in:
            raise InvalidRequest(not_for_sign_in(connection))
        if client.client_id not in connection.enabled_clients:
            raise UnauthorizedClient(f"The connection {name} is not enabled for this client.")
        return connection

    async def _settle(self, user: User, ip: str, valid: bool) -> None:
        mails = self.mails

        async def blocked_mails() -> list[PendingMail]:
            return [] if mails is None else await mails.blocked_account(user, ip)

        blocked = await self.failures.settle(
            user.user_id,
            ip,
            succeeded=valid,
            limit=BRUTE_FORCE_LIMIT,
            now=self.clock(),
            mails_if_blocked=blocked_mails,
        )
        if blocked:
            details = {"error": {"message": "Too many failed login attempts."}}
            self.logs.record("limit_wc", ip=ip, details=details, **about(user=user))
        if blocked and mails is not None:
            mails.wake()

    def _through_script(self, connection: Connection, user: User | None) -> bool:
        """A custom database's login goes to its `login` script, unless import mode has
        already moved the user here (a local user with a password is checked here)."""
        if self.legacy is None or not custom_database.customized(connection):
            return False
        migrated = user is not None and user.password_hash is not None
        return not (custom_database.import_mode(connection) and migrated)

    async def _script_login(
        self, connection: Connection, identifier: str, password: str
    ) -> User | None:
        assert self.legacy is not None
        try:
            return await self.legacy.legacy_login(connection, identifier, password)
        except ScriptError as error:
            if error.unauthorized:
                raise ScriptUnauthorized(error.message) from error
            raise AccessDenied(error.described()) from error

    async def check_password(
        self, connection: Connection, identifier: str, password: str, ip: str
    ) -> User:
        """Same work whether or not the user exists: an unknown user still costs a bcrypt."""
        user = await self.users.find_login(connection.id, identifier)
        guarded = user is not None and connection.options.get("brute_force_protection", True)
        if guarded and user is not None:
            attempt = await self.failures.attempt(user.user_id, ip, BRUTE_FORCE_LIMIT, self.clock())
            if attempt is Attempt.BLOCKED:
                metrics.login("too_many_attempts")
                raise TooManyAttempts(BLOCKED)
            if attempt is Attempt.BUSY:
                metrics.login("busy")
                raise TooManyRequests(BUSY)
        valid = False
        counted = user
        try:
            if self._through_script(connection, user):
                user = await self._script_login(connection, identifier, password)
                valid = user is not None
            else:
                stored = user.password_hash if user else None
                valid = await self.hasher.verify(password, stored)
                if valid and user is not None and stored and self.hasher.outdated(stored):
                    # An imported custom hash: bcrypt at our cost from now on.
                    rehashed = await self.hasher.hash(password)
                    await self.users.replace_password_hash(user.user_id, stored, rehashed)
        finally:
            # A script's failure counts as a failed attempt too.
            if guarded and counted is not None:
                await self._settle(counted, ip, valid)
        if user is None or not valid:
            metrics.login("wrong_password" if counted is not None else "unknown_user")
            raise (WrongPassword if counted is not None else UnknownUser)(WRONG_CREDENTIALS)
        if user.blocked:
            metrics.login("user_blocked")
            raise BlockedUser("user is blocked")
        if user.linked_to is not None:
            # A secondary account (account linking): its password signs its primary in.
            primary = await self.users.get(user.linked_to)
            if primary is None:  # unlinked in between (then it is theirs), or deleted
                primary = await self.users.get(user.user_id)
            if primary is None:
                metrics.login("unknown_user")
                raise InvalidGrant(WRONG_CREDENTIALS)
            if primary.blocked:
                metrics.login("user_blocked")
                raise BlockedUser("user is blocked")
            user = primary
        updated = await self.users.record_login(user.user_id, ip, self.clock())
        metrics.login("success")
        return updated or user
