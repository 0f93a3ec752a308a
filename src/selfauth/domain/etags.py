"""Entity tags for optimistic concurrency (our addition to Auth0's Management API): a GET
sends the resource's `ETag`, and a PATCH or DELETE with `If-Match` succeeds only while the
resource still has it, so two writers that read, change and write the same record cannot
silently overwrite each other.

An ETag is a digest of the record as stored: every field, so any change of any field (and
every write, which sets `updated_at`) gives a new one, whichever path wrote it (the API, a
login, a hook, an import), with no version column to keep in step. Fields that must never
leave the server (a password hash) are left out of the digest; a change to them also changes
`updated_at`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import Any, TypeVar

import orjson

from selfauth.errors import SelfauthError

Record = TypeVar("Record")


class PreconditionFailed(SelfauthError):
    """`If-Match` named none of the resource's current ETags (RFC 9110 13.1.1)."""

    status_code = 412
    error_code = "precondition_failed"


def etag_of(record: Mapping[str, Any], *, leave_out: Iterable[str] = ()) -> str:
    """A strong ETag (quoted) of a record's fields."""
    hidden = set(leave_out)
    kept = {name: value for name, value in record.items() if name not in hidden}
    encoded = orjson.dumps(kept, option=orjson.OPT_SORT_KEYS, default=_plain)
    return '"' + hashlib.blake2b(encoded, digest_size=16).hexdigest() + '"'


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(type(value).__name__)


class IfMatch:
    """A request's `If-Match`: `*` (any current record) or a list of entity tags, compared
    strongly (a weak tag, `W/"..."`, never matches: RFC 9110 13.1.1)."""

    def __init__(self, header: str) -> None:
        value = header.strip()
        self.any = value == "*"
        self.tags = frozenset() if self.any else frozenset(_entity_tags(value))

    @classmethod
    def of(cls, header: str | None) -> IfMatch | None:
        return None if header is None else cls(header)

    def check(self, current: str | None, what: str) -> None:
        """Raise 412 unless the current record (its ETag; None: there is none) matches."""
        if current is not None and (self.any or current in self.tags):
            return
        if current is None:
            raise PreconditionFailed(f"The {what} does not exist any more.")
        if not self.tags:
            raise PreconditionFailed(
                'If-Match names no strong entity tag (a quoted ETag as a GET sent it, or "*").'
            )
        raise PreconditionFailed(
            f"The {what} was changed since it was read (its ETag is no longer the one given "
            "in If-Match): read it again, then retry."
        )


def _entity_tags(value: str) -> list[str]:
    """The strong entity tags of a comma-separated list (each `"..."` without `W/`)."""
    tags = []
    for item in value.split(","):
        tag = item.strip()
        if len(tag) >= 2 and tag[0] == '"' and tag[-1] == '"' and '"' not in tag[1:-1]:
            tags.append(tag)
    return tags


def precondition(
    if_match: IfMatch | None, etag: Callable[[Record], str], what: str
) -> Callable[[Record | None], None] | None:
    """What a conditional delete checks on the locked row (None: the record is gone), or None
    for an unconditional one."""
    if if_match is None:
        return None
    condition = if_match

    def check(found: Record | None) -> None:
        condition.check(None if found is None else etag(found), what)

    return check
