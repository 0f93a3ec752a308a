"""The kit of the tests that drive the sandbox directly (tests/hooks), with no server: a pool of
real worker processes on short limits, and one Action run on it. A test module uses the fixture
by importing it: `from tests.support.sandbox import sandbox as sandbox`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from selfauth.hooks.pool import QuickJsSandbox, SandboxLimits, WorkerPool
from tests.support.hooks import HANDLERS

LIMITS = SandboxLimits(call_seconds=0.5, total_seconds=1.5, memory_bytes=32 << 20, log_chars=200)
EVENT = {"user": {"user_id": "auth0|1", "user_metadata": {}, "app_metadata": {}}, "client": {}}


@pytest.fixture
async def sandbox() -> AsyncIterator[QuickJsSandbox]:
    """A `QuickJsSandbox` on two fresh workers with `LIMITS`, closed afterwards."""
    pool = WorkerPool(2, LIMITS)
    await pool.start()
    try:
        yield QuickJsSandbox(pool)
    finally:
        await pool.close()


def action(body: str, trigger: str = "post-login") -> dict[str, Any]:
    """An Action named `under-test` whose handler is `body`, with one secret, KEY."""
    code = f"exports.{HANDLERS[trigger]} = async (event, api) => {{\n{body}\n}};"
    return {"name": "under-test", "code": code, "secrets": {"KEY": "value"}}


async def run_action(
    sandbox: QuickJsSandbox, body: str, trigger: str = "post-login"
) -> dict[str, Any]:
    """What the sandbox answers for one run of `action(body)` on `EVENT`."""
    scripts = [action(body, trigger)]
    job = {"kind": "actions", "trigger": trigger, "scripts": scripts, "event": EVENT}
    return await sandbox.run(job)


def status(answer: dict[str, Any]) -> str:
    """The first script's status: `ok`, `error`, `timeout`, `oom` or `crash`."""
    found: str = answer["executions"][0]["status"]
    return found
