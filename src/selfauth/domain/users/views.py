"""Projections of a user. Every response that carries a user goes through one of these."""

from __future__ import annotations

from collections.abc import Callable
from hashlib import md5
from typing import Any
from urllib.parse import quote

from selfauth.domain.clock import iso
from selfauth.domain.users.idp_tokens import revealed, without_tokens
from selfauth.domain.users.model import User

_OPTIONAL_ROOT = (
    "email",
    "username",
    "phone_number",
    "given_name",
    "family_name",
    "name",
    "nickname",
    "picture",
    "last_ip",
)


def profile_view(user: User) -> dict[str, Any]:
    """The whole profile, every stored attribute (metadata objects even when empty): what
    hooks see as the user. No password hash, ever."""
    view: dict[str, Any] = {"user_id": user.user_id}
    for attribute in _OPTIONAL_ROOT:
        value = getattr(user, attribute)
        if value is not None:
            view[attribute] = value
    if user.email is not None:
        view["email_verified"] = user.email_verified
    if user.phone_number is not None:
        view["phone_verified"] = user.phone_verified
    view["blocked"] = user.blocked
    view["identities"] = without_tokens(user.identities)
    view["user_metadata"] = user.user_metadata
    view["app_metadata"] = user.app_metadata
    view["created_at"] = iso(user.created_at)
    view["updated_at"] = iso(user.updated_at)
    if user.last_login is not None:
        view["last_login"] = iso(user.last_login)
    if user.last_password_reset is not None:
        view["last_password_reset"] = iso(user.last_password_reset)
    view["logins_count"] = user.logins_count
    return view


def management_view(
    user: User, open_idp_token: Callable[[str], str | None] | None = None
) -> dict[str, Any]:
    """The Management API shape (`GET /api/v2/users/{id}`), as Auth0 answers it: empty
    metadata objects are left out (an empty PATCH removes them), and `logins_count` until the
    first login. `blocked` is always answered: Auth0 answers it once it was ever set, and
    selfauth keeps no record of whether it was. `open_idp_token`, given for a caller with
    `read:user_idp_tokens`, shows the identities' provider tokens."""
    view = profile_view(user)
    if open_idp_token is not None:
        view["identities"] = revealed(user.identities, open_idp_token)
    for name in ("user_metadata", "app_metadata"):
        if not view[name]:
            del view[name]
    if not user.logins_count:
        del view["logins_count"]
    return view


def default_picture(email: str | None, nickname: str | None) -> str:
    """Gravatar for the email, falling back to an initials placeholder as Auth0 does."""
    seed = (email or "").strip().lower()
    initials = "".join(ch for ch in (nickname or seed or "u") if ch.isalnum())[:2].lower() or "u"
    fallback = quote(f"https://cdn.auth0.com/avatars/{initials}.png", safe="")
    digest = md5(seed.encode(), usedforsecurity=False).hexdigest()
    return f"https://s.gravatar.com/avatar/{digest}?s=480&r=pg&d={fallback}"
