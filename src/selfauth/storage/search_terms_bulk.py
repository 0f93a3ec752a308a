"""`user_search_terms` rows of new users for a bulk insert on the driver (imports): the same rows
`search.write_terms_of(..., replace=False)` writes, without SQLAlchemy's per-row processing.

Building them is pure, so an import builds them on its reader thread, off the event loop.
"""

from __future__ import annotations

from typing import Any

from selfauth.domain.search.terms import metadata_terms
from selfauth.domain.users.model import User
from selfauth.storage.tables import user_search_terms

TABLE = user_search_terms
# The rows below hold the table's columns in this order.
assert [c.name for c in TABLE.columns] == ["user_id", "path", "text", "number", "flag"]


def term_rows(user: User) -> list[tuple[Any, ...]]:
    """The user's rows in table column order, as SQLite stores them (booleans as 0/1)."""
    return [
        (user.user_id, t.path, t.text, t.number, None if t.flag is None else int(t.flag))
        for t in metadata_terms(user.user_metadata, user.app_metadata)
    ]
