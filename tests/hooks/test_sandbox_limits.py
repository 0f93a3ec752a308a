"""The sandbox's limits, driven directly (no server): time (a busy loop, a loop inside a promise
job, endless timers), memory, recursion, workers that die under a run, many runs at once, and
the log limit. A runaway script fails its own run; the worker serves the next one.

tests/api/test_hooks_sandbox.py checks the same limits through a login on a running server."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import os
import signal

import pytest

from selfauth.hooks.pool import QuickJsSandbox
from selfauth.hooks.sandbox import SandboxFailure
from tests.support.hooks import cpu_ticks, spinning
from tests.support.polling import wait_for
from tests.support.sandbox import LIMITS, run_action, status
from tests.support.sandbox import sandbox as sandbox


async def test_a_busy_loop_is_stopped_and_the_worker_serves_the_next_run(
    sandbox: QuickJsSandbox,
) -> None:
    answer = await run_action(sandbox, "while (true) {}")
    assert status(answer) == "timeout"
    assert answer["failed"]["name"] == "under-test"
    assert status(await run_action(sandbox, "api.user.setUserMetadata('a', 1);")) == "ok"


async def test_a_loop_after_an_await_is_stopped_too(sandbox: QuickJsSandbox) -> None:
    """The case that escaped V8's timeouts: the loop runs inside a promise job."""
    answer = await run_action(sandbox, "await null; while (true) {}")
    assert status(answer) == "timeout"
    assert status(await run_action(sandbox, "")) == "ok"


async def test_a_chain_of_short_jobs_is_bounded_by_the_script_limit(
    sandbox: QuickJsSandbox,
) -> None:
    body = "for (;;) { await new Promise((resolve) => setTimeout(resolve, 10)); }"
    assert status(await run_action(sandbox, body)) == "timeout"


async def test_a_memory_bomb_hits_the_cap(sandbox: QuickJsSandbox) -> None:
    answer = await run_action(sandbox, "const a = []; while (true) a.push(new Array(1e5).fill(1));")
    assert status(answer) == "oom"
    assert status(await run_action(sandbox, "")) == "ok"


async def test_unbounded_recursion_is_an_error_not_a_crash(sandbox: QuickJsSandbox) -> None:
    answer = await run_action(sandbox, "function f() { return f() + 1; } f();")
    assert status(answer) == "error"
    assert "stack" in answer["executions"][0]["error"].lower()


async def test_a_worker_killed_mid_run_is_replaced_and_the_run_retried_once(
    sandbox: QuickJsSandbox,
) -> None:
    idle = {pid: cpu_ticks(pid) for pid in sandbox.pool.worker_pids()}
    running = asyncio.ensure_future(run_action(sandbox, "while (true) {}"))
    # Waited for in a thread, so that the event loop sends the run meanwhile. 0.1 s of CPU: the
    # script is well under way, and well short of its limit (LIMITS.call_seconds).
    spins = functools.partial(spinning, idle, ticks=10)
    await asyncio.to_thread(wait_for, spins, "the script running in a worker", 10)
    for pid in sandbox.pool.worker_pids():
        os.kill(pid, signal.SIGKILL)
    # The retry ran the script again on a fresh worker, where it hit its time limit.
    assert status(await running) == "timeout"
    assert status(await run_action(sandbox, "")) == "ok"


async def test_a_run_whose_workers_keep_dying_fails_alone(sandbox: QuickJsSandbox) -> None:
    async def kill_every_worker() -> None:
        while True:
            for pid in sandbox.pool.worker_pids():
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            await asyncio.sleep(0.05)

    killer = asyncio.ensure_future(kill_every_worker())
    try:
        with pytest.raises(SandboxFailure):
            await run_action(sandbox, "while (true) {}")
    finally:
        killer.cancel()
    assert status(await run_action(sandbox, "")) == "ok"


async def test_many_runs_at_once_all_complete(sandbox: QuickJsSandbox) -> None:
    body = "api.idToken.setCustomClaim('https://example.com/n', event.user.user_id);"
    answers = await asyncio.gather(*(run_action(sandbox, body) for _ in range(40)))
    assert all(status(answer) == "ok" for answer in answers)


async def test_logs_are_kept_up_to_the_limit(sandbox: QuickJsSandbox) -> None:
    answer = await run_action(sandbox, "for (let i = 0; i < 100; i++) console.log('line', i);")
    logs = answer["executions"][0]["logs"]
    assert logs[0] == {"level": "log", "message": "line 0"}
    assert sum(len(line["message"]) for line in logs) <= LIMITS.log_chars
