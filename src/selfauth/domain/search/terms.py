"""What of a user's metadata is searchable: every string, number and boolean, at its key path.

Array levels are skipped, so `{"addresses": [{"city": "Paris"}]}` holds "Paris" at
`addresses.city` and `{"tags": ["a", "b"]}` holds both at `tags`. Nulls, empty arrays and empty
objects hold nothing (as in Auth0). Storage keeps these terms in an indexed table on databases
without a JSON index (SQLite).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from selfauth.domain.search.fields import METADATA_COLUMNS


@dataclass(frozen=True)
class Term:
    path: str  # `user_metadata.addresses.city`
    text: str | None = None
    number: float | None = None
    flag: bool | None = None


def metadata_terms(user_metadata: dict[str, Any], app_metadata: dict[str, Any]) -> list[Term]:
    found: set[Term] = set()
    for column, document in zip(METADATA_COLUMNS, (user_metadata, app_metadata), strict=True):
        found.update(_walk(column, document))
    return sorted(found, key=_order)


_ABSENT = object()


def term_changes(
    before: tuple[dict[str, Any], dict[str, Any]], after: tuple[dict[str, Any], dict[str, Any]]
) -> tuple[list[Term], list[Term]]:
    """The terms lost and gained from `before`'s (user_metadata, app_metadata) to `after`'s.

    Every term's path begins with its top-level key, so only keys whose values differ need
    walking; a key whose value is the very same object as before is skipped without a look.
    A PATCH merges at the first level and keeps the other keys' values as they were, so a
    PATCH of one key of fifty walks one key, not a hundred documents' worth."""
    gone: set[Term] = set()
    added: set[Term] = set()
    for column, old_document, new_document in zip(METADATA_COLUMNS, before, after, strict=True):
        if old_document is new_document:
            continue
        for key in old_document.keys() | new_document.keys():
            old = old_document.get(key, _ABSENT)
            new = new_document.get(key, _ABSENT)
            if old is new:
                continue
            path = f"{column}.{key}"
            old_terms = set() if old is _ABSENT else set(_walk(path, old))
            new_terms = set() if new is _ABSENT else set(_walk(path, new))
            gone |= old_terms - new_terms
            added |= new_terms - old_terms
    return sorted(gone, key=_order), sorted(added, key=_order)


def _order(term: Term) -> tuple[str, int, str, float, bool]:
    # A stable order (strings, then numbers, then booleans, per path) without repr(), which cost
    # a PATCH of fifty keys half a millisecond.
    kind = 0 if term.text is not None else 1 if term.number is not None else 2
    return (term.path, kind, term.text or "", term.number or 0.0, bool(term.flag))


def _walk(path: str, value: Any) -> Iterator[Term]:
    # Iterative, so no nesting depth can exhaust the stack.
    stack: list[tuple[str, Any]] = [(path, value)]
    while stack:
        where, current = stack.pop()
        if isinstance(current, dict):
            stack.extend((f"{where}.{key}", item) for key, item in current.items())
        elif isinstance(current, list):
            stack.extend((where, item) for item in current)
        elif isinstance(current, bool):
            yield Term(where, flag=current)
        elif isinstance(current, int | float):
            yield Term(where, number=float(current))
        elif isinstance(current, str):
            yield Term(where, text=current)
