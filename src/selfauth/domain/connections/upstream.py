"""The settings of any upstream sign-in, by the connection's kind: OpenID Connect (`oidc`, and
the `google-oauth2` and `apple` presets) or plain OAuth2 (`oauth2`, and the `github` and
`windowslive` presets). `NotReady` says what a connection lacks to sign in."""

from __future__ import annotations

from selfauth.domain.connections.model import OIDC_STRATEGY, Connection
from selfauth.domain.connections.social_presets import preset_for
from selfauth.domain.connections.upstream_oauth2 import OAuth2Settings, oauth2_settings
from selfauth.domain.connections.upstream_oidc import NotReady, OidcSettings, oidc_settings

__all__ = ["NotReady", "OAuth2Settings", "OidcSettings", "upstream_settings"]


def upstream_settings(
    connection: Connection, now: int | None = None
) -> OidcSettings | OAuth2Settings:
    preset = preset_for(connection.strategy)
    if connection.strategy == OIDC_STRATEGY or (preset is not None and preset.kind == "oidc"):
        return oidc_settings(connection, now)
    return oauth2_settings(connection)
