"""Use cases on Actions: drafts, deployed versions, rollbacks and trigger bindings."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import datetime
from typing import Any, Protocol

from selfauth.domain import ids
from selfauth.domain.actions.model import (
    AUTH0_TRIGGER_IDS,
    DEFAULT_RUNTIME,
    MAX_SECRET_NAME,
    MAX_SECRET_VALUE,
    RUNTIMES,
    TRIGGER_VERSIONS,
    TRIGGERS,
    Action,
    ActionState,
    ActionVersion,
    BindingRef,
    Bound,
    Build,
    Change,
    ScriptChecker,
    Secret,
    Trigger,
    check_script,
    deployed_dependencies,
    invalid,
)
from selfauth.domain.clock import Clock
from selfauth.errors import InvalidBody, NotFound

MAX_ACTION_NAME = 255
NO_MODULES = "Action modules are not available in selfauth: an action's code must be self-contained"


class ActionStore(Protocol):
    async def get(self, action_id: str) -> ActionState | None: ...
    async def insert(self, action: Action) -> None: ...
    async def update(self, action_id: str, change: Change) -> ActionState | None: ...
    async def deploy(self, action_id: str, build: Build) -> ActionVersion | None: ...
    async def version(self, action_id: str, version_id: str) -> ActionVersion | None: ...
    async def versions(
        self, action_id: str, *, offset: int, limit: int
    ) -> tuple[list[ActionVersion], int]: ...
    async def find(
        self, *, trigger_id: str | None, name: str | None, deployed: bool | None
    ) -> list[ActionState]: ...
    async def bindings(self, trigger_id: str) -> Bound: ...
    async def delete(self, action_id: str, *, force: bool) -> bool: ...
    async def replace_bindings(
        self,
        trigger_id: str,
        refs: list[BindingRef],
        check: Callable[[list[ActionState]], None],
        now: datetime,
    ) -> Bound: ...


class DraftRunner(Protocol):
    """Runs an action's code once against a given event without applying anything (the
    hook runner, hooks/runner.py)."""

    async def try_action(
        self, trigger: str, name: str, code: str, secrets: dict[str, str], event: dict[str, Any]
    ) -> dict[str, Any]: ...


def inexistent_action() -> NotFound:
    return NotFound("That action does not exist.", error_code="inexistent_action")


def inexistent_version() -> NotFound:
    return NotFound("The action version does not exist.", error_code="inexistent_action_version")


def check_trigger_id(trigger_id: str) -> None:
    """One of Auth0's trigger ids; those selfauth does not run have no bindings."""
    if trigger_id not in AUTH0_TRIGGER_IDS:
        raise InvalidBody(
            f"Trigger {trigger_id} does not exist; selfauth runs: {', '.join(TRIGGERS)}.",
            error_code="invalid_uri",
        )


