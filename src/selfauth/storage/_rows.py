"""Row <-> dataclass mapping shared by the repositories."""

from __future__ import annotations

import dataclasses
from typing import Any, TypeVar

import sqlalchemy as sa

T = TypeVar("T")


def to_values(obj: Any, table: sa.Table) -> dict[str, Any]:
    """The dataclass's fields that are columns of `table`."""
    return {f.name: getattr(obj, f.name) for f in dataclasses.fields(obj) if f.name in table.c}


def from_row(cls: type[T], row: sa.Row[Any], **extra: Any) -> T:
    return cls(**row._mapping, **extra)
