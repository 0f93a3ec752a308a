"""One door for every upstream sign-in: the connection's kind picks OpenID Connect
(flows/upstream_oidc.py) or OAuth2 (flows/upstream_oauth2.py), and both start and finish the
same way for the pages (web/pages/authorize.py), ending in claims with a `sub`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from selfauth.domain.clock import Clock
from selfauth.domain.connections.model import Connection
from selfauth.domain.connections.social_presets import ProfileRefused, preset_for, profile_from
from selfauth.domain.connections.upstream import OidcSettings, upstream_settings
from selfauth.domain.users.idp_tokens import IdpTokenBox
from selfauth.flows.upstream_oauth2 import UpstreamOAuth2
from selfauth.flows.upstream_oidc import Answered, Started, UpstreamError, UpstreamOidc
from selfauth.hooks.connection_scripts import ConnectionScripts


class UpstreamSignIn:
    def __init__(
        self, oidc: UpstreamOidc, scripts: ConnectionScripts, tokens: IdpTokenBox, clock: Clock
    ) -> None:
        self.oidc = oidc
        self.oauth2 = UpstreamOAuth2(oidc.client, scripts)
        self._tokens = tokens
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
        answer: Mapping[str, str],
        redirect_uri: str,
        nonce: str,
        verifier: str,
    ) -> Answered:
        """Who signed in (claims with `sub`, normalized for a social preset), from the
        provider's answer at the callback (its query, or the form it posted), and the
        provider's tokens, sealed for the identity (`idp_tokens`)."""
        answered = await self._answered(connection, answer, redirect_uri, nonce, verifier)
        return Answered(answered.claims, self._tokens.sealed(answered.tokens))

    async def _answered(
        self,
        connection: Connection,
        answer: Mapping[str, str],
        redirect_uri: str,
        nonce: str,
        verifier: str,
    ) -> Answered:
        settings = self._settings(connection)
        if not isinstance(settings, OidcSettings):
            return await self.oauth2.finish(
                settings, connection.strategy, _code(answer), redirect_uri, verifier
            )
        if settings.front_channel:
            id_token = answer.get("id_token", "")
            if not id_token:
                raise UpstreamError("The identity provider posted no ID token.")
            answered = Answered(
                await self.oidc.finish_front_channel(settings, id_token, nonce, answer.get("iss"))
            )
        else:
            answered = await self.oidc.finish(
                settings, _code(answer), redirect_uri, nonce, verifier, answer.get("iss")
            )
        if preset_for(connection.strategy) is None:
            return answered
        # Apple posts the user's name once, unsigned, beside the code (`user`).
        extra = [answer["user"]] if "user" in answer else []
        try:
            profile = profile_from(connection.strategy, extra, answered.claims)
        except ProfileRefused as exc:
            raise UpstreamError(str(exc)) from exc
        provider_id = str(profile.pop("user_id"))
        return Answered({**profile, "sub": provider_id}, answered.tokens)


def _code(answer: Mapping[str, str]) -> str:
    code = answer.get("code", "")
    if not code:
        raise UpstreamError("No code came back.")
    return code