class ActionService:
    """Code is compiled by `checker` (the sandbox) before it is stored."""

    def __init__(
        self,
        store: ActionStore,
        checker: ScriptChecker,
        clock: Clock,
        runner: DraftRunner | None = None,
    ) -> None:
        self._store = store
        self._checker = checker
        self._clock = clock
        self._runner = runner

    async def get(self, action_id: str) -> ActionState:
        state = await self._store.get(action_id)
        if state is None:
            raise inexistent_action()
        return state

    async def create(self, fields: dict[str, Any]) -> ActionState:
        deploy = fields.pop("deploy", False)
        checked = await _checked(fields, self._checker)
        now = self._clock()
        action = Action(
            id=ids.random_uuid(),
            name=checked["name"],
            supported_triggers=checked["supported_triggers"],
            code=checked.get("code", ""),
            runtime=checked.get("runtime", DEFAULT_RUNTIME),
            secrets=_merge_secrets([], checked.get("secrets", []), now),
            created_at=now,
            updated_at=now,
            dependencies=checked.get("dependencies", []),
        )
        await self._store.insert(action)
        if deploy:
            await self.deploy(action.id)
        return await self.get(action.id)

    async def update(self, action_id: str, fields: dict[str, Any]) -> ActionState:
        checked = await _checked(fields, self._checker)
        now = self._clock()

        def change(current: Action, bound_to: frozenset[str]) -> Action:
            changes: dict[str, Any] = {"updated_at": now}
            for name in ("name", "code", "runtime", "supported_triggers", "dependencies"):
                if name in checked:
                    changes[name] = checked[name]
            if "secrets" in checked:
                changes["secrets"] = _merge_secrets(current.secrets, checked["secrets"], now)
            triggers = {t.id for t in changes.get("supported_triggers", [])} or bound_to
            if not bound_to <= triggers:
                raise invalid(
                    "The action is bound to "
                    f"{', '.join(sorted(bound_to))}; unbind it before changing its trigger",
                    "supported_triggers",
                )
            return dataclasses.replace(current, **changes)

        state = await self._store.update(action_id, change)
        if state is None:
            raise inexistent_action()
        return state

    async def deploy(self, action_id: str) -> ActionVersion:
        """A new immutable version from the draft; bound triggers run it from now on."""
        now = self._clock()

        def build(state: ActionState, number: int) -> tuple[ActionVersion, Action]:
            draft = state.action
            version = ActionVersion(
                id=ids.random_uuid(),
                action_id=draft.id,
                number=number,
                code=draft.code,
                runtime=draft.runtime,
                supported_triggers=draft.supported_triggers,
                secrets=draft.secrets,
                created_at=now,
                dependencies=deployed_dependencies(draft.dependencies),
            )
            return version, draft

        return await self._deploy(action_id, build)

    async def version(self, action_id: str, version_id: str) -> ActionVersion:
        version = await self._store.version(action_id, version_id)
        if version is None:
            raise inexistent_version()
        return version

    async def find(
        self, *, trigger_id: str | None, name: str | None, deployed: bool | None
    ) -> list[ActionState]:
        """Actions, oldest first, narrowed by trigger, exact name, or being deployed."""
        return await self._store.find(trigger_id=trigger_id, name=name, deployed=deployed)

    async def bindings(self, trigger_id: str) -> Bound:
        """What the trigger runs, in order."""
        return await self._store.bindings(trigger_id)

    async def versions(
        self, action_id: str, *, offset: int, limit: int
    ) -> tuple[ActionState, list[ActionVersion], int]:
        """The action, a page of its versions (newest first) and how many there are."""
        state = await self.get(action_id)
        versions, total = await self._store.versions(action_id, offset=offset, limit=limit)
        return state, versions, total

    async def rollback(self, action_id: str, version_id: str, update_draft: bool) -> ActionVersion:
        """Deploys an earlier version's content again, as a new version (Auth0's roll-back);
        `update_draft` copies it into the draft too."""
        source = await self.version(action_id, version_id)
        now = self._clock()

        def build(state: ActionState, number: int) -> tuple[ActionVersion, Action]:
            version = dataclasses.replace(
                source, id=ids.random_uuid(), number=number, created_at=now
            )
            draft = state.action
            if update_draft:
                draft = dataclasses.replace(
                    draft,
                    code=source.code,
                    runtime=source.runtime,
                    supported_triggers=source.supported_triggers,
                    secrets=source.secrets,
                    dependencies=source.dependencies,
                    updated_at=now,
                )
            return version, draft

        return await self._deploy(action_id, build)

    async def _deploy(
        self, action_id: str, build: Callable[[ActionState, int], tuple[ActionVersion, Action]]
    ) -> ActionVersion:
        version = await self._store.deploy(action_id, build)
        if version is None:
            raise inexistent_action()
        return version

    async def test(self, action_id: str, event: dict[str, Any]) -> dict[str, Any]:
        """Runs the action's draft (code and secrets) against `event` as its trigger would, and
        answers what it asked for, its console output and its error; no user, token or
        execution log is touched (Auth0's POST /actions/actions/{id}/test)."""
        state = await self.get(action_id)
        if self._runner is None:
            raise invalid("Actions cannot run on this server (no sandbox)", "payload")
        draft = state.action
        trigger = draft.supported_triggers[0].id if draft.supported_triggers else "post-login"
        secrets = {s.name: s.value for s in draft.secrets}
        return await self._runner.try_action(trigger, draft.name, draft.code, secrets, event)

    async def delete(self, action_id: str, *, force: bool) -> None:
        if not await self._store.delete(action_id, force=force):
            raise inexistent_action()

    async def bind(self, trigger_id: str, refs: list[BindingRef]) -> Bound:
        """Replaces the trigger's ordered bindings; each action must be deployed already."""
        check_trigger_id(trigger_id)

        def check(states: list[ActionState]) -> None:
            seen: set[str] = set()
            for state in states:
                action = state.action
                if action.id in seen:
                    raise invalid(f"Action {action.name} is bound twice", "bindings")
                seen.add(action.id)
                if state.deployed is None:
                    raise invalid(
                        f"Action {action.name} has not been deployed: deploy it before binding it",
                        "bindings",
                    )
                if trigger_id not in {t.id for t in state.deployed.supported_triggers}:
                    raise invalid(
                        f"Action {action.name} does not support the trigger {trigger_id}",
                        "bindings",
                    )

        return await self._store.replace_bindings(trigger_id, refs, check, self._clock())


