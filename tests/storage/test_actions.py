"""SqlActionRepository on every database: drafts, deployed versions numbered without gaps or
repeats even when deployed at once, the ordered bindings of a trigger and what the login runtime
reads from them, and deletion refused while bound."""

from __future__ import annotations

import asyncio
import dataclasses
import uuid
from collections.abc import Callable
from datetime import timedelta

import pytest

from selfauth.domain.actions.model import (
    TRIGGERS,
    Action,
    ActionState,
    ActionVersion,
    BindingRef,
    Secret,
)
from selfauth.errors import Conflict, InvalidBody
from selfauth.storage.actions import SqlActionRepository
from selfauth.storage.database import Database
from tests.support.storage import now, unique

TRIGGER = "post-login"


@pytest.fixture
def actions(database: Database) -> SqlActionRepository:
    return SqlActionRepository(database)


def new_action(**fields: object) -> Action:
    moment = now()
    values: dict[str, object] = {
        "id": str(uuid.uuid4()),
        "name": unique("action"),
        "supported_triggers": [TRIGGERS[TRIGGER]],
        "code": "exports.onExecutePostLogin = async (event, api) => {};",
        "runtime": "node18",
        "secrets": [Secret("API_KEY", "s3cret", moment)],
        "created_at": moment,
        "updated_at": moment,
        **fields,
    }
    return Action(**values)  # type: ignore[arg-type]


def build(state: ActionState, number: int) -> tuple[ActionVersion, Action]:
    """As the service deploys: the draft's content as version `number`."""
    draft = state.action
    version = ActionVersion(
        id=str(uuid.uuid4()),
        action_id=draft.id,
        number=number,
        code=draft.code,
        runtime=draft.runtime,
        supported_triggers=draft.supported_triggers,
        secrets=draft.secrets,
        created_at=now(),
    )
    return version, draft


async def stored(actions: SqlActionRepository, **fields: object) -> Action:
    action = new_action(**fields)
    await actions.insert(action)
    return action


async def deployed(actions: SqlActionRepository, **fields: object) -> Action:
    action = await stored(actions, **fields)
    assert await actions.deploy(action.id, build) is not None
    state = await actions.get(action.id)
    assert state is not None
    return state.action


def refs(*found: Action) -> list[BindingRef]:
    return [BindingRef("action_id", a.id) for a in found]


def accept(states: list[ActionState]) -> None:
    return None


async def test_a_draft_round_trips_without_a_deployed_version(
    actions: SqlActionRepository,
) -> None:
    action = await stored(actions)
    assert await actions.get(action.id) == ActionState(action, None)
    assert await actions.get(str(uuid.uuid4())) is None
    assert await actions.find(trigger_id=None, name=action.name, deployed=None) == [
        ActionState(action, None)
    ]
    assert action.id not in {
        s.action.id for s in await actions.find(trigger_id=None, name=None, deployed=True)
    }


async def test_dependencies_round_trip(actions: SqlActionRepository) -> None:
    dependencies = [{"name": "lodash", "version": "4.17.21"}, {"name": "axios", "version": "1"}]
    action = await stored(actions, dependencies=dependencies)
    assert await actions.get(action.id) == ActionState(action, None)


async def test_a_name_is_taken_once(actions: SqlActionRepository) -> None:
    action = await stored(actions)
    with pytest.raises(Conflict):
        await actions.insert(new_action(name=action.name))
    other = await stored(actions)
    with pytest.raises(Conflict):
        await actions.update(other.id, lambda a, bound: dataclasses.replace(a, name=action.name))
    assert (await actions.get(other.id)) == ActionState(other, None)


async def test_concurrent_draft_changes_all_stay(actions: SqlActionRepository) -> None:
    """Each change reads the draft on the locked row: ten secrets added at once all stay."""
    action = await stored(actions, secrets=[])

    def add(name: str) -> Callable[[Action, frozenset[str]], Action]:
        def change(draft: Action, bound: frozenset[str]) -> Action:
            secret = Secret(name, "v", draft.created_at)
            return dataclasses.replace(draft, secrets=[*draft.secrets, secret])

        return change

    await asyncio.gather(*(actions.update(action.id, add(f"S{n}")) for n in range(10)))
    state = await actions.get(action.id)
    assert state is not None
    assert sorted(s.name for s in state.action.secrets) == [f"S{n}" for n in range(10)]
    assert await actions.update(str(uuid.uuid4()), add("X")) is None


