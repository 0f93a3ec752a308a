"""SqlRuleRepository and SqlRuleConfigRepository on every database: rules appended in order
even when created at once, unique names, single-statement updates that keep concurrent changes,
the login runtime's read, and the rules configuration's upsert."""

from __future__ import annotations

import asyncio
import dataclasses
import uuid

import pytest

from selfauth.domain.actions.model import RULE_STAGE, Rule
from selfauth.errors import Conflict
from selfauth.storage.database import Database
from selfauth.storage.rules import SqlRuleConfigRepository, SqlRuleRepository
from tests.support.storage import now, unique

SCRIPT = "function (user, context, callback) { callback(null, user, context); }"


@pytest.fixture
def rules(database: Database) -> SqlRuleRepository:
    return SqlRuleRepository(database)


@pytest.fixture
def configs(database: Database) -> SqlRuleConfigRepository:
    return SqlRuleConfigRepository(database)


def new_rule(**fields: object) -> Rule:
    moment = now()
    values: dict[str, object] = {
        "id": f"rul_{uuid.uuid4().hex[:16]}",
        "name": unique("rule"),
        "script": SCRIPT,
        "order": 1,
        "enabled": True,
        "stage": RULE_STAGE,
        "created_at": moment,
        "updated_at": moment,
        **fields,
    }
    return Rule(**values)  # type: ignore[arg-type]


async def test_a_rule_round_trips(rules: SqlRuleRepository) -> None:
    rule = new_rule(order=7, enabled=False)
    assert await rules.insert(rule, auto_order=False) == rule
    assert await rules.get(rule.id) == rule
    assert await rules.get("rul_missing") is None


async def test_rules_created_at_once_each_run_after_the_last(rules: SqlRuleRepository) -> None:
    made = await asyncio.gather(*(rules.insert(new_rule(), auto_order=True) for _ in range(10)))
    orders = sorted(r.order for r in made)
    assert len(set(orders)) == 10
    assert orders == list(range(orders[0], orders[0] + 10))
    everything, _ = await rules.page(enabled=None, stage=None, offset=0, limit=1000)
    assert max(r.order for r in everything) == orders[-1]
    for rule in made:
        assert await rules.get(rule.id) == rule


async def test_a_name_is_taken_once(rules: SqlRuleRepository) -> None:
    rule = await rules.insert(new_rule(), auto_order=True)
    with pytest.raises(Conflict):
        await rules.insert(new_rule(name=rule.name), auto_order=True)
    other = await rules.insert(new_rule(), auto_order=True)
    with pytest.raises(Conflict):
        await rules.update(other.id, {"name": rule.name})
    assert await rules.get(other.id) == other


async def test_concurrent_updates_of_different_fields_all_stay(rules: SqlRuleRepository) -> None:
    rule = await rules.insert(new_rule(), auto_order=True)
    name = unique("renamed")
    script = SCRIPT.replace("callback(null", "callback(null /* edited */")
    await asyncio.gather(
        rules.update(rule.id, {"name": name}),
        rules.update(rule.id, {"script": script}),
        rules.update(rule.id, {"enabled": False}),
        rules.update(rule.id, {"order": 99}),
    )
    assert await rules.get(rule.id) == dataclasses.replace(
        rule, name=name, script=script, enabled=False, order=99
    )
    assert await rules.update("rul_missing", {"enabled": False}) is None


async def test_enabled_lists_the_enabled_rules_in_run_order(rules: SqlRuleRepository) -> None:
    before = {r.id for r in await rules.enabled()}
    top = 10_000 + len(before)
    late = await rules.insert(new_rule(order=top + 2), auto_order=False)
    early = await rules.insert(new_rule(order=top + 1), auto_order=False)
    tie = await rules.insert(new_rule(order=top + 1), auto_order=False)
    off = await rules.insert(new_rule(order=top, enabled=False), auto_order=False)
    ours = [r.id for r in await rules.enabled() if r.id not in before]
    tied = sorted([early, tie], key=lambda r: (r.created_at, r.id))
    assert ours == [tied[0].id, tied[1].id, late.id]
    assert off.id not in ours
    disabled, total = await rules.page(enabled=False, stage=RULE_STAGE, offset=0, limit=1000)
    assert off in disabled and all(not r.enabled for r in disabled)
    assert total == len(disabled)


async def test_delete_says_whether_there_was_a_rule(rules: SqlRuleRepository) -> None:
    rule = await rules.insert(new_rule(), auto_order=True)
    assert await rules.delete(rule.id) is True
    assert await rules.get(rule.id) is None
    assert await rules.delete(rule.id) is False


async def test_configuration_values_are_set_replaced_and_deleted(
    configs: SqlRuleConfigRepository,
) -> None:
    key = unique("KEY").replace("-", "_")
    await configs.set(key, "first", now())
    await configs.set(key, "second", now())
    assert (await configs.values())[key] == "second"
    keys = await configs.keys()
    assert key in keys and keys == sorted(keys)
    assert await configs.delete(key) is True
    assert key not in await configs.values()
    assert await configs.delete(key) is False


async def test_concurrent_sets_of_a_new_key_never_clash(configs: SqlRuleConfigRepository) -> None:
    key = unique("RACE").replace("-", "_")
    await asyncio.gather(*(configs.set(key, f"value-{n}", now()) for n in range(10)))
    assert (await configs.values())[key] in {f"value-{n}" for n in range(10)}
    assert (await configs.keys()).count(key) == 1
