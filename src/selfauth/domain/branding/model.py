"""What is stored: the tenant's branding (one record) and its prompts' custom text."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol


@dataclass(frozen=True)
class Branding:
    """`settings` is Auth0's wire object as set (`colors`, `logo_url`, `favicon_url`, `font`),
    keys never set absent; `template` is the Universal Login page template, or None."""

    updated_at: datetime
    settings: dict[str, Any] = field(default_factory=dict)
    template: str | None = None


@dataclass(frozen=True)
class PromptText:
    """One prompt's custom text in one language: screen -> text key -> text."""

    prompt: str
    language: str
    texts: dict[str, dict[str, str]]
    updated_at: datetime


class BrandingRepository(Protocol):
    async def get(self) -> Branding | None: ...

    async def change(self, change: Callable[[Branding | None], Branding]) -> Branding:
        """Read-modify-write of the one record under its lock (created when absent)."""
        ...


class PromptTextRepository(Protocol):
    async def get(self, prompt: str, language: str) -> PromptText | None: ...

    async def replace(self, text: PromptText) -> None: ...
