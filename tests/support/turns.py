"""Tests that must run alone under pytest-xdist.

The sandbox tests (tests/hooks) hold tenant code to wall-clock limits in this process's worker
pool: while another worker keeps a core busy, a memory bomb can hit the time limit before the
memory cap, and a killed worker's replacement can miss its deadline. A `solo` test therefore
waits until no other worker is inside a test, and others wait for it: a readers-writer lock on
two files that every worker of one run shares, fair to the writer (a turnstile stops new readers
while a solo test waits).
"""

from __future__ import annotations

import fcntl
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO


class Turns:
    def __init__(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self._turnstile: IO[str] = (directory / "turnstile.lock").open("a")
        self._room: IO[str] = (directory / "room.lock").open("a")

    @classmethod
    def of_worker(cls, basetemp: str | None, run_id: str) -> Turns:
        """The lock of one pytest-xdist run, beside its workers' temporary directories (each
        worker's basetemp is `<the run's basetemp>/popen-gwN`)."""
        if basetemp:
            return cls(Path(basetemp).parent / "turns")
        return cls(Path(tempfile.gettempdir()) / f"selfauth-tests-{run_id}")

    @contextmanager
    def shared(self) -> Iterator[None]:
        """Any number of ordinary tests at once, but none beside a solo one."""
        fcntl.flock(self._turnstile, fcntl.LOCK_EX)
        fcntl.flock(self._turnstile, fcntl.LOCK_UN)
        fcntl.flock(self._room, fcntl.LOCK_SH)
        try:
            yield
        finally:
            fcntl.flock(self._room, fcntl.LOCK_UN)

    @contextmanager
    def alone(self) -> Iterator[None]:
        fcntl.flock(self._turnstile, fcntl.LOCK_EX)
        try:
            fcntl.flock(self._room, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(self._room, fcntl.LOCK_UN)
        finally:
            fcntl.flock(self._turnstile, fcntl.LOCK_UN)
