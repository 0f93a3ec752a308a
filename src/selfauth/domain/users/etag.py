"""A user's ETag (domain/etags.py): every stored field but the password hash."""

from __future__ import annotations

from dataclasses import fields

from selfauth.domain.etags import etag_of
from selfauth.domain.users.model import User

_FIELDS = tuple(field.name for field in fields(User))


def user_etag(user: User) -> str:
    return etag_of({name: getattr(user, name) for name in _FIELDS}, leave_out=("password_hash",))
