"""The Management API's branding, page template and custom text, and what the login pages
read of them (`BrandingService.current`, `PromptTextService.custom_text`)."""

from __future__ import annotations

import dataclasses
import time
from typing import Any

from selfauth.domain.branding.model import (
    Branding,
    BrandingRepository,
    PromptText,
    PromptTextRepository,
)
from selfauth.domain.branding.validation import (
    TEMPLATE_MAX_CHARS,
    check_custom_text,
    check_prompt,
    check_template_tags,
    merge_branding,
    without_auth0_tags,
)
from selfauth.domain.clock import Clock
from selfauth.domain.emails.liquid import Liquid, RenderLimits
from selfauth.errors import NotFound


class TemplateNotFound(NotFound):
    error_code = "inexistent_universal_login_template"


# How long the pages may show branding and custom text read earlier: a few seconds, so a busy
# login page costs no read per request. A write on this process forgets it at once; another
# process sharing the database sees the change within this time.
PAGE_CACHE_SECONDS = 5.0
_PAGE_TEXTS_KEPT = 512


class BrandingService:
    def __init__(
        self, repository: BrandingRepository, clock: Clock, liquid: Liquid | None = None
    ) -> None:
        self._repository = repository
        self._clock = clock
        self.liquid = liquid or Liquid(RenderLimits(template_chars=TEMPLATE_MAX_CHARS))
        self._page: tuple[float, Branding] | None = None
        self._generation = 0  # bumped by each write: a read begun before it is not kept

    async def for_pages(self) -> Branding:
        """`current()` as the pages read it: kept for `PAGE_CACHE_SECONDS`."""
        kept = self._page
        now = time.monotonic()
        if kept is not None and kept[0] > now:
            return kept[1]
        generation = self._generation
        found = await self.current()
        if generation == self._generation:
            self._page = (now + PAGE_CACHE_SECONDS, found)
        return found

    def _forget(self) -> None:
        self._generation += 1
        self._page = None

    async def current(self) -> Branding:
        """The tenant's branding as the pages apply it (an empty one when never set)."""
        found = await self._repository.get()
        return found or Branding(updated_at=self._clock())

    async def settings(self) -> dict[str, Any]:
        """GET /api/v2/branding: what was set, keys never set left out."""
        return dict((await self.current()).settings)

    async def update(self, patch: dict[str, Any]) -> dict[str, Any]:
        def change(found: Branding | None) -> Branding:
            stored = found or Branding(updated_at=self._clock())
            merged = merge_branding(stored.settings, patch)
            return dataclasses.replace(stored, settings=merged, updated_at=self._clock())

        try:
            return dict((await self._repository.change(change)).settings)
        finally:
            self._forget()

    async def template(self) -> str:
        found = (await self.current()).template
        if found is None:
            raise TemplateNotFound("The Universal Login template does not exist.")
        return found

    async def set_template(self, template: str) -> None:
        """Raises `InvalidBody` unless Auth0 would take it: its `auth0:` tags, and Liquid
        that parses with Auth0's tags and filters."""
        check_template_tags(template)
        self.liquid.check(without_auth0_tags(template), "template")
        await self._set(template)

    async def delete_template(self) -> None:
        await self._set(None)

    async def _set(self, template: str | None) -> None:
        def change(found: Branding | None) -> Branding:
            stored = found or Branding(updated_at=self._clock())
            return dataclasses.replace(stored, template=template, updated_at=self._clock())

        try:
            await self._repository.change(change)
        finally:
            self._forget()


class PromptTextService:
    def __init__(self, repository: PromptTextRepository, clock: Clock) -> None:
        self._repository = repository
        self._clock = clock
        self._page: dict[tuple[str, str], tuple[float, dict[str, dict[str, str]]]] = {}
        self._generation = 0

    async def for_page(self, prompt: str, language: str) -> dict[str, dict[str, str]]:
        """`custom_text()` as the pages read it: kept for `PAGE_CACHE_SECONDS`."""
        now = time.monotonic()
        kept = self._page.get((prompt, language))
        if kept is not None and kept[0] > now:
            return kept[1]
        generation = self._generation
        texts = await self.custom_text(prompt, language)
        if generation == self._generation:
            if len(self._page) >= _PAGE_TEXTS_KEPT:
                self._page.clear()
            self._page[prompt, language] = (now + PAGE_CACHE_SECONDS, texts)
        return texts

    async def custom_text(self, prompt: str, language: str) -> dict[str, dict[str, str]]:
        """The custom text of `prompt` in `language` (screen -> key -> text); `{}` if none."""
        check_prompt(prompt, language)
        found = await self._repository.get(prompt, language)
        return {} if found is None else found.texts

    async def replace(
        self, prompt: str, language: str, body: dict[str, Any]
    ) -> dict[str, dict[str, str]]:
        check_prompt(prompt, language)
        texts = check_custom_text(prompt, body)
        try:
            await self._repository.replace(PromptText(prompt, language, texts, self._clock()))
        finally:
            self._generation += 1
            self._page.clear()
        return texts
