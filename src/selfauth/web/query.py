"""Query-string parameters shared by list endpoints: paging and field selection."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from selfauth.errors import InvalidQueryString


def _bad(message: str, prop: str) -> InvalidQueryString:
    return InvalidQueryString(f"Query validation error: '{message}' on property {prop}.")


def boolean(query: Mapping[str, str], name: str, default: bool) -> bool:
    raw = query.get(name)
    if raw is None or raw == "":
        return default
    if raw.lower() in ("true", "1"):
        return True
    if raw.lower() in ("false", "0"):
        return False
    raise _bad(f"Expected type boolean but found {raw!r}", name)


def integer(query: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = query.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise _bad(f"Expected type integer but found {raw[:40]!r}", name) from None
    if not low <= value <= high:
        raise _bad(f"Must be between {low} and {high}", name)
    return value


@dataclass(frozen=True)
class Paging:
    page: int
    per_page: int
    include_totals: bool

    @property
    def offset(self) -> int:
        return self.page * self.per_page

    @classmethod
    def parse(cls, query: Mapping[str, str], *, default: int = 50, maximum: int = 100) -> Paging:
        return cls(
            page=integer(query, "page", 0, 0, 1_000_000),
            per_page=integer(query, "per_page", default, 1, maximum),
            include_totals=boolean(query, "include_totals", False),
        )

    def wrap(self, key: str, items: list[Any], total: int, *, with_length: bool = False) -> Any:
        """A bare array, or Auth0's totals object when `include_totals=true`. Auth0 counts
        the page's items (`length`) in the users list only: callers say when they want it."""
        if not self.include_totals:
            return items
        wrapped: dict[str, Any] = {"start": self.offset, "limit": self.per_page}
        if with_length:
            wrapped["length"] = len(items)
        wrapped["total"] = total
        wrapped[key] = items
        return wrapped


@dataclass(frozen=True)
class FieldSelection:
    fields: frozenset[str] | None
    include: bool

    @classmethod
    def parse(cls, query: Mapping[str, str]) -> FieldSelection:
        raw = query.get("fields")
        include = boolean(query, "include_fields", True)
        if raw is None or raw.strip() == "":
            return cls(None, include)
        names = frozenset(name.strip() for name in raw.split(",") if name.strip())
        return cls(names, include)

    def apply(self, view: dict[str, Any], always: Iterable[str] = ()) -> dict[str, Any]:
        if self.fields is None:
            return view
        keep = set(always)
        if self.include:
            return {k: v for k, v in view.items() if k in self.fields or k in keep}
        return {k: v for k, v in view.items() if k not in self.fields or k in keep}
