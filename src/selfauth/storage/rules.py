"""Rules and the rules configuration (`configuration.KEY` inside rules)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from selfauth.domain.actions.model import RULE_STAGE, Rule
from selfauth.errors import Conflict
from selfauth.storage._locks import serialize
from selfauth.storage._rows import from_row, to_values
from selfauth.storage.database import Database
from selfauth.storage.lookup import KeyLookup, SelectLookup
from selfauth.storage.tables import rules, rules_configs

_BY_ID = KeyLookup(rules, "id")
_RUN_ORDER = (rules.c.order, rules.c.created_at, rules.c.id)
# The login runtime's reads: precompiled, run on the driver (storage/lookup.py).
_ENABLED = SelectLookup(
    rules.select()
    .where(rules.c.stage == sa.bindparam("stage"), rules.c.enabled.is_(True))
    .order_by(*_RUN_ORDER),
    "stage",
)
_CONFIG_VALUES = SelectLookup(sa.select(rules_configs.c.key, rules_configs.c.value))


def _name_taken(rule_name: str) -> Conflict:
    return Conflict(
        f"A rule with the same name already exists ({rule_name}).", error_code="rule_conflict"
    )


class SqlRuleRepository:
    def __init__(self, database: Database) -> None:
        self._db = database

    async def get(self, rule_id: str) -> Rule | None:
        found = await _BY_ID.one(self._db, id=rule_id)
        return None if found is None else Rule(**found)

    async def page(
        self, *, enabled: bool | None, stage: str | None, offset: int, limit: int
    ) -> tuple[list[Rule], int]:
        where: list[sa.ColumnElement[bool]] = []
        if enabled is not None:
            where.append(rules.c.enabled == enabled)
        if stage is not None:
            where.append(rules.c.stage == stage)
        query = rules.select().where(*where).order_by(*_RUN_ORDER).offset(offset).limit(limit)
        count = sa.select(sa.func.count()).select_from(rules).where(*where)
        async with self._db.read() as conn:
            rows = (await conn.execute(query)).all()
            total = (await conn.execute(count)).scalar_one()
        return [from_row(Rule, row) for row in rows], total

    async def enabled(self) -> list[Rule]:
        """The enabled `login_success` rules in run order: `order`, then creation."""
        return [Rule(**row) for row in await _ENABLED.all(self._db, stage=RULE_STAGE)]

    async def insert(self, rule: Rule, *, auto_order: bool) -> Rule:
        """Stores a new rule; with `auto_order` it runs last (highest order + 1)."""
        try:
            async with self._db.write() as conn:
                if auto_order:
                    await serialize(conn, "rules.order")
                    highest = (await conn.execute(sa.select(sa.func.max(rules.c.order)))).scalar()
                    rule = Rule(**{**to_values(rule, rules), "order": (highest or 0) + 1})
                await conn.execute(rules.insert().values(to_values(rule, rules)))
        except sa.exc.IntegrityError as exc:
            raise _name_taken(rule.name) from exc
        return rule

    async def update(self, rule_id: str, fields: dict[str, Any]) -> Rule | None:
        """One UPDATE of the given columns: concurrent changes of other fields all stay."""
        statement = (
            rules.update().where(rules.c.id == rule_id).values(fields).returning(*rules.columns)
        )
        try:
            async with self._db.write() as conn:
                row = (await conn.execute(statement)).first()
        except sa.exc.IntegrityError as exc:
            raise _name_taken(str(fields.get("name"))) from exc
        return None if row is None else from_row(Rule, row)

    async def delete(self, rule_id: str) -> bool:
        async with self._db.write() as conn:
            result = await conn.execute(rules.delete().where(rules.c.id == rule_id))
        return bool(result.rowcount)  # type: ignore[attr-defined]


class SqlRuleConfigRepository:
    """Keys and values; only `values()` (for rules at login) ever reads a value back."""

    def __init__(self, database: Database) -> None:
        self._db = database

    async def keys(self) -> list[str]:
        query = sa.select(rules_configs.c.key).order_by(rules_configs.c.key)
        async with self._db.read() as conn:
            return list((await conn.execute(query)).scalars().all())

    async def values(self) -> dict[str, str]:
        """Every key and its value: the `configuration` object of a rule."""
        return {row["key"]: row["value"] for row in await _CONFIG_VALUES.all(self._db)}

    async def set(self, key: str, value: str, now: datetime) -> None:
        """Insert or replace in one statement, so concurrent sets of a new key never clash."""
        values = {"key": key, "value": value, "updated_at": now}
        replace = {"value": value, "updated_at": now}
        async with self._db.write() as conn:
            if conn.dialect == "postgresql":
                upsert: sa.Executable = (
                    postgresql.insert(rules_configs)
                    .values(values)
                    .on_conflict_do_update(index_elements=["key"], set_=replace)
                )
            else:
                upsert = (
                    sqlite.insert(rules_configs)
                    .values(values)
                    .on_conflict_do_update(index_elements=["key"], set_=replace)
                )
            await conn.execute(upsert)

    async def delete(self, key: str) -> bool:
        async with self._db.write() as conn:
            result = await conn.execute(rules_configs.delete().where(rules_configs.c.key == key))
        return bool(result.rowcount)  # type: ignore[attr-defined]
