"""A user who signs in at an upstream identity provider (an `oidc` or `oauth2` connection, a
social preset): who they are here, and what of their profile the provider sets, by the
connection's sync policy.

The `user_id` is `{strategy}|{connection}|{sub}` and the identity `{connection, provider:
strategy, user_id: "{connection}|{sub}", isSocial}`, as Auth0 shapes enterprise and custom
social users, so two providers that hand out the same `sub` never meet; a social preset's are
`{strategy}|{id}` and `{id}` (`google-oauth2|1035...`), as Auth0 names them.

`set_user_root_attributes`:
- `on_each_login` (the default): the profile is set from the provider at every sign-in, and a
  Management API PATCH of those attributes is refused (`users/service.py`);
- `on_first_login`: set when the user is created, then theirs to edit;
- `never_on_login`: never set from the provider (only the email, which identifies the user).
Metadata is never touched by the provider."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Any

from selfauth.domain.connections.model import Connection
from selfauth.domain.connections.social_presets import preset_for, social_user_ids
from selfauth.domain.users.attributes import STORED_LIMITS, fitting
from selfauth.domain.users.idp_tokens import with_tokens
from selfauth.domain.users.model import User
from selfauth.domain.users.views import default_picture

# What the provider's claims may set.
_PROFILE = ("name", "given_name", "family_name", "nickname", "picture")


def upstream_ids(connection: Connection, sub: str) -> tuple[str, str]:
    """(the user's `user_id`, the identity's `user_id`): a social preset's users are named by
    strategy (`github|1234`), as Auth0 names them; others by connection too."""
    if preset_for(connection.strategy) is not None:
        return social_user_ids(connection.strategy, sub)
    identity = f"{connection.name}|{sub}"
    return f"{connection.strategy}|{identity}", identity


def _profile(claims: dict[str, Any]) -> dict[str, Any]:
    """The claims selfauth keeps, of the right types and lengths."""
    return dict(fitting(claims, _PROFILE))


def _email(claims: dict[str, Any]) -> tuple[str | None, bool]:
    email = claims.get("email")
    limit = STORED_LIMITS["email"]
    if not isinstance(email, str) or not 0 < len(email) <= limit or "@" not in email:
        return None, False
    return email.lower(), claims.get("email_verified") is True


def new_upstream_user(
    connection: Connection,
    claims: dict[str, Any],
    now: datetime,
    tokens: dict[str, Any] | None = None,
) -> User:
    """The user a first sign-in makes; `tokens`, the provider's (sealed), go to the identity
    (domain/users/idp_tokens.py)."""
    user_id, identity_id = upstream_ids(connection, str(claims["sub"]))
    email, verified = _email(claims)
    policy = connection.options.get("set_user_root_attributes", "on_each_login")
    profile = {} if policy == "never_on_login" else _profile(claims)
    nickname = profile.get("nickname") or (email.split("@")[0] if email else None)
    return User(
        user_id=user_id,
        connection_id=connection.id,
        created_at=now,
        updated_at=now,
        email=email,
        email_verified=verified,
        given_name=profile.get("given_name"),
        family_name=profile.get("family_name"),
        name=profile.get("name") or email or identity_id,
        nickname=nickname,
        picture=profile.get("picture") or default_picture(email, nickname),
        identities=[
            with_tokens(
                {
                    "connection": connection.name,
                    "provider": connection.strategy,
                    "user_id": identity_id,
                    "isSocial": connection.is_social,
                },
                tokens or {},
            )
        ],
    )


def with_sign_in_tokens(user: User, tokens: dict[str, Any], now: datetime) -> User:
    """The user whose own identity (the first) holds the latest sign-in's provider tokens."""
    if not tokens or not user.identities:
        return user
    own = with_tokens(user.identities[0], tokens)
    if own == user.identities[0]:
        return user
    return dataclasses.replace(user, identities=[own, *user.identities[1:]], updated_at=now)


def synced(user: User, connection: Connection, claims: dict[str, Any], now: datetime) -> User:
    """The user after a sign-in: under `on_each_login`, the provider's profile and email."""
    if connection.options.get("set_user_root_attributes", "on_each_login") != "on_each_login":
        return user
    email, verified = _email(claims)
    changes: dict[str, Any] = _profile(claims)
    if email is not None:
        changes |= {"email": email, "email_verified": verified}
    changed = {k: v for k, v in changes.items() if getattr(user, k) != v}
    return dataclasses.replace(user, **changed, updated_at=now) if changed else user
