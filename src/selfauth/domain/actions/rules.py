"""Use cases on Rules and the rules configuration (`configuration.KEY` inside rules)."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any, Protocol

from selfauth.domain import ids
from selfauth.domain.actions.model import (
    MAX_CONFIG_VALUE,
    RULE_STAGE,
    Rule,
    ScriptChecker,
    check_script,
    invalid,
)
from selfauth.domain.clock import Clock
from selfauth.errors import NotFound, SelfauthError

# Auth0's patterns: a rule name is letters, digits, spaces and dashes, not at either end.
_RULE_NAME = re.compile(r"^[a-zA-Z0-9]([ \-a-zA-Z0-9]*[a-zA-Z0-9])?$")
_CONFIG_KEY = re.compile(r"^[A-Za-z0-9_\-@*+:]{1,127}$")
MAX_RULE_NAME = 255


class RuleStore(Protocol):
    async def get(self, rule_id: str) -> Rule | None: ...
    async def page(
        self, *, enabled: bool | None, stage: str | None, offset: int, limit: int
    ) -> tuple[list[Rule], int]: ...
    async def insert(self, rule: Rule, *, auto_order: bool) -> Rule: ...
    async def update(self, rule_id: str, fields: dict[str, Any]) -> Rule | None: ...
    async def delete(self, rule_id: str) -> bool: ...


def inexistent_rule() -> NotFound:
    return NotFound("The rule does not exist.", error_code="inexistent_rule")


class RuleConfigStore(Protocol):
    async def keys(self) -> list[str]: ...
    async def set(self, key: str, value: str, now: datetime) -> None: ...
    async def delete(self, key: str) -> bool: ...


class RuleService:
    """Scripts are compiled by `checker` (the sandbox) before they are stored."""

    def __init__(self, store: RuleStore, checker: ScriptChecker, clock: Clock) -> None:
        self._store = store
        self._checker = checker
        self._clock = clock

    async def page(
        self, *, enabled: bool | None, stage: str | None, offset: int, limit: int
    ) -> tuple[list[Rule], int]:
        """Rules in the order they run, and how many match."""
        return await self._store.page(enabled=enabled, stage=stage, offset=offset, limit=limit)

    async def get(self, rule_id: str) -> Rule:
        rule = await self._store.get(rule_id)
        if rule is None:
            raise inexistent_rule()
        return rule

    async def create(self, fields: dict[str, Any]) -> Rule:
        """A rule without `order` runs after every other: the store gives it max + 1."""
        _check_fields(fields)
        await check_script(self._checker, fields["script"], "rule", "script")
        now = self._clock()
        rule = Rule(
            id=ids.rule_id(),
            name=fields["name"],
            script=fields["script"],
            order=fields.get("order", 0),
            enabled=fields.get("enabled", True),
            stage=fields.get("stage", RULE_STAGE),
            created_at=now,
            updated_at=now,
        )
        return await self._store.insert(rule, auto_order="order" not in fields)

    async def update(self, rule_id: str, fields: dict[str, Any]) -> Rule:
        _check_fields(fields)
        if "script" in fields:
            await check_script(self._checker, fields["script"], "rule", "script")
        rule = await self._store.update(rule_id, {**fields, "updated_at": self._clock()})
        if rule is None:
            raise inexistent_rule()
        return rule

    async def delete(self, rule_id: str) -> None:
        """Deleting a rule that is not there (any more) is no error: Auth0 answers 204 too."""
        await self._store.delete(rule_id)


class RuleConfigService:
    """The rules' `configuration`: values go in, never out (keys are listed)."""

    def __init__(self, store: RuleConfigStore, clock: Clock) -> None:
        self._store = store
        self._clock = clock

    async def keys(self) -> list[str]:
        return await self._store.keys()

    async def set(self, key: str, value: str) -> None:
        await self._store.set(check_config_key(key), check_config_value(value), self._clock())

    async def delete(self, key: str) -> None:
        """Deleting a key that is not set is no error (Auth0 answers 204 too)."""
        await self._store.delete(check_config_key(key))


def _check_fields(fields: dict[str, Any]) -> None:
    name = fields.get("name")
    if name is not None and (len(name) > MAX_RULE_NAME or not _RULE_NAME.match(name)):
        raise invalid(
            "String does not match pattern ^[a-zA-Z0-9]([ \\-a-zA-Z0-9]*[a-zA-Z0-9])?$ "
            f"(at most {MAX_RULE_NAME} characters)",
            "name",
        )
    if "script" in fields and not fields["script"]:
        raise invalid("String is too short (0 chars), minimum 1", "script")
    if fields.get("order", 0) < 0:
        raise invalid("Value must be at least 0", "order")
    stage = fields.get("stage", RULE_STAGE)
    if stage != RULE_STAGE:
        raise invalid(
            f"Rules of stage {stage} are not supported; selfauth runs {RULE_STAGE} rules only",
            "stage",
        )


def rule_view(rule: Rule) -> dict[str, Any]:
    return {
        "id": rule.id,
        "name": rule.name,
        "enabled": rule.enabled,
        "script": rule.script,
        "order": rule.order,
        "stage": rule.stage,
    }


class InvalidUri(SelfauthError):
    status_code = 400
    error_code = "invalid_uri"


def check_config_key(key: str) -> str:
    if not _CONFIG_KEY.match(key):
        raise InvalidUri(
            "Path validation error: 'String does not match pattern ^[A-Za-z0-9_\\-@*+:]*$, "
            "1 to 127 characters' on property key."
        )
    return key


def check_config_value(value: str) -> str:
    if len(value) > MAX_CONFIG_VALUE:
        raise invalid(
            f"String is too long ({len(value)} chars), maximum {MAX_CONFIG_VALUE}", "value"
        )
    return value


_RULE_ID = re.compile(r"^rul_[A-Za-z0-9]{16}$")


def check_rule_id(rule_id: str) -> str:
    if not _RULE_ID.match(rule_id):
        raise InvalidUri(
            "Path validation error: 'String does not match pattern ^rul_[A-Za-z0-9]{16}$' "
            "on property id (ID of the rule)."
        )
    return rule_id