async def test_a_change_is_told_which_triggers_bind_the_action(
    actions: SqlActionRepository,
) -> None:
    action = await deployed(actions)
    seen: list[frozenset[str]] = []

    def change(draft: Action, bound: frozenset[str]) -> Action:
        seen.append(bound)
        return draft

    await actions.update(action.id, change)
    await actions.replace_bindings(TRIGGER, refs(action), accept, now())
    await actions.update(action.id, change)
    await actions.replace_bindings(TRIGGER, [], accept, now())
    assert seen == [frozenset(), frozenset({TRIGGER})]


async def test_deploys_number_versions_one_by_one_even_at_once(
    actions: SqlActionRepository,
) -> None:
    action = await stored(actions)
    made = await asyncio.gather(*(actions.deploy(action.id, build) for _ in range(6)))
    numbers = sorted(v.number for v in made if v is not None)
    assert numbers == [1, 2, 3, 4, 5, 6]
    listed, total = await actions.versions(action.id, offset=0, limit=4)
    assert total == 6
    assert [v.number for v in listed] == [6, 5, 4, 3]
    state = await actions.get(action.id)
    assert state is not None and state.deployed is not None
    assert state.action.deployed_version_id == state.deployed.id
    assert state.deployed.number == 6
    first = next(v for v in made if v is not None and v.number == 1)
    assert await actions.version(action.id, first.id) == first
    other = await stored(actions)
    assert await actions.version(other.id, first.id) is None
    assert await actions.deploy(str(uuid.uuid4()), build) is None


async def test_bindings_keep_their_order_and_the_runtime_reads_deployed_versions(
    actions: SqlActionRepository,
) -> None:
    first = await deployed(actions, secrets=[Secret("A", "1", now())])
    second = await deployed(actions, secrets=[])
    # A draft edited after its deploy: the runtime still runs the deployed code.
    await actions.update(
        first.id, lambda a, bound: dataclasses.replace(a, code="// edited, not deployed")
    )
    made = await actions.replace_bindings(TRIGGER, refs(second, first), accept, now())
    assert [state.action.id for _, state in made] == [second.id, first.id]
    assert [b.action_id for b, _ in await actions.bindings(TRIGGER)] == [second.id, first.id]
    bound = await actions.bound(TRIGGER)
    assert [(b.action_id, b.name) for b in bound] == [
        (second.id, second.name),
        (first.id, first.name),
    ]
    assert bound[1].code == first.code and bound[1].secrets == {"A": "1"}
    # Rebinding by binding id keeps the binding; by name finds the action.
    kept, _ = made[0]
    again = await actions.replace_bindings(
        TRIGGER,
        [BindingRef("action_name", first.name), BindingRef("binding_id", kept.id, "renamed")],
        accept,
        now() + timedelta(seconds=1),
    )
    assert [s.action.id for _, s in again] == [first.id, second.id]
    assert again[1][0].id == kept.id and again[1][0].created_at == kept.created_at
    assert again[1][0].display_name == "renamed"
    await actions.replace_bindings(TRIGGER, [], accept, now())
    assert await actions.bound(TRIGGER) == []


async def test_a_refused_or_unresolvable_binding_changes_nothing(
    actions: SqlActionRepository,
) -> None:
    action = await deployed(actions)
    await actions.replace_bindings(TRIGGER, refs(action), accept, now())
    before = await actions.bindings(TRIGGER)

    def refuse(states: list[ActionState]) -> None:
        raise InvalidBody("Payload validation error: 'refused' on property bindings.")

    other = await deployed(actions)
    with pytest.raises(InvalidBody):
        await actions.replace_bindings(TRIGGER, refs(other), refuse, now())
    with pytest.raises(InvalidBody):
        await actions.replace_bindings(
            TRIGGER, [BindingRef("action_id", str(uuid.uuid4()))], accept, now()
        )
    assert await actions.bindings(TRIGGER) == before
    await actions.replace_bindings(TRIGGER, [], accept, now())


async def test_a_bound_action_is_deleted_only_by_force(actions: SqlActionRepository) -> None:
    action = await deployed(actions)
    await actions.deploy(action.id, build)
    await actions.replace_bindings(TRIGGER, refs(action), accept, now())
    with pytest.raises(Conflict):
        await actions.delete(action.id, force=False)
    assert await actions.get(action.id) is not None
    assert await actions.delete(action.id, force=True) is True
    assert await actions.get(action.id) is None
    assert await actions.bindings(TRIGGER) == []
    assert await actions.versions(action.id, offset=0, limit=10) == ([], 0)
    assert await actions.delete(action.id, force=True) is False
    # The name is free again.
    await stored(actions, name=action.name)
