"""Sign-in at an upstream OpenID Provider (an `oidc` connection, `type: back_channel`).

`/authorize?connection=NAME` sends the browser to the provider's authorization endpoint with
the authorization code flow, PKCE (S256), a `state` and a `nonce` of this transaction; the
transaction itself (the application's authorize request, the nonce, the PKCE verifier) stays in
a sealed cookie of this browser, so a callback is good once, in the browser that started it.
`/login/callback` exchanges the code at the provider's token endpoint with the connection's
client secret and checks the ID token: signature against the provider's JWKS (one of the
asymmetric algorithms it publishes), `iss`, `aud` (and `azp` when there are several), `nonce`,
`exp` and `iat`. Discovery and the JWKS are fetched with a timeout and cached; an unknown `kid`
fetches the JWKS again (a key rotation), at most every 5 seconds per provider."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

import httpx
import jwt

from selfauth.domain.connections.upstream_oidc import OidcSettings

# RSA and EC signatures only: `none` and HMAC (the client secret as a key) are never accepted.
SIGNING_ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384")
_CACHE_SECONDS = 3600
_REFETCH_SECONDS = 5
_LEEWAY_SECONDS = 60
_MAX_DOCUMENT_BYTES = 256 * 1024


class UpstreamError(Exception):
    """The provider could not be reached, answered badly, or its ID token failed a check:
    `error` and `description` go to the application as Auth0 words them."""

    def __init__(self, description: str, error: str = "access_denied") -> None:
        super().__init__(description)
        self.error = error
        self.description = description


@dataclass
class _Provider:
    metadata: dict[str, Any]
    keys: dict[str, jwt.PyJWK]
    fetched_at: float
    keys_fetched_at: float


@dataclass(frozen=True)
class Started:
    """Where to send the browser, and what to keep in its sealed cookie."""

    url: str
    state: str
    nonce: str
    verifier: str
    form_post: bool = False  # the provider will POST its answer to the callback, cross-site


@dataclass(frozen=True)
class Answered:
    """Who signed in (`claims`, with `sub`), and the provider's tokens worth keeping
    (`access_token`, `refresh_token`, `expires_in`) for the identity."""

    claims: dict[str, Any]
    tokens: dict[str, Any] = field(default_factory=dict)


def kept_tokens(response: dict[str, Any]) -> dict[str, Any]:
    """What of a token response an identity keeps, of the right types."""
    kept: dict[str, Any] = {
        name: response[name]
        for name in ("access_token", "refresh_token")
        if isinstance(response.get(name), str) and response[name]
    }
    expires_in = response.get("expires_in")
    if isinstance(expires_in, int) and not isinstance(expires_in, bool) and expires_in > 0:
        kept["expires_in"] = expires_in
    return kept


async def get_json(client: httpx.AsyncClient, url: str, access_token: str | None = None) -> Any:
    """The JSON answer of a GET at the provider (with its access token, for its APIs); an
    UpstreamError for anything else, an answer too large included."""
    headers = {"accept": "application/json"}
    if access_token is not None:
        headers["authorization"] = f"Bearer {access_token}"
    try:
        response = await client.get(url, headers=headers)
    except httpx.HTTPError as exc:
        raise UpstreamError(f"The identity provider could not be reached ({exc}).") from exc
    if response.status_code != 200 or len(response.content) > _MAX_DOCUMENT_BYTES:
        raise UpstreamError(f"The identity provider answered {response.status_code} at {url}.")
    try:
        return response.json()
    except ValueError as exc:
        raise UpstreamError(f"The identity provider's {url} is not JSON.") from exc


def pkce_challenge(verifier: str) -> str:
    """The S256 code challenge of a PKCE verifier (RFC 7636)."""
    digest = hashlib.sha256(verifier.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def joined(endpoint: str, query: httpx.QueryParams) -> str:
    """`endpoint` with `query` added to any it has."""
    return f"{endpoint}{'&' if '?' in endpoint else '?'}{query}"


@dataclass
class UpstreamOidc:
    timeout_seconds: float = 10.0
    _providers: dict[str, _Provider] = field(default_factory=dict)
    _locks: dict[str, asyncio.Lock] = field(default_factory=dict)
    _http: httpx.AsyncClient | None = None

    def client(self) -> httpx.AsyncClient:
        """One client for every call: a new one builds a TLS context each time (about 22 ms
        of CPU, measured by bench/upstream_logins.py) and keeps no connection alive."""
        if self._http is None:
            self._http = httpx.AsyncClient(timeout=self.timeout_seconds, follow_redirects=False)
        return self._http

    async def close(self) -> None:
        if self._http is not None:
            await self._http.aclose()
            self._http = None

    async def _json(self, url: str) -> dict[str, Any]:
        found = await get_json(self.client(), url)
        if not isinstance(found, dict):
            raise UpstreamError(f"The identity provider's {url} is not a JSON object.")
        return found

    async def _provider(self, settings: OidcSettings) -> _Provider:
        key = settings.discovery_url
        lock = self._locks.setdefault(key, asyncio.Lock())
        async with lock:
            found = self._providers.get(key)
            if found is not None and time.monotonic() - found.fetched_at < _CACHE_SECONDS:
                return found
            metadata = await self._json(settings.discovery_url)
            for name in ("issuer", "authorization_endpoint", "token_endpoint", "jwks_uri"):
                if not isinstance(metadata.get(name), str):
                    raise UpstreamError(f"The identity provider's discovery lacks {name}.")
            keys = await self._keys(metadata["jwks_uri"])
            now = time.monotonic()
            found = _Provider(metadata, keys, now, now)
            self._providers[key] = found
            return found

    async def _keys(self, jwks_uri: str) -> dict[str, jwt.PyJWK]:
        document = await self._json(jwks_uri)
        keys: dict[str, jwt.PyJWK] = {}
        for entry in document.get("keys", []):
            if not isinstance(entry, dict) or entry.get("use", "sig") != "sig":
                continue
            try:
                keys[str(entry.get("kid", ""))] = jwt.PyJWK(entry)
            except jwt.PyJWTError:
                continue  # a key type or algorithm PyJWT does not take: not one to trust
        return keys

    async def _key_for(self, settings: OidcSettings, kid: str) -> jwt.PyJWK:
        """The provider's key `kid`; an unknown one fetches the JWKS again (a rotation), at
        most every 5 seconds, so forged `kid`s cannot make us hammer the provider."""
        provider = await self._provider(settings)
        found = provider.keys.get(kid)
        if found is None and time.monotonic() - provider.keys_fetched_at >= _REFETCH_SECONDS:
            async with self._locks.setdefault(settings.discovery_url, asyncio.Lock()):
                if kid not in provider.keys:
                    provider.keys = await self._keys(provider.metadata["jwks_uri"])
                    provider.keys_fetched_at = time.monotonic()
            found = provider.keys.get(kid)
        if found is None:
            raise UpstreamError("The identity provider's ID token is signed with an unknown key.")
        return found

    async def start(self, settings: OidcSettings, redirect_uri: str) -> Started:
        provider = await self._provider(settings)
        state, nonce = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
        query: dict[str, str] = {
            **settings.params,
            "client_id": settings.client_id,
            "redirect_uri": redirect_uri,
            "scope": settings.scope,
            "state": state,
            "nonce": nonce,
        }
        verifier = ""
        if settings.front_channel:
            query |= {"response_type": "id_token", "response_mode": "form_post"}
        else:
            verifier = secrets.token_urlsafe(48)
            query |= {
                "response_type": "code",
                "code_challenge": pkce_challenge(verifier),
                "code_challenge_method": "S256",
            }
        url = joined(provider.metadata["authorization_endpoint"], httpx.QueryParams(query))
        return Started(url, state, nonce, verifier, settings.form_post)

    def _check_callback_iss(
        self, provider: _Provider, callback_iss: str | None, *, with_id_token: bool = False
    ) -> None:
        """RFC 9207: where the provider sends `iss` with its answer, or says it does, it
        must be its issuer, so a code or token from another provider is never taken here.
        An answer that carries the ID token itself may leave `iss` out (the token's own `iss`
        is checked), as RFC 9207 allows."""
        metadata = provider.metadata
        sends_iss = metadata.get("authorization_response_iss_parameter_supported") is True
        expected = sends_iss and not with_id_token
        if (expected or callback_iss is not None) and callback_iss != metadata["issuer"]:
            raise UpstreamError("The callback's iss is not this connection's provider.")

    async def finish_front_channel(
        self, settings: OidcSettings, id_token: str, nonce: str, callback_iss: str | None
    ) -> dict[str, Any]:
        """The claims of the ID token the provider posted (`type: front_channel`), checked
        as a back-channel one is; there is no access token, so no userinfo."""
        provider = await self._provider(settings)
        self._check_callback_iss(provider, callback_iss, with_id_token=True)
        return await self._checked(settings, provider, id_token, nonce)

    async def finish(
        self,
        settings: OidcSettings,
        code: str,
        redirect_uri: str,
        nonce: str,
        verifier: str,
        callback_iss: str | None = None,
    ) -> Answered:
        """The ID token's claims (checked), merged over the userinfo endpoint's answer where
        the provider has one (the ID token wins). `callback_iss` is the callback's `iss`
        (RFC 9207): where the provider sends it, or says it does, it must be its issuer, so a
        code from another provider is never sent to this one's token endpoint."""
        provider = await self._provider(settings)
        self._check_callback_iss(provider, callback_iss)
        body = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
            "code_verifier": verifier,
            "client_id": settings.client_id,
        }
        if settings.client_secret:
            body["client_secret"] = settings.client_secret
        try:
            answer = await self.client().post(
                provider.metadata["token_endpoint"],
                data=body,
                headers={"accept": "application/json"},
            )
        except httpx.HTTPError as exc:
            raise UpstreamError(f"The identity provider could not be reached ({exc}).") from exc
        try:
            tokens = answer.json()
        except ValueError:
            tokens = {}
        if answer.status_code != 200 or not isinstance(tokens, dict):
            detail = tokens.get("error_description") if isinstance(tokens, dict) else None
            raise UpstreamError(
                f"The identity provider refused the code: {detail or answer.status_code}."
            )
        id_token = tokens.get("id_token")
        if not isinstance(id_token, str):
            raise UpstreamError("The identity provider answered no ID token.")
        claims = await self._checked(settings, provider, id_token, nonce)
        access_token = tokens.get("access_token")
        endpoint = provider.metadata.get("userinfo_endpoint")
        if isinstance(access_token, str) and isinstance(endpoint, str):
            claims = {**await self._userinfo(endpoint, access_token, claims["sub"]), **claims}
        return Answered(claims, kept_tokens(tokens))

    async def _userinfo(self, endpoint: str, access_token: str, sub: str) -> dict[str, Any]:
        """The provider's userinfo (many providers put the profile there, not in the ID
        token); it must be about the ID token's subject (OIDC Core 5.3.2)."""
        found = await get_json(self.client(), endpoint, access_token)
        if not isinstance(found, dict):
            raise UpstreamError("The identity provider's userinfo is not a JSON object.")
        if found.get("sub") != sub:
            raise UpstreamError("The identity provider's userinfo is about another subject.")
        return found

    async def _checked(
        self, settings: OidcSettings, provider: _Provider, id_token: str, nonce: str
    ) -> dict[str, Any]:
        try:
            header = jwt.get_unverified_header(id_token)
        except jwt.PyJWTError as exc:
            raise UpstreamError("The identity provider's ID token is malformed.") from exc
        algorithm = header.get("alg")
        if algorithm not in SIGNING_ALGORITHMS:
            raise UpstreamError(f"The ID token's algorithm {algorithm} is not accepted.")
        key = await self._key_for(settings, str(header.get("kid", "")))
        try:
            claims: dict[str, Any] = jwt.decode(
                id_token,
                key.key,
                algorithms=[algorithm],
                audience=settings.client_id,
                issuer=provider.metadata["issuer"],
                leeway=_LEEWAY_SECONDS,
                options={"require": ["iss", "aud", "sub", "exp", "iat"]},
            )
        except jwt.PyJWTError as exc:
            raise UpstreamError(f"The identity provider's ID token failed a check: {exc}.") from exc
        audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
        if len(audiences) > 1 and claims.get("azp") != settings.client_id:
            raise UpstreamError("The ID token's azp is not this connection's client.")
        if not isinstance(claims.get("nonce"), str) or not secrets.compare_digest(
            claims["nonce"], nonce
        ):
            raise UpstreamError("The ID token's nonce is not this sign-in's.")
        if not isinstance(claims.get("sub"), str) or not claims["sub"]:
            raise UpstreamError("The ID token names no subject.")
        return claims
