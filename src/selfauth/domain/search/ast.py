"""The parsed form of a user search: a tree of frozen nodes, typed by the field rules.

Storage compiles these to SQL; nothing here knows about databases.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import Enum

# A comparable value, already of the field's type (dates as aware UTC datetimes).
Scalar = str | float | bool | datetime


class FieldKind(Enum):
    ROOT = "root"  # a column of the user row
    EMAIL_DOMAIN = "email.domain"  # the part of `email` after the @
    IDENTITY = "identity"  # a key of any element of `identities`
    METADATA = "metadata"  # a path into user_metadata or app_metadata


class ValueType(Enum):
    TEXT = "text"  # case-sensitive string
    FOLDED_TEXT = "folded"  # case-insensitive string (compared lower-cased)
    DATE = "date"
    NUMBER = "number"
    BOOLEAN = "boolean"
    ANY = "any"  # metadata: whatever JSON scalar is stored


@dataclass(frozen=True)
class Field:
    kind: FieldKind
    name: str  # column, identity key, or metadata column (`user_metadata`/`app_metadata`)
    type: ValueType
    path: tuple[str, ...] = ()  # metadata keys below the column

    @property
    def label(self) -> str:
        """The field as a query names it."""
        if self.kind is FieldKind.EMAIL_DOMAIN:
            return "email.domain"
        if self.kind is FieldKind.IDENTITY:
            return f"identities.{self.name}"
        return ".".join((self.name, *self.path))


class Op(Enum):
    EQ = "="
    LT = "<"
    LE = "<="
    GT = ">"
    GE = ">="


@dataclass(frozen=True)
class Compare:
    """`field op value`; for metadata, only values of the same JSON type can match."""

    field: Field
    op: Op
    value: Scalar


@dataclass(frozen=True)
class Pattern:
    """A `*` wildcard match: literal segments with any text between them.

    `jo*n*` is `("jo", "n", "")`; there are always at least two segments.
    """

    field: Field
    segments: tuple[str, ...]


@dataclass(frozen=True)
class Exists:
    """The field has a searchable value (not null; for metadata, some scalar below it)."""

    field: Field


@dataclass(frozen=True)
class And:
    items: tuple[Query, ...]


@dataclass(frozen=True)
class Or:
    items: tuple[Query, ...]


@dataclass(frozen=True)
class Not:
    item: Query


@dataclass(frozen=True)
class MatchAll:
    """`*:*`, or an empty query."""


@dataclass(frozen=True)
class MatchNone:
    """A query that cannot match, e.g. a range whose bounds are the wrong way round."""


Query = Compare | Pattern | Exists | And | Or | Not | MatchAll | MatchNone
