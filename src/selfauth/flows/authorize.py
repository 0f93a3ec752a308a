"""`/authorize` (RFC 6749 4.1 and 4.2, OIDC Core 3.1.2, 3.2.2 and 3.3.2): an ordered list of
small checks, then the decision: reuse the browser's session, answer `login_required`, or show
the login page; and the answer itself, a code, tokens, or both (the hybrid flow)."""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Protocol

from selfauth.domain import ids
from selfauth.domain.clients.model import Client
from selfauth.domain.clients.secrets import SecretHasher
from selfauth.domain.clients.web_origins import is_allowed, origin_of
from selfauth.domain.clock import Clock
from selfauth.domain.connections.model import Connection, not_for_sign_in
from selfauth.domain.connections.upstream import NotReady, upstream_settings
from selfauth.domain.logins import AuthorizationCode, LoginSession
from selfauth.domain.users.model import User
from selfauth.flows.login_hooks import LoginHooks, TokenAdditions
from selfauth.flows.user_tokens import TokenSpec, UserTokens
from selfauth.hooks.runner import RequestFacts
from selfauth.oauth import pkce
from selfauth.oauth.errors import AuthorizeError

CODE_LIFETIME = timedelta(seconds=60)
SESSION_LIFETIME = timedelta(days=7)
RESPONSE_MODES = ("query", "fragment", "form_post", "web_message")
# Every response_type Auth0 accepts, as sets: the order of the words does not matter.
RESPONSE_TYPES = frozenset(
    frozenset(words.split())
    for words in (
        "code",
        "token",
        "id_token",
        "id_token token",
        "code id_token",
        "code token",
        "code id_token token",
    )
)
CODE_ONLY = frozenset({"code"})
PROMPTS = ("none", "login", "consent", "select_account")


@dataclass
class AuthorizeRequest:
    params: Mapping[str, str]
    client: Client | None = None
    redirect_uri: str = ""
    response_mode: str = "query"
    response_types: frozenset[str] = CODE_ONLY
    scope: str = "openid"
    state: str | None = None
    nonce: str | None = None
    audience: str | None = None
    code_challenge: str | None = None
    code_challenge_method: str | None = None
    prompt: str | None = None
    max_age: int | None = None
    connection: Connection | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def checked_client(self) -> Client:
        assert self.client is not None, "check_client runs first"
        return self.client


class ClientFinder(Protocol):
    async def get(self, client_id: str) -> Client | None: ...


class ConnectionFinder(Protocol):
    async def get_by_name(self, name: str) -> Connection | None: ...


class CodeStore(Protocol):
    async def add(self, code: AuthorizationCode) -> None: ...


class SessionStore(Protocol):
    async def add(self, session: LoginSession) -> None: ...
    async def by_hash(self, token_hash: str) -> LoginSession | None: ...
    async def revoke(self, session_id: str, now: Any) -> None: ...
    async def live_of_user(self, user_id: str, now: Any) -> list[LoginSession]: ...


class UserFinder(Protocol):
    async def get(self, user_id: str) -> User | None: ...


Check = Callable[["Authorizer", AuthorizeRequest], Awaitable[None]]


async def check_client(auth: Authorizer, request: AuthorizeRequest) -> None:
    client_id = request.params.get("client_id", "")
    client = await auth.clients.get(client_id) if client_id else None
    if client is None:
        raise AuthorizeError("invalid_request", "Unknown client.", redirect=False)
    request.client = client


async def check_redirect_uri(_auth: Authorizer, request: AuthorizeRequest) -> None:
    """Exact string match against the client's callbacks; never a redirect otherwise."""
    client = request.checked_client()
    given = request.params.get("redirect_uri")
    if given is None and len(client.callbacks) == 1:
        given = client.callbacks[0]
    if not given or given not in client.callbacks:
        raise AuthorizeError(
            "invalid_request",
            "The redirect_uri is not one of the application's Allowed Callback URLs.",
            redirect=False,
        )
    request.redirect_uri = given


def _asked_types(request: AuthorizeRequest) -> frozenset[str] | None:
    words = frozenset((request.params.get("response_type") or "").split())
    return words if words in RESPONSE_TYPES else None


