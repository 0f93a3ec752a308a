"""SQLite's WAL checkpoints, copied on a thread instead of inside a request.

With automatic checkpoints alone, the write whose commit takes the WAL past its limit copies
the whole WAL into the database file before it returns: on the event loop, so every request of
the process waits (about 0.2 s for 64 MB here). A server process also runs a PASSIVE checkpoint
every CHECKPOINT_SECONDS on a connection of its own, on a thread (sqlite3 releases the GIL while
it copies, and a PASSIVE checkpoint never waits for readers or writers), so the automatic one,
set at INLINE_CHECKPOINT_PAGES, finds almost everything copied already.

The automatic checkpoint stays on because only it lets the WAL start over under constant
writes: the WAL is reused from its start only by a writer that begins when every frame has
been copied, which a checkpoint right after a commit provides and one on another thread, with
writes arriving during it, almost never does (measured: without it the WAL passed 600 MB in a
minute of PATCHes).
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3

from selfauth.background import cancel

log = logging.getLogger("selfauth.database")

CHECKPOINT_SECONDS = 0.25
# A serving connection's automatic checkpoint: past 16 MB of WAL, each commit copies what the
# thread has not yet (a quarter of a second of writes at most) and lets the WAL start over.
INLINE_CHECKPOINT_PAGES = 4096


class WalCheckpointer:
    """Checkpoints the WAL of the SQLite file at `path` in the background while started."""

    def __init__(self, path: str, seconds: float = CHECKPOINT_SECONDS) -> None:
        self._path = path
        self._seconds = seconds
        self._connection: sqlite3.Connection | None = None
        self._task: asyncio.Task[None] | None = None
        self._copying: asyncio.Future[None] | None = None  # the thread's round, if one runs

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        await cancel(self._task)
        self._task = None
        if self._copying is not None:  # a thread cannot be stopped: let its round end first
            await asyncio.wait([self._copying])
            if not self._copying.cancelled():
                self._copying.exception()  # seen, so not reported as never retrieved
            self._copying = None
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self._seconds)
            self._copying = asyncio.ensure_future(asyncio.to_thread(self._checkpoint))
            try:
                await asyncio.shield(self._copying)
            except sqlite3.Error as exc:  # busy or locked now: the next round tries again
                log.debug("WAL checkpoint skipped: %s", exc)

    def _checkpoint(self) -> None:
        connection = self._connection
        if connection is None:
            # Used by one thread at a time (rounds never overlap), not always the same one.
            connection = sqlite3.connect(self._path, isolation_level=None, check_same_thread=False)
            connection.execute("PRAGMA busy_timeout=0")
            self._connection = connection
        # fetchall, not fetchone: a statement left unfinished keeps its read lock, and then the
        # WAL can never start over and grows for as long as the server writes.
        ((busy, frames, copied),) = connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
        log.debug("WAL checkpoint: %s of %s frames copied (busy=%s)", copied, frames, busy)
