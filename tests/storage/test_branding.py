"""SqlBrandingRepository and SqlPromptTextRepository on every database: the branding is one
row, changed read-modify-write under its lock (created by the first change, even when two
first changes race); custom text is one row per prompt and language, replaced whole."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Callable

import sqlalchemy as sa

from selfauth.domain.branding.model import Branding, PromptText
from selfauth.storage.branding import SqlBrandingRepository, SqlPromptTextRepository
from selfauth.storage.database import Database
from selfauth.storage.tables import branding
from tests.support.storage import now, unique


async def _clear(database: Database) -> None:
    async with database.write() as conn:
        await conn.execute(branding.delete())


def _add(key: str, value: object) -> Callable[[Branding | None], Branding]:
    def change(found: Branding | None) -> Branding:
        stored = found or Branding(updated_at=now())
        return dataclasses.replace(stored, settings={**stored.settings, key: value})

    return change


async def test_the_first_change_creates_the_row_and_later_ones_see_it(database: Database) -> None:
    await _clear(database)
    repository = SqlBrandingRepository(database)
    assert await repository.get() is None
    await repository.change(_add("colors", {"primary": "#000000"}))
    template = "{%- auth0:head -%}<p>ünïcødé</p>{%- auth0:widget -%}"

    def with_template(found: Branding | None) -> Branding:
        assert found is not None
        return dataclasses.replace(found, template=template)

    await repository.change(with_template)
    found = await repository.get()
    assert found is not None
    assert found.settings == {"colors": {"primary": "#000000"}}
    assert found.template == template


async def test_concurrent_changes_of_different_keys_all_survive(database: Database) -> None:
    await _clear(database)
    repository = SqlBrandingRepository(database)
    keys = [f"key{i}" for i in range(8)]
    # Racing first changes: one inserts, the others (the insert's loser retried) update.
    await asyncio.gather(*(repository.change(_add(key, key)) for key in keys))
    found = await repository.get()
    assert found is not None
    assert found.settings == {key: key for key in keys}
    async with database.read() as conn:
        rows = (await conn.execute(sa.select(sa.func.count()).select_from(branding))).scalar()
    assert rows == 1


async def test_custom_text_is_per_prompt_and_language_and_replaced_whole(
    database: Database,
) -> None:
    repository = SqlPromptTextRepository(database)
    prompt = unique("prompt")[:64]
    first = {"login": {"title": "<script>alert(1)</script>", "description": "Hé"}}
    await repository.replace(PromptText(prompt, "en", first, now()))
    await repository.replace(PromptText(prompt, "es", {"login": {"title": "Hola"}}, now()))
    found = await repository.get(prompt, "en")
    assert found is not None and found.texts == first
    await repository.replace(PromptText(prompt, "en", {"login": {"title": "New"}}, now()))
    replaced = await repository.get(prompt, "en")
    assert replaced is not None and replaced.texts == {"login": {"title": "New"}}
    spanish = await repository.get(prompt, "es")
    assert spanish is not None and spanish.texts == {"login": {"title": "Hola"}}
    assert await repository.get(prompt, "fr") is None


async def test_racing_first_replacements_leave_one_row(database: Database) -> None:
    repository = SqlPromptTextRepository(database)
    prompt = unique("race")[:64]
    texts = [{"login": {"title": str(i)}} for i in range(6)]
    await asyncio.gather(*(repository.replace(PromptText(prompt, "de", t, now())) for t in texts))
    found = await repository.get(prompt, "de")
    assert found is not None and found.texts in texts
