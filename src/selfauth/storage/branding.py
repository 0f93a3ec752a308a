"""The tenant's branding and page template (one row, id 1) and its prompts' custom text."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa

from selfauth.domain.branding.model import Branding, PromptText
from selfauth.storage.database import Database
from selfauth.storage.lookup import KeyLookup
from selfauth.storage.tables import branding, prompt_custom_texts

_ID = 1  # the tenant has one branding
_BRANDING = KeyLookup(branding, "id")
_TEXT = KeyLookup(prompt_custom_texts, "prompt", "language")


def _branding(row: dict[str, Any]) -> Branding:
    return Branding(
        updated_at=row["updated_at"], settings=row["settings"], template=row["template"]
    )


class SqlBrandingRepository:
    def __init__(self, database: Database) -> None:
        self._db = database

    async def get(self) -> Branding | None:
        found = await _BRANDING.one(self._db, id=_ID)
        return None if found is None else _branding(found)

    async def change(self, change: Callable[[Branding | None], Branding]) -> Branding:
        """Under the row's lock; two first writes at once: the one whose insert loses the race
        runs again on the row the other made."""
        try:
            return await self._change(change)
        except sa.exc.IntegrityError:
            return await self._change(change)

    async def _change(self, change: Callable[[Branding | None], Branding]) -> Branding:
        async with self._db.write() as conn:
            found = await _BRANDING.locked(conn, id=_ID)
            updated = change(None if found is None else _branding(found))
            values = {
                "settings": updated.settings,
                "template": updated.template,
                "updated_at": updated.updated_at,
            }
            if found is None:
                await conn.execute(branding.insert().values(id=_ID, **values))
            else:
                await conn.execute(branding.update().where(branding.c.id == _ID).values(values))
        return updated


class SqlPromptTextRepository:
    def __init__(self, database: Database) -> None:
        self._db = database

    async def get(self, prompt: str, language: str) -> PromptText | None:
        found = await _TEXT.one(self._db, prompt=prompt, language=language)
        return None if found is None else PromptText(**found)

    async def replace(self, text: PromptText) -> None:
        """Insert or overwrite; a racing insert makes this one an overwrite."""
        try:
            await self._replace(text)
        except sa.exc.IntegrityError:
            await self._replace(text)

    async def _replace(self, text: PromptText) -> None:
        key = (prompt_custom_texts.c.prompt == text.prompt) & (
            prompt_custom_texts.c.language == text.language
        )
        values = {"texts": text.texts, "updated_at": text.updated_at}
        async with self._db.write() as conn:
            found = await _TEXT.locked(conn, prompt=text.prompt, language=text.language)
            if found is None:
                await conn.execute(
                    prompt_custom_texts.insert().values(
                        prompt=text.prompt, language=text.language, **values
                    )
                )
            else:
                await conn.execute(prompt_custom_texts.update().where(key).values(values))