async def check_response_mode(_auth: Authorizer, request: AuthorizeRequest) -> None:
    """The mode decides where even the errors go, so it is settled first: `fragment` by
    default whenever tokens come back from here (OIDC Multiple Response Types 2.1), else
    `query`. A web_message answer goes only to an origin the client allowed."""
    types = _asked_types(request)
    request.response_mode = "query" if types in (None, CODE_ONLY) else "fragment"
    mode = request.params.get("response_mode") or request.response_mode
    if mode not in RESPONSE_MODES:
        raise AuthorizeError("invalid_request", f"Unsupported response_mode: {mode}")
    if types not in (None, CODE_ONLY) and mode == "query":
        # OIDC Multiple Response Types 3: tokens never travel in the query string; the
        # error itself goes to the fragment.
        asked = request.params["response_type"]
        raise AuthorizeError(
            "invalid_request", f"response_mode=query is not allowed for response_type={asked}"
        )
    if mode == "web_message":
        allowed = request.checked_client().web_origins
        if not is_allowed(origin_of(request.redirect_uri), allowed):
            raise AuthorizeError(
                "invalid_request",
                "The redirect_uri's origin is not one of the application's Allowed Web Origins.",
                redirect=False,
            )
    request.response_mode = mode


async def check_state_and_nonce(_auth: Authorizer, request: AuthorizeRequest) -> None:
    request.state = request.params.get("state")
    request.nonce = request.params.get("nonce")
    for name, value in (("state", request.state), ("nonce", request.nonce)):
        if value is not None and len(value) > 512:
            raise AuthorizeError("invalid_request", f"{name} is longer than 512 characters")


async def check_response_type(_auth: Authorizer, request: AuthorizeRequest) -> None:
    response_type = request.params.get("response_type")
    if not response_type:
        raise AuthorizeError("invalid_request", "Missing required parameter: response_type")
    types = _asked_types(request)
    if types is None:
        raise AuthorizeError(
            "unsupported_response_type", f"Unsupported response type: {response_type}"
        )
    request.response_types = types
    grants = request.checked_client().grant_types
    if "code" in types and "authorization_code" not in grants:
        raise AuthorizeError(
            "unauthorized_client", "The authorization_code grant is not allowed for the client."
        )
    if types - {"code"} and "implicit" not in grants:
        raise AuthorizeError(
            "unauthorized_client", "Grant type 'implicit' not allowed for the client."
        )
    if "id_token" in types and not request.nonce:
        # The nonce is what binds an ID token sent through the browser to this request.
        raise AuthorizeError("invalid_request", "Missing required parameter: nonce")


async def check_scope(_auth: Authorizer, request: AuthorizeRequest) -> None:
    request.scope = request.params.get("scope") or "openid"
    request.audience = request.params.get("audience") or None
    if "id_token" in request.response_types and "openid" not in request.scope.split():
        raise AuthorizeError("invalid_request", "An id_token needs the openid scope.")


async def check_pkce(auth: Authorizer, request: AuthorizeRequest) -> None:
    """Public clients must use PKCE with S256; `plain` only where the server allows it."""
    challenge = request.params.get("code_challenge")
    method = request.params.get("code_challenge_method") or ("plain" if challenge else None)
    public = request.checked_client().token_endpoint_auth_method == "none"  # noqa: S105
    if challenge is None:
        if public and "code" in request.response_types:
            raise AuthorizeError("invalid_request", "Public clients must send a code_challenge.")
        return
    if method not in ("S256", "plain") or (method == "plain" and not auth.allow_plain_pkce):
        raise AuthorizeError("invalid_request", "code_challenge_method must be S256.")
    if not pkce.well_formed(challenge):
        raise AuthorizeError("invalid_request", "Malformed code_challenge.")
    request.code_challenge, request.code_challenge_method = challenge, method


async def check_prompt(_auth: Authorizer, request: AuthorizeRequest) -> None:
    prompt = request.params.get("prompt") or None
    if prompt is not None and prompt not in PROMPTS:
        raise AuthorizeError("invalid_request", f"Unsupported prompt: {prompt}")
    request.prompt = prompt


