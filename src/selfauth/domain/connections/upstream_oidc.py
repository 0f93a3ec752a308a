"""What an `oidc` connection needs to sign users in at its provider, read from its options.

Auth0 stores any options an `oidc` connection is given (the recordings create some without a
client), so they are checked when a sign-in starts, not when saved: a connection that cannot
sign in is refused at `/authorize` with a message naming what is missing."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from selfauth.domain.connections.model import Connection
from selfauth.domain.connections.social_presets import (
    APPLE,
    apple_client_secret,
    authorize_params,
    preset_for,
    preset_options_problem,
)

DEFAULT_SCOPE = "openid profile email"


@dataclass(frozen=True)
class OidcSettings:
    discovery_url: str
    client_id: str
    client_secret: str | None = field(repr=False)
    scope: str
    # The authorization request's query beyond the flow's own (a social preset's needs).
    params: dict[str, str] = field(default_factory=dict)
    # `type: front_channel`: the provider posts an ID token to the callback (no code, no
    # secret); else the authorization code flow with PKCE.
    front_channel: bool = False

    @property
    def form_post(self) -> bool:
        """The provider answers with a cross-site POST to the callback."""
        return self.front_channel or self.params.get("response_mode") == "form_post"


class NotReady(ValueError):
    """The connection's options do not say enough to sign in."""


def _http_url(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    try:
        parts = urlsplit(value)
    except ValueError:
        return None
    return value if parts.scheme in ("http", "https") and parts.netloc else None


def _preset_settings(connection: Connection, now: int) -> OidcSettings:
    """A social preset that is OpenID Connect (`google-oauth2`, `apple`)."""
    preset = preset_for(connection.strategy)
    if preset is None or preset.discovery_url is None:
        raise NotReady(f"The connection {connection.name} does not sign in with OpenID Connect.")
    options = connection.options
    problem = preset_options_problem(connection.strategy, options, connection.name)
    if problem is not None:
        raise NotReady(problem)
    params = authorize_params(connection.strategy, options)
    scope = params.pop("scope", "")
    params.pop("response_type", None)
    if connection.strategy == APPLE:
        try:
            secret: str | None = apple_client_secret(options, now)
        except ValueError as exc:
            raise NotReady(str(exc)) from exc
    else:
        secret = options["client_secret"]
    return OidcSettings(
        discovery_url=preset.discovery_url,
        client_id=options["client_id"],
        client_secret=secret,
        scope=scope,
        params=params,
    )


def oidc_settings(connection: Connection, now: int | None = None) -> OidcSettings:
    """Settings of an `oidc` connection, or of an OpenID Connect social preset (`now`, the
    time in seconds, dates Apple's client secret)."""
    if preset_for(connection.strategy) is not None:
        return _preset_settings(connection, int(time.time()) if now is None else now)
    options = connection.options
    discovery = _http_url(options.get("discovery_url"))
    issuer = _http_url(options.get("issuer"))
    if discovery is None and issuer is not None:
        discovery = issuer.rstrip("/") + "/.well-known/openid-configuration"
    if discovery is None:
        raise NotReady(f"The connection {connection.name} names no discovery_url or issuer.")
    client_id = options.get("client_id")
    if not isinstance(client_id, str) or not client_id:
        raise NotReady(f"The connection {connection.name} has no client_id.")
    kind = options.get("type", "back_channel")
    if kind not in ("back_channel", "front_channel"):
        raise NotReady(
            f"The connection {connection.name} uses type {kind}: it must be back_channel (the "
            "authorization code flow) or front_channel (an ID token posted to the callback)."
        )
    secret = options.get("client_secret")
    scope = options.get("scope")
    words = set(scope.split()) if isinstance(scope, str) else set()
    return OidcSettings(
        discovery_url=discovery,
        client_id=client_id,
        client_secret=secret if isinstance(secret, str) and secret else None,
        scope=" ".join(sorted(words | {"openid"})) if words else DEFAULT_SCOPE,
        front_channel=kind == "front_channel",
    )
