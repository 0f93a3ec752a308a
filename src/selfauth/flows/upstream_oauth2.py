"""Sign-in at an upstream OAuth2 provider: Auth0's custom social connection (`oauth2`) and the
OAuth2 social presets (`github`, `windowslive`).

`/authorize?connection=NAME` sends the browser to the connection's authorization URL with
`state` (and PKCE when `pkce_enabled`); `/login/callback` exchanges the code at its token URL
(client_secret_post), then learns who signed in: a custom connection runs its
`fetchUserProfile(accessToken, context, callback)` in the sandbox (`context` is the token
response), whose `request`/`axios` reach only the connection's hosts; a preset GETs the
provider's API with the access token and maps the answers (domain/connections/social_presets.py).
Either way the profile must name the user (`user_id`)."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl

import httpx

from selfauth.domain.connections.social_presets import ProfileRefused, profile_from
from selfauth.domain.connections.upstream_oauth2 import OAuth2Settings
from selfauth.flows.upstream_oidc import (
    Answered,
    Started,
    UpstreamError,
    get_json,
    joined,
    kept_tokens,
    pkce_challenge,
)
from selfauth.hooks.connection_scripts import ConnectionScripts, ScriptCall, ScriptFailed

_MAX_ANSWER_BYTES = 256 * 1024
# What a profile may say about who the user is: the identity's id, as Auth0 takes it.
_ID_TYPES = (str, int)


class UpstreamOAuth2:
    def __init__(self, client: Callable[[], httpx.AsyncClient], scripts: ConnectionScripts) -> None:
        self._client = client
        self._scripts = scripts

    def start(self, settings: OAuth2Settings, redirect_uri: str) -> Started:
        state = secrets.token_urlsafe(24)
        verifier = secrets.token_urlsafe(48) if settings.pkce else ""
        query: dict[str, str] = {
            **settings.params,
            "client_id": settings.client_id,
            "redirect_uri": redirect_uri,
            "state": state,
        }
        if verifier:
            query |= {"code_challenge": pkce_challenge(verifier), "code_challenge_method": "S256"}
        url = joined(settings.authorization_url, httpx.QueryParams(query))
        return Started(url, state, "", verifier)

    async def finish(
        self, settings: OAuth2Settings, strategy: str, code: str, redirect_uri: str, verifier: str
    ) -> Answered:
        """Who signed in, as claims (`sub` and the profile), from the code."""
        tokens = await self._exchange(settings, code, redirect_uri, verifier)
        access_token = tokens.get("access_token")
        if not isinstance(access_token, str) or not access_token:
            raise UpstreamError("The identity provider answered no access token.")
        if settings.script is not None:
            profile = await self._scripted_profile(settings, access_token, tokens)
        else:
            answers = [
                await get_json(self._client(), url, access_token) for url in settings.profile_urls
            ]
            try:
                profile = profile_from(strategy, answers)
            except ProfileRefused as exc:
                raise UpstreamError(str(exc)) from exc
        user_id = profile.get("user_id")
        if not isinstance(user_id, _ID_TYPES) or isinstance(user_id, bool) or user_id == "":
            raise UpstreamError("The user profile has no user_id.")
        claims = {key: value for key, value in profile.items() if key != "user_id"}
        return Answered({**claims, "sub": str(user_id)}, kept_tokens(tokens))

    async def _exchange(
        self, settings: OAuth2Settings, code: str, redirect_uri: str, verifier: str
    ) -> dict[str, Any]:
        body = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
            "client_id": settings.client_id,
        }
        if settings.client_secret:
            body["client_secret"] = settings.client_secret
        if verifier:
            body["code_verifier"] = verifier
        headers = {"accept": "application/json", **settings.token_headers}
        try:
            answer = await self._client().post(settings.token_url, data=body, headers=headers)
        except httpx.HTTPError as exc:
            raise UpstreamError(f"The identity provider could not be reached ({exc}).") from exc
        tokens = _token_answer(answer)
        if answer.status_code != 200 or tokens is None or "error" in tokens:
            detail = (tokens or {}).get("error_description") or (tokens or {}).get("error")
            raise UpstreamError(
                f"The identity provider refused the code: {detail or answer.status_code}."
            )
        return tokens

    async def _scripted_profile(
        self, settings: OAuth2Settings, access_token: str, tokens: dict[str, Any]
    ) -> dict[str, Any]:
        assert settings.script is not None
        call = ScriptCall(
            "fetchUserProfile", settings.script, [access_token, tokens], {}, settings.allowed_hosts
        )
        try:
            profile = await self._scripts.call(call)
        except ScriptFailed as exc:
            raise UpstreamError(exc.message) from exc
        if not isinstance(profile, dict):
            raise UpstreamError("fetchUserProfile answered no profile object.")
        return profile


def _token_answer(answer: httpx.Response) -> dict[str, Any] | None:
    """The token response as JSON, or form-encoded as some providers answer it."""
    if len(answer.content) > _MAX_ANSWER_BYTES:
        return None
    try:
        found = answer.json()
    except ValueError:
        pairs = parse_qsl(answer.text)
        return dict(pairs) if pairs else None
    return found if isinstance(found, dict) else None
