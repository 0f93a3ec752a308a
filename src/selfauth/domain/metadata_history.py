"""Who changed which metadata key, when, from what and to what (our addition: Auth0 keeps no
history of metadata).

A change of `user_metadata`, `app_metadata` (a user's) or `client_metadata` (an application's)
becomes one entry per root key whose value changed, written in the transaction that writes the
change. A value of None means the key was absent (metadata never holds null: null deletes).
History starts when the user or application is created: the values it was created with are in
the record itself, and an import of a million new users does not write millions of entries.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from selfauth.domain.clock import iso
from selfauth.domain.json_values import same_json

FIELDS = ("user_metadata", "app_metadata", "client_metadata")

# Who writes. `id` and `name` say which one of that kind, as far as it is known.
CLIENT = "client"  # a Management API token of an application (client credentials)
USER = "user"  # the user's own token (current_user scopes)
ADMIN = "admin"  # a dashboard administrator
RULE = "rule"
ACTION = "action"
JOB = "job"  # an import job
CONNECTION = "connection"  # a custom database's script or an upstream provider's profile
SYSTEM = "system"  # the server itself (account linking)


@dataclass(frozen=True)
class Author:
    type: str
    id: str | None = None
    name: str | None = None

    def of(self, field: str, key: str) -> Author:
        """Every key of one write has the same author, except where hooks share one write."""
        return self

    def wire(self) -> dict[str, Any]:
        return {"type": self.type, "id": self.id, "name": self.name}


class Authors(Protocol):
    """The author of each changed key of one write."""

    def of(self, field: str, key: str) -> Author: ...


ACCOUNT_LINKING = Author(SYSTEM, name="account linking")


@dataclass(frozen=True)
class KeyChange:
    field: str
    key: str
    old: Any
    new: Any
    by: Author


def key_changes(
    field: str, before: dict[str, Any], after: dict[str, Any], by: Authors
) -> list[KeyChange]:
    """One change per root key whose value differs, in key order."""
    if before is after:
        return []
    changes = []
    for key in sorted(before.keys() | after.keys()):
        old, new = before.get(key), after.get(key)
        if not same_json(old, new):
            changes.append(KeyChange(field, key, old, new, by.of(field, key)))
    return changes


@dataclass(frozen=True)
class HistoryEntry:
    id: int
    owner_id: str  # the user's id, or the client's
    field: str
    key: str
    old: Any
    new: Any
    changed_at: datetime
    by: Author

    def wire(self, owner: str) -> dict[str, Any]:
        return {
            "id": str(self.id),
            owner: self.owner_id,
            "field": self.field,
            "key": self.key,
            "old_value": self.old,
            "new_value": self.new,
            "changed_at": iso(self.changed_at),
            "changed_by": self.by.wire(),
        }


@dataclass(frozen=True)
class HistoryFilter:
    key: str | None = None
    field: str | None = None


class MetadataHistory(Protocol):
    async def of_user(
        self, user_id: str, where: HistoryFilter, offset: int, limit: int
    ) -> list[HistoryEntry]: ...
    async def count_of_user(self, user_id: str, where: HistoryFilter) -> int: ...
    async def of_client(
        self, client_id: str, where: HistoryFilter, offset: int, limit: int
    ) -> list[HistoryEntry]: ...
    async def count_of_client(self, client_id: str, where: HistoryFilter) -> int: ...
    async def forget_before(self, moment: datetime) -> int: ...
