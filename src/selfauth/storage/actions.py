"""Actions, their deployed versions and the ordered bindings of each trigger."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from selfauth.domain import ids
from selfauth.domain.actions.model import (
    Action,
    ActionState,
    ActionVersion,
    Binding,
    BindingRef,
    Bound,
    BoundAction,
    Build,
    Change,
    Secret,
    Trigger,
)
from selfauth.errors import Conflict, InvalidBody
from selfauth.storage._locks import serialize
from selfauth.storage._rows import to_values
from selfauth.storage.database import Conn, Database
from selfauth.storage.lookup import KeyLookup, SelectLookup
from selfauth.storage.tables import action_versions, actions, trigger_bindings

_BY_ID = KeyLookup(actions, "id")
_VERSION = KeyLookup(action_versions, "id")
# Bindings PATCHes, forced deletes and trigger changes read the bindings, then write them.
_BINDINGS_LOCK = "trigger_bindings"
# The login runtime's read: one precompiled join, run on the driver (storage/lookup.py).
_BOUND = SelectLookup(
    sa.select(
        actions.c.id,
        actions.c.name,
        action_versions.c.id.label("version_id"),
        action_versions.c.code,
        action_versions.c.secrets,
    )
    .select_from(trigger_bindings)
    .join(actions, actions.c.id == trigger_bindings.c.action_id)
    .join(action_versions, action_versions.c.id == actions.c.deployed_version_id)
    .where(trigger_bindings.c.trigger_id == sa.bindparam("trigger_id"))
    .order_by(trigger_bindings.c.position),
    "trigger_id",
)


def _triggers(raw: list[dict[str, str]]) -> list[Trigger]:
    return [Trigger(t["id"], t["version"]) for t in raw]


def _secrets(raw: list[dict[str, str]]) -> list[Secret]:
    return [Secret(s["name"], s["value"], datetime.fromisoformat(s["updated_at"])) for s in raw]


def _triggers_json(triggers: list[Trigger]) -> list[dict[str, str]]:
    return [{"id": t.id, "version": t.version} for t in triggers]


def _secrets_json(secrets: list[Secret]) -> list[dict[str, str]]:
    return [
        {"name": s.name, "value": s.value, "updated_at": s.updated_at.isoformat()} for s in secrets
    ]


def _action(row: dict[str, Any]) -> Action:
    return Action(
        **{
            **row,
            "supported_triggers": _triggers(row["supported_triggers"]),
            "secrets": _secrets(row["secrets"]),
        }
    )


def _version(row: dict[str, Any]) -> ActionVersion:
    return ActionVersion(
        **{
            **row,
            "supported_triggers": _triggers(row["supported_triggers"]),
            "secrets": _secrets(row["secrets"]),
        }
    )


def _action_values(action: Action) -> dict[str, Any]:
    return {
        "id": action.id,
        "name": action.name,
        "supported_triggers": _triggers_json(action.supported_triggers),
        "code": action.code,
        "runtime": action.runtime,
        "secrets": _secrets_json(action.secrets),
        "deployed_version_id": action.deployed_version_id,
        "dependencies": action.dependencies,
        "created_at": action.created_at,
        "updated_at": action.updated_at,
    }


def _version_values(version: ActionVersion) -> dict[str, Any]:
    return {
        "id": version.id,
        "action_id": version.action_id,
        "number": version.number,
        "code": version.code,
        "runtime": version.runtime,
        "supported_triggers": _triggers_json(version.supported_triggers),
        "secrets": _secrets_json(version.secrets),
        "dependencies": version.dependencies,
        "created_at": version.created_at,
    }


def _name_taken(name: str) -> Conflict:
    return Conflict(
        f"An action with the same name already exists ({name}).", error_code="action_conflict"
    )


def _still_bound() -> Conflict:
    return Conflict(
        "Unable to delete an action bound to a trigger: unbind it first, or delete with "
        "force=true to unbind it.",
        error_code="action_bound",
    )


async def _states(conn: Conn, found: Iterable[Action]) -> list[ActionState]:
    """Each action with its deployed version, read in one query."""
    found = list(found)
    wanted = [a.deployed_version_id for a in found if a.deployed_version_id]
    deployed: dict[str, ActionVersion] = {}
    if wanted:
        rows = await conn.execute(action_versions.select().where(action_versions.c.id.in_(wanted)))
        deployed = {row.id: _version(dict(row._mapping)) for row in rows}
    return [ActionState(a, deployed.get(a.deployed_version_id or "")) for a in found]


class SqlActionRepository:
    def __init__(self, database: Database) -> None:
        self._db = database

    async def get(self, action_id: str) -> ActionState | None:
        found = await _BY_ID.one(self._db, id=action_id)
        if found is None:
            return None
        action = _action(found)
        version = None
        if action.deployed_version_id is not None:
            row = await _VERSION.one(self._db, id=action.deployed_version_id)
            version = None if row is None else _version(row)
        return ActionState(action, version)

    async def find(
        self, *, trigger_id: str | None, name: str | None, deployed: bool | None
    ) -> list[ActionState]:
        query = actions.select().order_by(actions.c.created_at, actions.c.id)
        if name is not None:
            query = query.where(actions.c.name == name)
        if deployed is not None:
            query = query.where(
                actions.c.deployed_version_id.is_not(None)
                if deployed
                else actions.c.deployed_version_id.is_(None)
            )
        async with self._db.read() as conn:
            found = [_action(dict(row._mapping)) for row in await conn.execute(query)]
            if trigger_id is not None:
                found = [a for a in found if trigger_id in {t.id for t in a.supported_triggers}]
            return await _states(conn, found)

    async def insert(self, action: Action) -> None:
        try:
            async with self._db.write() as conn:
                await conn.execute(actions.insert().values(_action_values(action)))
        except sa.exc.IntegrityError as exc:
            raise _name_taken(action.name) from exc

    async def update(self, action_id: str, change: Change) -> ActionState | None:
        """Read-modify-write on the locked row: concurrent PATCHes never lose a change."""
        updated: Action | None = None
        try:
            async with self._db.write() as conn:
                await serialize(conn, _BINDINGS_LOCK)
                found = await _BY_ID.locked(conn, id=action_id)
                if found is None:
                    return None
                bound_to = await conn.execute(
                    sa.select(trigger_bindings.c.trigger_id)
                    .where(trigger_bindings.c.action_id == action_id)
                    .distinct()
                )
                updated = change(_action(found), frozenset(bound_to.scalars()))
                values = _action_values(updated)
                await conn.execute(actions.update().where(actions.c.id == action_id).values(values))
                return (await _states(conn, [updated]))[0]
        except sa.exc.IntegrityError as exc:
            raise _name_taken(updated.name if updated else action_id) from exc

    async def deploy(self, action_id: str, build: Build) -> ActionVersion | None:
        """A new version numbered after the last, made current with the draft in one write."""
        async with self._db.write() as conn:
            found = await _BY_ID.locked(conn, id=action_id)
            if found is None:
                return None
            highest = (
                await conn.execute(
                    sa.select(sa.func.max(action_versions.c.number)).where(
                        action_versions.c.action_id == action_id
                    )
                )
            ).scalar()
            version, draft = build(ActionState(_action(found)), (highest or 0) + 1)
            await conn.execute(action_versions.insert().values(_version_values(version)))
            values = {**_action_values(draft), "deployed_version_id": version.id}
            await conn.execute(actions.update().where(actions.c.id == action_id).values(values))
        return version

    async def version(self, action_id: str, version_id: str) -> ActionVersion | None:
        found = await _VERSION.one(self._db, id=version_id)
        if found is None or found["action_id"] != action_id:
            return None
        return _version(found)

    async def versions(
        self, action_id: str, *, offset: int, limit: int
    ) -> tuple[list[ActionVersion], int]:
        """Newest first."""
        where = action_versions.c.action_id == action_id
        query = (
            action_versions.select()
            .where(where)
            .order_by(action_versions.c.number.desc())
            .offset(offset)
            .limit(limit)
        )
        count = sa.select(sa.func.count()).select_from(action_versions).where(where)
        async with self._db.read() as conn:
            rows = (await conn.execute(query)).all()
            total = (await conn.execute(count)).scalar_one()
        return [_version(dict(row._mapping)) for row in rows], total

    async def delete(self, action_id: str, *, force: bool) -> bool:
        """Refused while bound, unless `force` unbinds it in the same transaction."""
        async with self._db.write() as conn:
            await serialize(conn, _BINDINGS_LOCK)
            if await _BY_ID.locked(conn, id=action_id) is None:
                return False
            unbind = trigger_bindings.delete().where(trigger_bindings.c.action_id == action_id)
            if force:
                await conn.execute(unbind)
            bound = await conn.execute(
                sa.select(sa.func.count())
                .select_from(trigger_bindings)
                .where(trigger_bindings.c.action_id == action_id)
            )
            if bound.scalar_one():
                raise _still_bound()
            await conn.execute(
                action_versions.delete().where(action_versions.c.action_id == action_id)
            )
            await conn.execute(actions.delete().where(actions.c.id == action_id))
        return True

    async def bindings(self, trigger_id: str) -> Bound:
        async with self._db.read() as conn:
            return await _bindings(conn, trigger_id)

    async def replace_bindings(
        self,
        trigger_id: str,
        refs: list[BindingRef],
        check: Callable[[list[ActionState]], None],
        now: datetime,
    ) -> Bound:
        """The trigger's bindings become `refs`, in order; `check` may refuse the lot."""
        async with self._db.write() as conn:
            await serialize(conn, _BINDINGS_LOCK)
            current = {binding.id: binding for binding, _ in await _bindings(conn, trigger_id)}
            found = [await _resolve(conn, ref, current) for ref in refs]
            states = await _states(conn, found)
            check(states)
            await conn.execute(
                trigger_bindings.delete().where(trigger_bindings.c.trigger_id == trigger_id)
            )
            made: Bound = []
            for position, (ref, state) in enumerate(zip(refs, states, strict=True)):
                kept = current.get(ref.value) if ref.type == "binding_id" else None
                binding = Binding(
                    id=kept.id if kept else ids.random_uuid(),
                    trigger_id=trigger_id,
                    action_id=state.action.id,
                    display_name=ref.display_name
                    or (kept.display_name if kept else state.action.name),
                    created_at=kept.created_at if kept else now,
                    updated_at=now,
                )
                values = {**to_values(binding, trigger_bindings), "position": position}
                await conn.execute(trigger_bindings.insert().values(values))
                made.append((binding, state))
        return made

    async def bound(self, trigger_id: str) -> list[BoundAction]:
        """The deployed version of each action bound to the trigger, in binding order."""
        return [
            BoundAction(
                action_id=row["id"],
                name=row["name"],
                version_id=row["version_id"],
                code=row["code"],
                secrets={s["name"]: s["value"] for s in row["secrets"]},
            )
            for row in await _BOUND.all(self._db, trigger_id=trigger_id)
        ]


