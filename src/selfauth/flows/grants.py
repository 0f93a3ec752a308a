"""The token endpoint's grants (RFC 6749 sections 4 and 6) behind one interface and a registry.

A grant serves one or more `grant_type` values. `/oauth/token` authenticates the client, asks
the registry for the grant, and hands it a `TokenRequest`; the registry checks, once for every
grant, that the client may use the grant type. Adding a grant (a cross-origin login ticket, an
upstream connection, token exchange) is one module with a class like these and one entry in
the registry `app.py` builds.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

from selfauth import metrics
from selfauth.domain.clients.model import Client
from selfauth.domain.logs import LogSink, NoLogs
from selfauth.errors import SelfauthError
from selfauth.flows.tenant_logs import about
from selfauth.hooks.runner import RequestFacts
from selfauth.oauth.errors import InvalidRequest, UnauthorizedClient, UnsupportedGrantType


@dataclass(frozen=True)
class TokenRequest:
    """A token request from an authenticated client."""

    client: Client
    confidential: bool  # the client proved a secret; a public client did not
    grant_type: str
    params: dict[str, Any]  # the request body, `null` fields dropped
    facts: RequestFacts  # what hooks may read of the HTTP request (secrets hidden)
    # What the grant learnt for the exchange's log event (user, connection): filled by the
    # grant from what it has in hand, so logging costs no read.
    noted: dict[str, Any] = field(default_factory=dict)


class TokenGrant(Protocol):
    @property
    def grant_types(self) -> frozenset[str]:
        """The `grant_type` values this grant serves."""
        ...

    @property
    def public_clients(self) -> bool:
        """Whether a client without a secret (a SPA, a native app) may use it."""
        ...

    async def issue(self, request: TokenRequest) -> dict[str, Any]:
        """The token response (RFC 6749 5.1), or an `OAuthError`."""
        ...


# The log event of each exchange (success, failure), by grant type (reference §13.2).
_LOGGED = {
    "authorization_code": ("seacft", "feacft"),
    "client_credentials": ("seccft", "feccft"),
    "password": ("sepft", "fepft"),
    "http://auth0.com/oauth/grant-type/password-realm": ("sepft", "fepft"),
    "refresh_token": ("sertft", "fertft"),
}


class GrantRegistry:
    def __init__(self, grants: Iterable[TokenGrant], logs: LogSink | None = None) -> None:
        self._logs: LogSink = logs or NoLogs()
        self._by_type: dict[str, TokenGrant] = {}
        for grant in grants:
            for grant_type in grant.grant_types:
                if grant_type in self._by_type:
                    raise ValueError(f"two grants serve {grant_type}")
                self._by_type[grant_type] = grant

    @property
    def grant_types(self) -> frozenset[str]:
        return frozenset(self._by_type)

    def find(self, grant_type: Any) -> tuple[str, TokenGrant]:
        """The grant for a request's `grant_type` parameter (checked before the client is)."""
        if not isinstance(grant_type, str) or not grant_type:
            raise InvalidRequest("Missing required parameter: grant_type")
        grant = self._by_type.get(grant_type)
        if grant is None:
            raise UnsupportedGrantType(f"Unsupported grant type: {grant_type}")
        return grant_type, grant

    async def issue(self, grant: TokenGrant, request: TokenRequest) -> dict[str, Any]:
        try:
            if request.grant_type not in request.client.grant_types:
                raise UnauthorizedClient(
                    f"Grant type '{request.grant_type}' not allowed for the client."
                )
            answer = await grant.issue(request)
        except SelfauthError as exc:
            self._log(request, failed=exc)
            raise
        metrics.token_issued(request.grant_type)
        self._log(request, failed=None)
        return answer

    def refused(
        self, grant_type: str, client_id: str, facts: RequestFacts, error: SelfauthError
    ) -> None:
        """The client did not authenticate (a wrong secret): the grant's failure, with the
        client id it claimed (no client was read for the log)."""
        codes = _LOGGED.get(grant_type)
        if codes is None:
            return
        details = {"error": {"message": error.message, "oauthError": error.error_code}}
        fields = about(facts=facts)
        self._logs.record(codes[1], client_id=client_id[:64], details=details, **fields)

    def _log(self, request: TokenRequest, failed: SelfauthError | None) -> None:
        codes = _LOGGED.get(request.grant_type)
        if codes is None:
            return
        params = request.params
        fields = about(client=request.client, facts=request.facts)
        fields.update(request.noted)
        audience, scope = params.get("audience"), params.get("scope")
        fields["audience"] = audience if isinstance(audience, str) else None
        fields["scope"] = scope if isinstance(scope, str) else None
        if failed is None:
            self._logs.record(codes[0], **fields)
            return
        username = params.get("username")
        if "user_name" not in fields and isinstance(username, str):
            fields["user_name"] = username[:512]
        # `oauthError`, not `code`: that key is an authorization code's, hidden by the scrub.
        error = {"message": failed.message, "oauthError": failed.error_code}
        fields["details"] = {"error": error}
        self._logs.record(codes[1], **fields)
