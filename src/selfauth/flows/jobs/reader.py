"""An import file read incrementally: one JSON array, never loaded whole, in batches.

Blocking (file reads, JSON parsing, row checks): the runner calls it on a thread.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from itertools import islice
from pathlib import Path
from typing import Any

import ijson

from selfauth.domain.jobs.import_plan import Candidate, new_user
from selfauth.domain.jobs.import_rows import ImportRow, RowRules, check_row
from selfauth.domain.jobs.model import BatchResult, RowError

DUPLICATE = RowError("DUPLICATED_USER", "The user appears more than once in the file", "email")
_SECRET_KEYS = ("password_hash", "custom_password_hash")


class UnreadableFile(Exception):
    """The file is not a JSON array of objects, or breaks off: the job fails."""


@dataclass
class Batch:
    candidates: list[Candidate]
    result: BatchResult
    # The rows storage will insert for the candidates' users, encoded on the reader's thread.
    encoded: Any = None

    def lookup(self) -> tuple[list[str], list[str], list[str]]:
        """Emails, usernames and user ids the batch may collide with."""
        rows = [c.row for c in self.candidates]
        return (
            [r.email for r in rows],
            [r.username for r in rows if r.username is not None],
            [f"auth0|{r.local_id}" for r in rows if r.local_id is not None],
        )


def check_array(path: Path) -> None:
    """A cheap look at the start: the file must open a JSON array."""
    with path.open("rb") as file:
        head = file.read(4096).lstrip(b" \t\r\n\xef\xbb\xbf")
    if not head.startswith(b"["):
        raise UnreadableFile("The users file must hold a JSON array of user objects.")


class ImportReader:
    def __init__(
        self, path: Path, rules: RowRules, batch_size: int, clock: Callable[[], datetime]
    ) -> None:
        self._clock = clock
        self._file = path.open("rb")
        self._items = ijson.items(self._file, "item", use_float=True)
        self._rules = rules
        self._batch_size = batch_size
        self._index = 0
        # Hashes of every identifier seen so far, to fail duplicates inside the file; 64-bit
        # hashes keep a million rows within tens of megabytes.
        self._seen: set[int] = set()

    def close(self) -> None:
        self._file.close()

    def skip(self, rows: int) -> None:
        """Pass over rows a previous run committed, remembering their identifiers."""
        while rows > 0:
            batch = self.next_batch(min(rows, self._batch_size), build=False)
            if batch is None:
                return
            rows -= batch.result.rows

    def next_batch(self, size: int | None = None, *, build: bool = True) -> Batch | None:
        """The next rows, checked; each valid one with the user it would insert (`build`)."""
        candidates: list[Candidate] = []
        result = BatchResult(rows=0, progress_done=0)
        connection = self._rules.connection
        now = self._clock()
        try:
            for raw in islice(self._items, size or self._batch_size):
                index = self._index
                self._index += 1
                result.rows += 1
                checked = check_row(raw, self._rules)
                if isinstance(checked, ImportRow):
                    if self._first_time(checked):
                        user = new_user(checked, connection, now) if build else None
                        candidates.append(Candidate(index, raw, checked, user))
                    else:
                        result.errors.append((index, scrub(raw), [DUPLICATE]))
                else:
                    result.errors.append((index, scrub(raw), checked))
        except (ijson.JSONError, UnicodeDecodeError) as exc:
            raise UnreadableFile(
                f"The users file is not valid JSON after {self._index} users: {exc}"
            ) from exc
        if result.rows == 0:
            return None
        result.progress_done = self._file.tell()
        return Batch(candidates, result)

    def _first_time(self, row: ImportRow) -> bool:
        keys = [hash(key) for key in row.identifiers()]
        if any(key in self._seen for key in keys):
            return False
        self._seen.update(keys)
        return True


def scrub(value: Any) -> Any:
    """A row as shown in the error report: without password hashes, and without NUL (which
    PostgreSQL cannot store)."""
    if isinstance(value, dict):
        return {
            key.replace("\x00", ""): scrub(inner)
            for key, inner in value.items()
            if key not in _SECRET_KEYS
        }
    if isinstance(value, list):
        return [scrub(inner) for inner in value]
    if isinstance(value, str):
        return value.replace("\x00", "")
    return value
