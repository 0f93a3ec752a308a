"""The upstream provider's tokens an identity keeps (`access_token`, `refresh_token`,
`expires_in`), as Auth0 keeps them for calling the provider's API later.

They are sealed (AES-GCM under a key derived from the server's, domain/emails/sealing.py) when
stored in the identity, so a copy of the users table or an API answer without the right scope
never shows them; the Management API opens them only for a token with `read:user_idp_tokens`.
Hooks, exports and every other view of a user see identities without them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from selfauth.domain.emails.sealing import Sealer, SealError

# The sealed values' associated data: a sealed token opens only as an identity's token.
SEALED_AS = "identity provider token"
IDP_TOKEN_LABEL = b"selfauth identity provider tokens v1"
SEALED_NAMES = ("access_token", "refresh_token", "access_token_secret")
TOKEN_NAMES = (*SEALED_NAMES, "expires_in")


def without_tokens(identities: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The identities as everyone may see them."""
    return [
        {name: value for name, value in identity.items() if name not in TOKEN_NAMES}
        if any(name in identity for name in TOKEN_NAMES)
        else identity
        for identity in identities
    ]


def revealed(
    identities: list[dict[str, Any]], open_sealed: Callable[[str], str | None]
) -> list[dict[str, Any]]:
    """The identities with their tokens opened; one that no longer opens (the server's key
    changed) is left out rather than shown sealed."""
    shown: list[dict[str, Any]] = []
    for identity in identities:
        copy = dict(identity)
        for name in SEALED_NAMES:
            if name in copy:
                opened = open_sealed(copy[name]) if isinstance(copy[name], str) else None
                if opened is None:
                    del copy[name]
                else:
                    copy[name] = opened
        shown.append(copy)
    return shown


def with_tokens(identity: dict[str, Any], sealed: dict[str, Any]) -> dict[str, Any]:
    """The identity holding the latest sign-in's tokens (already sealed); a token the
    provider did not send again is kept (a provider sends its refresh token once)."""
    if not sealed:
        return identity
    kept = {name: value for name, value in identity.items() if name != "expires_in"}
    return kept | sealed


class IdpTokenBox:
    """Seals a provider's tokens for an identity, and opens them for `read:user_idp_tokens`."""

    def __init__(self, server_key: bytes) -> None:
        self._sealer = Sealer(server_key, IDP_TOKEN_LABEL)

    def sealed(self, tokens: dict[str, Any]) -> dict[str, Any]:
        return {
            name: self._sealer.seal(value, SEALED_AS) if name in SEALED_NAMES else value
            for name, value in tokens.items()
            if name in TOKEN_NAMES
        }

    def open(self, sealed: str) -> str | None:
        try:
            return self._sealer.open(sealed, SEALED_AS)
        except SealError:
            return None
