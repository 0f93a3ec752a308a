"""What an OAuth2 sign-in needs, read from a connection: Auth0's custom social connection
(`oauth2`: `authorizationURL`, `tokenURL`, `client_id`, `client_secret`, `scope`, `authParams`,
`pkce_enabled`, `scripts.fetchUserProfile`), or a social preset that is plain OAuth2 (`github`,
`windowslive`: domain/connections/social_presets.py), whose profile comes from GETs of the
provider's API instead of a script. Checked when a sign-in starts, as `oidc` connections are."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from selfauth.domain.connections.allowed_hosts import allowed_hosts
from selfauth.domain.connections.model import OAUTH2_STRATEGY, Connection
from selfauth.domain.connections.social_presets import (
    authorize_params,
    preset_for,
    preset_options_problem,
    profile_urls_for,
)
from selfauth.domain.connections.upstream_oidc import NotReady


@dataclass(frozen=True)
class OAuth2Settings:
    authorization_url: str
    token_url: str
    client_id: str
    client_secret: str | None = field(repr=False)
    # The authorization request's query beyond client_id, redirect_uri and state.
    params: dict[str, str]
    pkce: bool
    token_headers: dict[str, str]
    # A custom social connection's fetchUserProfile; else the preset's profile URLs.
    script: str | None = field(repr=False)
    profile_urls: tuple[str, ...] = ()
    allowed_hosts: frozenset[str] = frozenset()


def _scope(value: Any) -> str | None:
    if isinstance(value, list):
        value = " ".join(item for item in value if isinstance(item, str))
    return value if isinstance(value, str) and value.strip() else None


def _custom(connection: Connection) -> OAuth2Settings:
    options = connection.options
    names = ("authorizationURL", "tokenURL", "client_id")
    missing = [name for name in names if not isinstance(options.get(name), str)]
    if missing:
        raise NotReady(f"The connection {connection.name} has no {', '.join(missing)}.")
    scripts = options.get("scripts")
    script = scripts.get("fetchUserProfile") if isinstance(scripts, dict) else None
    if not isinstance(script, str) or not script.strip():
        raise NotReady(f"The connection {connection.name} has no scripts.fetchUserProfile.")
    params = {"response_type": "code"}
    extra = options.get("authParams")
    if isinstance(extra, dict):
        params |= {str(k): str(v) for k, v in extra.items() if isinstance(v, (str, int, float))}
    scope = _scope(options.get("scope"))
    if scope:
        params["scope"] = scope
    secret = options.get("client_secret")
    urls = (options["authorizationURL"], options["tokenURL"])
    return OAuth2Settings(
        authorization_url=options["authorizationURL"],
        token_url=options["tokenURL"],
        client_id=options["client_id"],
        client_secret=secret if isinstance(secret, str) and secret else None,
        params=params,
        pkce=options.get("pkce_enabled") is True,
        token_headers={},
        script=script,
        allowed_hosts=allowed_hosts(urls, options),
    )


def oauth2_settings(connection: Connection) -> OAuth2Settings:
    """Settings of an `oauth2` connection or an OAuth2 social preset; NotReady if the options
    do not say enough."""
    if connection.strategy == OAUTH2_STRATEGY:
        return _custom(connection)
    preset = preset_for(connection.strategy)
    if preset is None or preset.kind != "oauth2":
        raise NotReady(f"The connection {connection.name} does not sign in with OAuth2.")
    options = connection.options
    problem = preset_options_problem(connection.strategy, options, connection.name)
    if problem is not None:
        raise NotReady(problem)
    params = authorize_params(connection.strategy, options)
    return OAuth2Settings(
        authorization_url=preset.authorization_url,
        token_url=preset.token_url,
        client_id=options["client_id"],
        client_secret=options["client_secret"],
        params=params,
        pkce=False,
        token_headers=dict(preset.token_headers),
        script=None,
        profile_urls=profile_urls_for(connection.strategy, params.get("scope", "")),
    )