async def _checked(fields: dict[str, Any], checker: ScriptChecker) -> dict[str, Any]:
    """Validated fields, with triggers as `Trigger`s; code compiled by the sandbox."""
    checked = dict(fields)
    name = fields.get("name")
    if name is not None and not 1 <= len(name) <= MAX_ACTION_NAME:
        raise invalid(f"String length must be between 1 and {MAX_ACTION_NAME}", "name")
    if "supported_triggers" in fields:
        checked["supported_triggers"] = _triggers(fields["supported_triggers"])
    if fields.get("runtime", DEFAULT_RUNTIME) not in RUNTIMES:
        raise invalid(
            f"No enum match for: {fields['runtime']} (one of {', '.join(RUNTIMES)})", "runtime"
        )
    if fields.get("modules"):
        raise invalid(NO_MODULES, "modules")
    checked.pop("modules", None)
    for secret in fields.get("secrets", []):
        _check_secret(secret)
    if "code" in fields:
        await check_script(checker, fields["code"], "action", "code")
    return checked


def _triggers(items: list[dict[str, Any]]) -> list[Trigger]:
    if len(items) != 1:
        raise invalid("An action supports exactly one trigger", "supported_triggers")
    triggers: list[Trigger] = []
    for item in items:
        trigger_id = item["id"]
        if trigger_id not in AUTH0_TRIGGER_IDS:
            raise invalid(f"No enum match for: {trigger_id}", "supported_triggers.id")
        versions = TRIGGER_VERSIONS.get(trigger_id)
        if versions is None:
            raise invalid(
                f"Trigger {trigger_id} is not run by selfauth (it runs {', '.join(TRIGGERS)})",
                "supported_triggers.id",
            )
        version = item.get("version", versions[0])
        if version not in versions:
            raise invalid(
                f"Trigger {trigger_id} is available at version {' or '.join(versions)} only "
                "in selfauth",
                "supported_triggers.version",
            )
        triggers.append(Trigger(trigger_id, version))
    return triggers


def _check_secret(secret: dict[str, Any]) -> None:
    name = secret["name"]
    if not 1 <= len(name) <= MAX_SECRET_NAME:
        raise invalid(f"A secret's name has 1 to {MAX_SECRET_NAME} characters", "secrets.name")
    value = secret.get("value")
    if value is not None and len(value) > MAX_SECRET_VALUE:
        raise invalid(
            f"A secret's value has at most {MAX_SECRET_VALUE} characters", "secrets.value"
        )


def _merge_secrets(
    current: list[Secret], given: list[dict[str, Any]], now: datetime
) -> list[Secret]:
    """The given list replaces the secrets; one given without `value` keeps its old value."""
    old = {s.name: s for s in current}
    merged: dict[str, Secret] = {}
    for item in given:
        name = item["name"]
        if name in merged:
            raise invalid(f"Secret {name} is given twice", "secrets")
        value = item.get("value")
        if value is not None:
            merged[name] = Secret(name, value, now)
        elif name in old:
            merged[name] = old[name]
        else:
            raise invalid(f"Secret {name} is new and needs a value", "secrets.value")
    return list(merged.values())
