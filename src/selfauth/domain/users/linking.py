"""Account linking (`POST/DELETE /api/v2/users/{id}/identities`), as Auth0 does it.

A secondary user linked to a primary keeps its own row (its password hash, its email's
uniqueness in its connection, its upstream `sub`), marked `linked_to` the primary: it is no
longer a user of its own (not found, listed, searched or exported), and signing in through it
signs the primary in. The primary's `identities` carry the secondary's identity with its
profile as `profileData`. The secondary's metadata is discarded, not merged (Auth0's rule).
Unlinking makes the secondary a user of its own again, with the profile of its `profileData`
and no metadata.

These are the rules on plain users; the repository runs them on both rows, locked, in one
transaction (`UserRepository.update_pair`)."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Any

from selfauth.domain.users.idp_tokens import TOKEN_NAMES
from selfauth.domain.users.model import JsonObject, User, inexistent_user
from selfauth.errors import Conflict, InvalidBody, NotFound

# What a linked identity's `profileData` keeps of the secondary's profile (Auth0's
# `UserProfileData` names, and the other root attributes selfauth stores).
PROFILE_FIELDS = (
    "email",
    "email_verified",
    "name",
    "nickname",
    "picture",
    "username",
    "given_name",
    "family_name",
    "phone_number",
    "phone_verified",
)
_FLAGS = {"email_verified": "email", "phone_verified": "phone_number"}


class LinkRefused(InvalidBody):
    """A link or unlink the rules refuse: 400, as Auth0 answers it."""


def secondary_user_id(provider: str, identity_user_id: str) -> str:
    """The `user_id` of the user an identity belongs to: `{provider}|{identity user_id}` for
    every user selfauth makes (`auth0|...` database users, `oidc|{connection}|{sub}`)."""
    return f"{provider}|{identity_user_id}"


def profile_data(user: User) -> JsonObject:
    """The secondary's profile as its linked identity carries it (unset attributes left out,
    and a verification flag only beside what it verifies)."""
    data: JsonObject = {}
    for name in PROFILE_FIELDS:
        value = getattr(user, name)
        subject = _FLAGS.get(name)
        if subject is not None:
            if getattr(user, subject) is not None:
                data[name] = value
        elif value is not None:
            data[name] = value
    return data


def _own_identity(user: User) -> JsonObject:
    if not user.identities:  # every user selfauth makes has one; an odd import may not
        raise LinkRefused(f"The user {user.user_id} has no identity to link.")
    return dict(user.identities[0])


def check_link(
    primary: User | None, secondary: User | None, connection_id: str | None
) -> tuple[User, User]:
    """Both users, if `secondary` may become an identity of `primary`; why not otherwise."""
    if primary is None or primary.linked_to is not None:
        raise inexistent_user()
    if secondary is None or (secondary.linked_to is not None):
        if secondary is not None and secondary.linked_to == primary.user_id:
            raise Conflict(
                "The secondary account is already linked to this user.",
                error_code="identity_already_linked",
            )
        raise NotFound("The secondary account does not exist.", error_code="inexistent_user")
    if secondary.user_id == primary.user_id:
        raise LinkRefused(
            "Main identity and the new one are the same.", error_code="operation_not_supported"
        )
    if connection_id is not None and connection_id != secondary.connection_id:
        raise NotFound(
            "The secondary account does not exist in the connection " + connection_id + ".",
            error_code="inexistent_user",
        )
    if len(secondary.identities) > 1:
        raise LinkRefused(
            "The secondary account has linked identities of its own; unlink them first (a "
            "primary account cannot be linked to another one).",
            error_code="operation_not_supported",
        )
    _own_identity(secondary)
    return primary, secondary


def linked(primary: User, secondary: User, now: datetime) -> tuple[User, User]:
    """Both users once `secondary` is an identity of `primary`."""
    identity = _own_identity(secondary) | {"profileData": profile_data(secondary)}
    new_primary = dataclasses.replace(
        primary, identities=[*primary.identities, identity], updated_at=now
    )
    new_secondary = dataclasses.replace(
        secondary, linked_to=primary.user_id, user_metadata={}, app_metadata={}, updated_at=now
    )
    return new_primary, new_secondary


def _position(primary: User, provider: str, identity_user_id: str) -> int | None:
    for index, identity in enumerate(primary.identities):
        if identity.get("provider") == provider and identity.get("user_id") == identity_user_id:
            return index
    return None


def check_unlink(
    primary: User | None, secondary: User | None, provider: str, identity_user_id: str
) -> tuple[User, User]:
    """Both users, if the identity is a linked secondary of `primary`; why not otherwise."""
    if primary is None or primary.linked_to is not None:
        raise inexistent_user()
    index = _position(primary, provider, identity_user_id)
    if index == 0:
        raise LinkRefused(
            "Main identity cannot be removed from the user.",
            error_code="operation_not_supported",
        )
    if index is None or secondary is None or secondary.linked_to != primary.user_id:
        raise NotFound(
            f"The user {primary.user_id} has no linked identity {provider}|{identity_user_id}.",
            error_code="inexistent_identity",
        )
    return primary, secondary


def unlinked(
    primary: User, secondary: User, provider: str, identity_user_id: str, now: datetime
) -> tuple[User, User]:
    """Both users once the identity is removed from `primary`: the secondary a user of its own
    again, with the profile its `profileData` held and no metadata."""
    index = _position(primary, provider, identity_user_id)
    if index is None or index == 0:  # check_unlink ran first
        raise LinkRefused("Main identity cannot be removed from the user.")
    identities = list(primary.identities)
    identity = identities.pop(index)
    restored = _restored_profile(secondary, identity.get("profileData"))
    new_primary = dataclasses.replace(primary, identities=identities, updated_at=now)
    new_secondary = dataclasses.replace(
        secondary, **restored, linked_to=None, user_metadata={}, app_metadata={}, updated_at=now
    )
    return new_primary, new_secondary


def _restored_profile(secondary: User, data: Any) -> dict[str, Any]:
    """The root attributes `profileData` sets (what a sign-in through the secondary synced
    while it was linked). Values of the wrong type are ignored: the row keeps its own."""
    if not isinstance(data, dict):
        return {}
    restored: dict[str, Any] = {}
    for name in PROFILE_FIELDS:
        if name not in data:
            continue
        value = data[name]
        current = getattr(secondary, name)
        fits = isinstance(value, bool) if isinstance(current, bool) else isinstance(value, str)
        if fits or (value is None and not isinstance(current, bool)):
            restored[name] = value
    return restored


def with_profile_data(primary: User, secondary: User, now: datetime) -> User:
    """`primary` with the linked identity of `secondary` carrying its current profile (after
    a sign-in through the secondary synced it from its provider)."""
    own = _own_identity(secondary)
    index = _position(primary, str(own.get("provider")), str(own.get("user_id")))
    if index is None or index == 0:
        return primary
    tokens = {name: value for name, value in own.items() if name in TOKEN_NAMES}
    entry = {**primary.identities[index], "profileData": profile_data(secondary), **tokens}
    if primary.identities[index] == entry:
        return primary
    identities = list(primary.identities)
    identities[index] = entry
    return dataclasses.replace(primary, identities=identities, updated_at=now)