async def check_max_age(_auth: Authorizer, request: AuthorizeRequest) -> None:
    """`max_age` (OIDC Core 3.1.2.1): the most seconds since the user last signed in for the
    session to count; 0 asks for a sign-in every time (auth0.js's and auth0-spa-js's
    `maxAge`)."""
    given = request.params.get("max_age")
    if given is None or given == "":
        return
    if not (given.isascii() and given.isdigit()) or len(given) > 10:
        raise AuthorizeError("invalid_request", "max_age must be a non-negative integer")
    request.max_age = int(given)


async def check_connection(auth: Authorizer, request: AuthorizeRequest) -> None:
    """`connection=` picks the database connection the login page signs in with, or an `oidc`
    connection whose provider the browser is sent to; auth0.js names it `realm` when it
    redeems a cross-origin login ticket."""
    params = request.params
    name = params.get("connection") or params.get("realm") or auth.default_connection
    connection = await auth.connections.get_by_name(name)
    client = request.checked_client()
    if connection is None:
        raise AuthorizeError("invalid_request", f"Unknown database connection: {name}")
    if not (connection.signs_in or connection.is_upstream):
        raise AuthorizeError("invalid_request", not_for_sign_in(connection))
    if connection.is_upstream:
        try:
            upstream_settings(connection)
        except NotReady as exc:
            raise AuthorizeError("invalid_request", str(exc)) from exc
    if client.client_id not in connection.enabled_clients:
        raise AuthorizeError(
            "unauthorized_client", f"The connection {name} is not enabled for this client."
        )
    request.connection = connection


# The order matters: nothing is redirected before the client and its redirect URI are known.
CHECKS: tuple[Check, ...] = (
    check_client,
    check_redirect_uri,
    check_state_and_nonce,
    check_response_mode,
    check_response_type,
    check_scope,
    check_pkce,
    check_prompt,
    check_max_age,
    check_connection,
)


