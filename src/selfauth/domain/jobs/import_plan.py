"""What one batch of valid import rows does to the users already there: insert, overwrite
(upsert), or fail with a conflict. Pure: storage runs it inside the batch's transaction."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from selfauth.domain import ids, password_hashes
from selfauth.domain.connections.model import Connection
from selfauth.domain.jobs.import_rows import ID_PREFIX, UPSERTABLE, ImportRow
from selfauth.domain.jobs.model import RowError
from selfauth.domain.users.model import User
from selfauth.domain.users.views import default_picture


@dataclass(frozen=True)
class Existing:
    """The few columns of a stored user an import decides on."""

    user_id: str
    email: str | None
    username: str | None
    password_hash: str | None


@dataclass
class Plan:
    inserts: list[User] = field(default_factory=list)
    updates: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    errors: list[tuple[int, Any, list[RowError]]] = field(default_factory=list)


@dataclass(frozen=True)
class Candidate:
    index: int
    raw: Any
    row: ImportRow
    # The user the row inserts if nothing conflicts, built ahead (off the event loop).
    user: User | None = None


def plan_batch(
    candidates: list[Candidate],
    existing: list[Existing],
    *,
    connection: Connection,
    upsert: bool,
    now: datetime,
) -> Plan:
    by_email = {user.email: user for user in existing if user.email is not None}
    by_username = {user.username: user for user in existing if user.username is not None}
    by_id = {user.user_id: user for user in existing}
    plan = Plan()
    for candidate in candidates:
        row = candidate.row
        same_email = by_email.get(row.email)
        user_id = f"{ID_PREFIX}{row.local_id}" if row.local_id is not None else None
        same_id = by_id.get(user_id) if user_id is not None else None
        same_name = by_username.get(row.username) if row.username is not None else None
        target = same_email if upsert else None
        conflict = _conflict(target, same_email, same_id, same_name)
        if conflict is not None:
            plan.errors.append((candidate.index, candidate.raw, [conflict]))
        elif target is not None:
            plan.updates.append((target.user_id, _overwrite(row, target, now)))
        else:
            plan.inserts.append(candidate.user or new_user(row, connection, now))
    return plan


def _conflict(
    target: Existing | None,
    same_email: Existing | None,
    same_id: Existing | None,
    same_name: Existing | None,
) -> RowError | None:
    """Without upsert any match fails the row; with it, only a match on another user does."""
    if target is None and same_email is not None:
        return RowError("CONFLICT_EMAIL", "The user already exists (same email)", "email")
    if same_id is not None and same_id is not target:
        return RowError("CONFLICT", "Another user already has this user_id", "user_id")
    if same_name is not None and same_name is not target:
        return RowError("CONFLICT_USERNAME", "Another user already has this username", "username")
    return None


def _overwrite(row: ImportRow, target: Existing, now: datetime) -> dict[str, Any]:
    """Upsert replaces the upsertable attributes the row gives; metadata is not merged."""
    changes = {key: row.values[key] for key in UPSERTABLE if key in row.values}
    for key in ("user_metadata", "app_metadata"):
        if key in changes and changes[key] is None:
            changes[key] = {}
    # An imported custom hash may be replaced until the user has signed in with it.
    stored = target.password_hash
    if row.custom_hash and (stored is None or not password_hashes.is_bcrypt(stored)):
        changes["password_hash"] = row.password_hash
    changes["updated_at"] = now
    return changes


def new_user(row: ImportRow, connection: Connection, now: datetime) -> User:
    local_id = row.local_id or ids.object_id()
    values = row.values
    nickname = values.get("nickname") or row.email.split("@")[0]
    return User(
        user_id=f"{ID_PREFIX}{local_id}",
        connection_id=connection.id,
        created_at=now,
        updated_at=now,
        email=row.email,
        email_verified=bool(values.get("email_verified", False)),
        username=row.username,
        phone_number=values.get("phone_number"),
        phone_verified=bool(values.get("phone_verified", False)),
        given_name=values.get("given_name"),
        family_name=values.get("family_name"),
        name=values.get("name") or row.email,
        nickname=nickname,
        picture=values.get("picture") or default_picture(row.email, nickname),
        blocked=bool(values.get("blocked", False)),
        password_hash=row.password_hash,
        identities=[
            {
                "connection": connection.name,
                "provider": "auth0",
                "user_id": local_id,
                "isSocial": False,
            }
        ],
        user_metadata=values.get("user_metadata") or {},
        app_metadata=values.get("app_metadata") or {},
    )
