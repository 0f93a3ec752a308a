"""One door for every upstream sign-in: the connection's kind picks OpenID Connect
(flows/upstream_oidc.py) or OAuth2 (flows/upstream_oauth2.py), and both start and finish the
same way for the pages (web/pages/authorize.py), ending in claims with a `sub`."""

from __future__ import annotations

from typing import Any

from selfauth.domain.clock import Clock
from selfauth.domain.connections.model import Connection
from selfauth.domain.connections.social_presets import ProfileRefused, preset_for, profile_from
from selfauth.domain.connections.upstream import OidcSettings, upstream_settings
from selfauth.flows.upstream_oauth2 import UpstreamOAuth2
from selfauth.flows.upstream_oidc import Started, UpstreamError, UpstreamOidc
from selfauth.hooks.connection_scripts import ConnectionScripts


class UpstreamSignIn:
    def __init__(self, oidc: UpstreamOidc, scripts: ConnectionScripts, clock: Clock) -> None:
        self.oidc = oidc
        self.oauth2 = UpstreamOAuth2(oidc.client, scripts)
        self._clock = clock

    async def close(self) -> None:
        await self.oidc.close()

    def _settings(self, connection: Connection) -> Any:
        return upstream_settings(connection, int(self._clock().timestamp()))

    async def start(self, connection: Connection, redirect_uri: str) -> Started:
        """Where to send the browser; NotReady when the connection cannot sign in."""
        settings = self._settings(connection)
        if isinstance(settings, OidcSettings):
            return await self.oidc.start(settings, redirect_uri)
        return self.oauth2.start(settings, redirect_uri)

    async def finish(
        self,
        connection: Connection,
        code: str,
        redirect_uri: str,
        nonce: str,
        verifier: str,
        callback_iss: str | None,
    ) -> dict[str, Any]:
        """Who signed in (claims with `sub`, normalized for a social preset)."""
        settings = self._settings(connection)
        if not isinstance(settings, OidcSettings):
            return await self.oauth2.finish(
                settings, connection.strategy, code, redirect_uri, verifier
            )
        claims = await self.oidc.finish(settings, code, redirect_uri, nonce, verifier, callback_iss)
        if preset_for(connection.strategy) is None:
            return claims
        try:
            profile = profile_from(connection.strategy, [], claims)
        except ProfileRefused as exc:
            raise UpstreamError(str(exc)) from exc
        provider_id = str(profile.pop("user_id"))
        return {**profile, "sub": provider_id}