@dataclass
class Authorizer:
    clients: ClientFinder
    connections: ConnectionFinder
    users: UserFinder
    codes: CodeStore
    sessions: SessionStore
    secrets: SecretHasher
    clock: Clock
    default_connection: str
    allow_plain_pkce: bool = False
    hooks: LoginHooks | None = None
    tokens: UserTokens | None = None

    async def validate(self, params: Mapping[str, str]) -> AuthorizeRequest:
        request = AuthorizeRequest(params=params)
        await self.check(request)
        return request

    async def check(self, request: AuthorizeRequest) -> None:
        """Run every check in order; on an error, `request` holds what was learnt so far
        (the client, the redirect URI, the state), which decides where the error goes."""
        for check in CHECKS:
            await check(self, request)

    async def session_user(self, cookie: str | None) -> tuple[LoginSession, User] | None:
        if not cookie:
            return None
        session = await self.sessions.by_hash(self.secrets.digest(cookie))
        if session is None or session.revoked_at is not None or session.expires_at <= self.clock():
            return None
        user = await self.users.get(session.user_id)
        if user is None or user.blocked:
            return None
        return session, user

    def recent_enough(self, request: AuthorizeRequest, session: LoginSession) -> bool:
        """Whether the session's sign-in is recent enough for the request's `max_age`."""
        if request.max_age is None:
            return True
        elapsed = self.clock().timestamp() - session.auth_time
        return request.max_age > 0 and elapsed <= request.max_age

    async def start_session(self, user: User) -> tuple[str, LoginSession]:
        value = secrets.token_urlsafe(32)
        now = self.clock()
        session = LoginSession(
            id=ids.object_id(),
            token_hash=self.secrets.digest(value),
            user_id=user.user_id,
            auth_time=int(now.timestamp()),
            created_at=now,
            expires_at=now + SESSION_LIFETIME,
        )
        await self.sessions.add(session)
        return value, session

    async def end_session(self, cookie: str | None) -> User | None:
        """Ends the browser's session; the user it was for (the logout's log), if any."""
        found = await self.session_user(cookie)
        if found is None:
            return None
        await self.sessions.revoke(found[0].id, self.clock())
        return found[1]

    async def sessions_of(self, user_id: str) -> list[LoginSession]:
        """The user's live sign-in sessions, for administrators."""
        return await self.sessions.live_of_user(user_id, self.clock())

    async def end_session_of(self, user_id: str, session_id: str) -> bool:
        """End one of the user's sessions (False: none of theirs is live with that id)."""
        if not any(s.id == session_id for s in await self.sessions_of(user_id)):
            return False
        await self.sessions.revoke(session_id, self.clock())
        return True

    async def answer(
        self,
        request: AuthorizeRequest,
        user: User,
        auth_time: int,
        facts: RequestFacts | None = None,
    ) -> dict[str, str]:
        """What goes back to the application: the code, the tokens, or both, after the
        post-login hooks (whose denial becomes an error sent to the redirect URI, as Auth0
        does). The hooks run once; a hybrid code keeps what they added for the exchange."""
        user, additions = await self._after_login(request, user, facts)
        code = None
        if "code" in request.response_types:
            code = await self._store_code(request, user, auth_time, additions)
        fields: dict[str, str] = {}
        if request.response_types != CODE_ONLY:
            fields = await self._tokens(request, user, auth_time, additions, code)
        if code is not None:
            fields["code"] = code
        return fields

    async def _after_login(
        self, request: AuthorizeRequest, user: User, facts: RequestFacts | None
    ) -> tuple[User, TokenAdditions | None]:
        if self.hooks is None:
            return user, None
        # A refusal (an OAuthError) goes back to the application, as Auth0 sends it.
        return await self.hooks.after_login(
            request.checked_client(),
            user,
            protocol="oidc-basic-profile"
            if request.response_types == CODE_ONLY
            else "oidc-implicit-profile",
            request=facts or RequestFacts(ip="unknown", method="GET"),
            scopes=request.scope.split(),
            audience=request.audience,
            transaction=_transaction(request),
        )

    async def _store_code(
        self,
        request: AuthorizeRequest,
        user: User,
        auth_time: int,
        additions: TokenAdditions | None,
    ) -> str:
        value = secrets.token_urlsafe(32)
        now = self.clock()
        await self.codes.add(
            AuthorizationCode(
                code_hash=self.secrets.digest(value),
                client_id=request.checked_client().client_id,
                user_id=user.user_id,
                redirect_uri=request.redirect_uri,
                scope=request.scope.split(),
                audience=request.audience,
                nonce=request.nonce,
                code_challenge=request.code_challenge,
                code_challenge_method=request.code_challenge_method,
                auth_time=auth_time,
                family_id=ids.object_id(),
                created_at=now,
                expires_at=now + CODE_LIFETIME,
                hook_result=additions.as_json() if additions is not None else None,
            )
        )
        return value

    async def _tokens(
        self,
        request: AuthorizeRequest,
        user: User,
        auth_time: int,
        additions: TokenAdditions | None,
        code: str | None,
    ) -> dict[str, str]:
        """The implicit and hybrid flows' tokens, minted as the token endpoint mints them,
        but never a refresh token: none may travel through the browser (OIDC Core 3.2.2.5)."""
        assert self.tokens is not None, "the app wires the token minting in"
        client = request.checked_client()
        server = await self.tokens.resolve_audience(request.audience, client)
        scopes = await self.tokens.scopes_for(server, request.scope, client)
        with_access = "token" in request.response_types
        spec = TokenSpec(
            audience=server,
            scopes=[s for s in scopes if s != "offline_access"],
            grant_type="implicit",
            auth_time=auth_time,
            nonce=request.nonce,
            additions=additions,
            at_hash=with_access,
            code=code,
        )
        issued = await self.tokens.issue(client, user, spec)
        fields: dict[str, str] = {}
        if with_access:
            fields["access_token"] = issued["access_token"]
            fields["token_type"] = issued["token_type"]
            fields["expires_in"] = str(issued["expires_in"])
            if issued.get("scope"):
                fields["scope"] = issued["scope"]
        if "id_token" in request.response_types:
            fields["id_token"] = issued["id_token"]
        return fields


def _transaction(request: AuthorizeRequest) -> dict[str, Any]:
    """`event.transaction` for Actions: the parameters the application sent to /authorize."""
    params = request.params
    found: dict[str, Any] = {
        "redirect_uri": request.redirect_uri,
        "response_type": (params.get("response_type") or "code").split(),
        "response_mode": request.response_mode,
        "state": request.state,
        "prompt": [request.prompt] if request.prompt else [],
    }
    for name in ("login_hint", "ui_locales", "acr_values"):
        if params.get(name):
            found[name] = params[name]
    return found
