"""`user_search_terms` rows as the driver inserts them (no SQLAlchemy per-row processing): every
writer of terms builds them here. Building them is pure, so an import builds them on its reader
thread, off the event loop.
"""

from __future__ import annotations

from typing import Any

from selfauth.domain.search.terms import Term, metadata_terms
from selfauth.domain.users.model import User
from selfauth.storage.tables import user_search_terms

TABLE = user_search_terms
# The rows below hold the table's columns in this order.
assert [c.name for c in TABLE.columns] == ["user_id", "path", "text", "number", "flag"]


def term_rows(user: User) -> list[tuple[Any, ...]]:
    """The user's rows in table column order, as SQLite stores them (booleans as 0/1)."""
    return [
        term_row(user.user_id, t) for t in metadata_terms(user.user_metadata, user.app_metadata)
    ]


def term_row(user_id: str, term: Term) -> tuple[Any, ...]:
    """One term of one user as a row in table column order, as SQLite stores it."""
    flag = None if term.flag is None else int(term.flag)
    return (user_id, term.path, term.text, term.number, flag)