async def _bindings(conn: Conn, trigger_id: str) -> Bound:
    rows = (
        await conn.execute(
            trigger_bindings.select()
            .where(trigger_bindings.c.trigger_id == trigger_id)
            .order_by(trigger_bindings.c.position)
        )
    ).all()
    if not rows:
        return []
    bound_ids = {row.action_id for row in rows}
    found = await conn.execute(actions.select().where(actions.c.id.in_(bound_ids)))
    states = {
        state.action.id: state
        for state in await _states(conn, [_action(dict(row._mapping)) for row in found])
    }
    return [(_binding(row), states[row.action_id]) for row in rows]


def _binding(row: sa.Row[Any]) -> Binding:
    return Binding(**{k: v for k, v in row._mapping.items() if k != "position"})


async def _resolve(conn: Conn, ref: BindingRef, current: dict[str, Binding]) -> Action:
    if ref.type == "binding_id":
        kept = current.get(ref.value)
        where = actions.c.id == (kept.action_id if kept else "")
    elif ref.type == "action_id":
        where = actions.c.id == ref.value
    else:
        where = actions.c.name == ref.value
    row = (await conn.execute(actions.select().where(where))).first()
    if row is None:
        raise InvalidBody(
            f"Payload validation error: 'No action found for {ref.type} {ref.value}' on "
            "property bindings."
        )
    return _action(dict(row._mapping))
