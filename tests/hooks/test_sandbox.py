"""The sandbox through its one interface (`QuickJsSandbox`): limits, isolation, and what tenant
code cannot reach. Each test drives real worker processes."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
from collections.abc import AsyncIterator
from typing import Any

import pytest

from selfauth.hooks.pool import QuickJsSandbox, SandboxFailure, SandboxLimits, WorkerPool

LIMITS = SandboxLimits(call_seconds=0.5, total_seconds=1.5, memory_bytes=32 << 20, log_chars=200)
EVENT = {"user": {"user_id": "auth0|1", "user_metadata": {}, "app_metadata": {}}, "client": {}}


@pytest.fixture
async def sandbox() -> AsyncIterator[QuickJsSandbox]:
    pool = WorkerPool(2, LIMITS)
    await pool.start()
    try:
        yield QuickJsSandbox(pool)
    finally:
        await pool.close()


def action(body: str, trigger: str = "post-login") -> dict[str, Any]:
    handler = {
        "post-login": "onExecutePostLogin",
        "pre-user-registration": "onExecutePreUserRegistration",
        "credentials-exchange": "onExecuteCredentialsExchange",
    }[trigger]
    code = f"exports.{handler} = async (event, api) => {{\n{body}\n}};"
    return {"name": "under-test", "code": code, "secrets": {"KEY": "value"}}


async def run_action(
    sandbox: QuickJsSandbox, body: str, trigger: str = "post-login"
) -> dict[str, Any]:
    scripts = [action(body, trigger)]
    job = {"kind": "actions", "trigger": trigger, "scripts": scripts, "event": EVENT}
    return await sandbox.run(job)


def status(answer: dict[str, Any]) -> str:
    found: str = answer["executions"][0]["status"]
    return found


# --- limits ----------------------------------------------------------------------------------


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
    running = asyncio.ensure_future(run_action(sandbox, "while (true) {}"))
    await asyncio.sleep(0.2)
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


# --- what tenant code cannot reach -----------------------------------------------------------

UNREACHABLE = [
    "typeof require === 'function' ? (() => { try { require('fs'); return 'loaded'; } "
    "catch (e) { return 'refused'; } })() : 'absent'",
    "typeof process",
    "typeof fetch",
    "typeof XMLHttpRequest",
    "typeof std",
    "typeof os",
    "typeof Deno",
    "typeof Bun",
    "typeof WebSocket",
]


@pytest.mark.parametrize("probe", UNREACHABLE)
async def test_the_host_is_out_of_reach(sandbox: QuickJsSandbox, probe: str) -> None:
    answer = await run_action(sandbox, f"api.idToken.setCustomClaim('probe', {probe});")
    claims = [c for c in answer["commands"] if c["type"] == "claim"]
    assert claims[0]["value"] in ("undefined", "refused")


async def test_modules_cannot_be_imported(sandbox: QuickJsSandbox) -> None:
    body = """
    for (const name of ['os', 'std', 'fs', '/etc/passwd']) {
      try { await import(name); api.idToken.setCustomClaim(name, 'loaded'); }
      catch (e) { api.idToken.setCustomClaim(name, 'refused'); }
    }"""
    answer = await run_action(sandbox, body)
    values = {c["key"]: c["value"] for c in answer["commands"] if c["type"] == "claim"}
    assert values == dict.fromkeys(["os", "std", "fs", "/etc/passwd"], "refused")


async def test_nothing_survives_from_one_run_to_the_next(sandbox: QuickJsSandbox) -> None:
    await run_action(sandbox, "globalThis.leak = 'secret'; Object.prototype.polluted = 1;")
    for _ in range(4):  # every worker of the pool, whichever serves
        answer = await run_action(
            sandbox,
            "api.idToken.setCustomClaim('leak', typeof globalThis.leak);"
            "api.idToken.setCustomClaim('polluted', typeof ({}).polluted);",
        )
        values = {c["key"]: c["value"] for c in answer["commands"] if c["type"] == "claim"}
        assert values == {"leak": "undefined", "polluted": "undefined"}


async def test_secrets_reach_the_script_read_only(sandbox: QuickJsSandbox) -> None:
    body = """
    try { event.secrets.KEY = 'changed'; } catch (e) {}
    api.idToken.setCustomClaim('key', event.secrets.KEY);"""
    answer = await run_action(sandbox, body)
    assert [c["value"] for c in answer["commands"] if c["type"] == "claim"] == ["value"]


# --- compile checks --------------------------------------------------------------------------


async def test_a_syntax_error_is_placed_at_its_line_and_column(sandbox: QuickJsSandbox) -> None:
    source = "exports.onExecutePostLogin = async (event, api) => {\n  const x = ;\n};"
    problem = await sandbox.check(source, "action")
    assert problem is not None
    assert (problem.line, problem.column) == (2, 13)
    assert "SyntaxError" in problem.message


async def test_checking_code_does_not_run_it(sandbox: QuickJsSandbox) -> None:
    # Were the body run, the check would time out; parsing alone is instant.
    assert await sandbox.check("while (true) {}", "action") is None


async def test_a_rule_must_be_a_function(sandbox: QuickJsSandbox) -> None:
    assert await sandbox.check("function (user, context, callback) {}", "rule") is None
    problem = await sandbox.check("var x = 1", "rule")
    assert problem is not None


# --- rules -----------------------------------------------------------------------------------


async def test_a_rule_waiting_on_a_timer_gets_its_callback(sandbox: QuickJsSandbox) -> None:
    rule = (
        "function (user, context, callback) {"
        "  setTimeout(function () { context.idToken['https://x/t'] = 'late';"
        "  callback(null, user, context); }, 5000); }"
    )
    job = {
        "kind": "rules",
        "trigger": "post-login",
        "scripts": [{"name": "timer", "code": rule}],
        "user": {"user_id": "auth0|1"},
        "context": {"idToken": {}, "accessToken": {}},
        "configuration": {},
    }
    answer = await sandbox.run(job)
    assert answer["failed"] is None
    claim = {"type": "claim", "token": "id", "key": "https://x/t", "value": "late", "by": "rules"}
    assert claim in answer["commands"]


async def test_a_rule_that_never_calls_back_fails(sandbox: QuickJsSandbox) -> None:
    job = {
        "kind": "rules",
        "trigger": "post-login",
        "scripts": [{"name": "silent", "code": "function (user, context, callback) {}"}],
        "user": {"user_id": "auth0|1"},
        "context": {},
        "configuration": {},
    }
    answer = await sandbox.run(job)
    assert answer["failed"]["name"] == "silent"
    assert "callback" in answer["executions"][0]["error"]


async def test_values_json_cannot_hold_are_recorded_as_null(sandbox: QuickJsSandbox) -> None:
    body = """
    api.idToken.setCustomClaim('fn', () => 1);
    api.idToken.setCustomClaim('nothing', undefined);
    api.user.setUserMetadata('nested', {keep: 1, drop: () => 2});"""
    answer = await run_action(sandbox, body)
    values = {c["key"]: c["value"] for c in answer["commands"]}
    assert values == {"fn": None, "nothing": None, "nested": {"keep": 1}}


async def test_a_circular_value_fails_the_script_with_its_reason(sandbox: QuickJsSandbox) -> None:
    answer = await run_action(sandbox, "const a = {}; a.a = a; api.user.setUserMetadata('a', a);")
    assert status(answer) == "error"
    assert "circular" in answer["executions"][0]["error"].lower()
