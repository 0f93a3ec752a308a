"""Stopping the server's background loops (the log writer, the journal, the mail sender, the
log streams, the change watcher, the metrics refresher). Like `errors.py`, this module sits
beside the layers and imports none of them, so every layer may use it."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any


async def cancel(task: asyncio.Task[Any] | None) -> None:
    """Cancel `task` and wait until it has stopped; None (a loop never started) is nothing."""
    if task is None:
        return
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
