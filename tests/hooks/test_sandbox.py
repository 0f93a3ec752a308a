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

from selfauth.hooks.pool import QuickJsSandbox, SandboxLimits, WorkerPool
from selfauth.hooks.sandbox import SandboxFailure

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
    # The runtime's entry points and its inputs are on no global: no script can call them to
    # act as another script or read the report early.
    "typeof __selfauth",
    "typeof __selfauth_event",
    "typeof __selfauth_secrets",
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


# --- a script cannot change what the runtime reports ------------------------------------------
# The scripts of one run share an engine context, and any of them may replace an intrinsic. The
# runtime must report on the others (and on itself) as an untouched runtime does.

TAMPERING = {
    "JSON.parse": "JSON.parse = () => ({});",
    "JSON.stringify hides a deny": """
      const stringify = JSON.stringify;
      JSON.stringify = function (value, ...rest) {
        if (value && typeof value === 'object' && 'denied' in value) {
          value = Object.assign({}, value, {denied: null, outcome: {ok: true}});
        }
        return stringify(value, ...rest);
      };""",
    "Array.prototype.push": "Array.prototype.push = function () { return this.length; };",
    "a setter for index 0 on Array.prototype": """
      Object.defineProperty(Array.prototype, '0', {set() {}, get() {}, configurable: true});""",
    "a setter for `by` on Object.prototype": """
      Object.defineProperty(Object.prototype, 'by', {
        set() {}, get() { return 'first'; }, configurable: true});""",
    "toJSON on Object.prototype": """
      Object.prototype.toJSON = function () {
        return 'denied' in this ? {outcome: {ok: true}, logs: [], denied: null, pendingTimers: 0}
          : this;
      };""",
    "toJSON on Array.prototype": "Array.prototype.toJSON = function () { return []; };",
    "Array.prototype.map and join": """
      Array.prototype.map = function () { return []; };
      Array.prototype.join = function () { return ''; };""",
    "Array.prototype.sort, filter, shift and the iterator": """
      Array.prototype.sort = function () { throw new Error('sort'); };
      Array.prototype.filter = function () { return []; };
      Array.prototype.shift = function () { return undefined; };
      Array.prototype[Symbol.iterator] = function* () {};""",
    "Object.assign, keys, freeze and defineProperty": """
      Object.assign = () => ({});
      Object.keys = () => [];
      Object.freeze = (o) => o;
      Object.defineProperty = (o) => o;""",
    "Promise.prototype.then turns rejections into success": """
      const then = Promise.prototype.then;
      Promise.prototype.then = function (ok, fail) { return then.call(this, ok, ok); };""",
    "Promise.prototype.then and constructor": """
      const then = Promise.prototype.then;
      Promise.prototype.then = function (ok, fail) { return then.call(this, ok, ok); };
      Object.defineProperty(Promise.prototype, 'constructor', {
        get() { return function Other(executor) { return new Promise(executor); }; },
        configurable: true});
      Promise.resolve = (value) => ({then(ok) { ok(value); }});""",
    "String, Number and Math.max": """
      String.prototype.slice = function () { return ''; };
      String.prototype.indexOf = function () { return -1; };
      globalThis.String = () => 'forged';
      globalThis.Number = () => 0;
      Math.max = () => 0;""",
    "Error and instanceof": """
      Object.defineProperty(Error, Symbol.hasInstance, {value: () => false});
      Error.prototype.name = 'UnauthorizedError';
      Object.defineProperty(Error.prototype, 'message', {get() { return ''; }});""",
    "Function.prototype.call and apply": """
      Function.prototype.call = function () { return undefined; };
      Function.prototype.apply = function () { return undefined; };
      Function.prototype.bind = function () { return () => undefined; };""",
    "console and setTimeout on the global object": """
      globalThis.console = {log() {}, info() {}, warn() {}, error() {}, debug() {}};
      globalThis.setTimeout = () => 0;""",
    "setters on Object.prototype for the api's members": """
      for (const name of ['user', 'idToken', 'accessToken', 'secrets', 'outcome', 'denied']) {
        Object.defineProperty(Object.prototype, name, {
          set() {}, get() { return undefined; }, configurable: true});
      }""",
}

# The second script: it logs, records one of everything, reads what the first one set, then
# denies or fails.
SECOND = {
    "denies": """
      console.log('second', 'runs', {n: 1});
      api.user.setAppMetadata('plan', {tier: 'gold', seats: [1, 2]});
      api.idToken.setCustomClaim('https://example.com/seen', event.user.user_metadata.seen);
      api.idToken.setCustomClaim('https://example.com/key', event.secrets.KEY);
      api.accessToken.addScope('read:extra');
      await new Promise((resolve) => setTimeout(resolve, 10));
      api.access.deny('second says no');""",
    "rejects": """
      console.log('second', 'runs');
      api.user.setAppMetadata('plan', 'gold');
      await null;
      throw new Error('second fails');""",
    "succeeds": """
      console.log('second', 'runs');
      api.user.setAppMetadata('plan', {tier: 'gold'});
      api.idToken.setCustomClaim('https://example.com/seen', event.user.user_metadata.seen);""",
}

FIRST = "console.log('first'); api.user.setUserMetadata('seen', 'yes');"


async def run_actions(sandbox: QuickJsSandbox, *bodies: str) -> dict[str, Any]:
    names = ["first", "second", "third"]
    scripts = [
        {**action(body), "name": names[index], "secrets": {"KEY": f"secret-{index}"}}
        for index, body in enumerate(bodies)
    ]
    job = {"kind": "actions", "trigger": "post-login", "scripts": scripts, "event": EVENT}
    return without_durations(await sandbox.run(job))


def without_durations(answer: dict[str, Any]) -> dict[str, Any]:
    runs = [{k: v for k, v in run.items() if k != "duration_ms"} for run in answer["executions"]]
    return {**answer, "executions": runs}


@pytest.mark.parametrize("second", list(SECOND))
@pytest.mark.parametrize("tampering", list(TAMPERING))
async def test_a_script_that_replaces_intrinsics_changes_nothing_reported_of_the_next(
    sandbox: QuickJsSandbox, tampering: str, second: str
) -> None:
    untouched = await run_actions(sandbox, FIRST, SECOND[second])
    tampered = await run_actions(sandbox, FIRST + TAMPERING[tampering], SECOND[second])
    assert tampered == untouched
    # What the untouched runtime reports, so the comparison above means something.
    by = {(c["type"], c.get("key"), c["by"]) for c in untouched["commands"]}
    assert ("set_user_metadata", "seen", "first") in by
    assert ("set_app_metadata", "plan", "second") in by
    logs = untouched["executions"][1]["logs"]
    assert logs[0]["message"].startswith("second runs")
    if second == "denies":
        assert untouched["denied"]["reason"] == "second says no"
        assert untouched["denied"]["by"] == "second"
        claims = {c["key"]: c["value"] for c in untouched["commands"] if c["type"] == "claim"}
        assert claims == {"https://example.com/seen": "yes", "https://example.com/key": "secret-1"}
    elif second == "rejects":
        assert untouched["failed"] == {
            "name": "second",
            "reason": "error",
            "message": "second fails",
        }
    else:
        assert untouched["failed"] is None and untouched["denied"] is None


async def test_a_script_that_replaces_intrinsics_keeps_its_own_records(
    sandbox: QuickJsSandbox,
) -> None:
    """What a script recorded before it tampered is reported as recorded, denial included."""
    tamper = "".join(f"try {{ {tampering} }} catch (e) {{}}\n" for tampering in TAMPERING.values())
    body = "api.user.setAppMetadata('plan', {tier: 'gold'}); api.access.deny('no');"
    untouched = await run_actions(sandbox, body)
    tampered = await run_actions(sandbox, body + tamper)
    assert tampered == untouched
    assert untouched["denied"]["reason"] == "no"


async def test_a_command_a_script_leaves_for_later_is_attributed_to_it(
    sandbox: QuickJsSandbox,
) -> None:
    first = "setTimeout(() => api.user.setUserMetadata('late', 1), 0);"
    second = "await new Promise((resolve) => setTimeout(resolve, 10));"
    answer = await run_actions(sandbox, first, second)
    assert answer["failed"] is None
    late = [c for c in answer["commands"] if c.get("key") == "late"]
    assert [c["by"] for c in late] == ["first"]


async def test_a_recorded_value_is_kept_as_it_was_asked_for(sandbox: QuickJsSandbox) -> None:
    """A later script changing the metadata it is shown does not change an earlier record."""
    first = "api.user.setUserMetadata('plan', {tier: 'gold'});"
    second = "event.user.user_metadata.plan.tier = 'changed';"
    answer = await run_actions(sandbox, first, second)
    assert [c["value"] for c in answer["commands"]] == [{"tier": "gold"}]


async def test_a_prototype_polyfill_still_works_across_scripts(sandbox: QuickJsSandbox) -> None:
    first = """
      if (!String.prototype.shout) {
        String.prototype.shout = function () { return this.toUpperCase() + '!'; };
      }
      api.idToken.setCustomClaim('a', 'hi'.shout());"""
    second = "api.idToken.setCustomClaim('b', 'there'.shout());"
    answer = await run_actions(sandbox, first, second)
    assert answer["failed"] is None
    assert {c["key"]: c["value"] for c in answer["commands"]} == {"a": "HI!", "b": "THERE!"}


RULE_TAMPERING = {
    "auth0 on the global object": """
      global.auth0 = {users: {updateAppMetadata() { return Promise.resolve(); }}};""",
    "UnauthorizedError on the global object": """
      global.UnauthorizedError = Error;""",
    "Error.prototype.name": "Error.prototype.name = 'UnauthorizedError';",
    "instanceof": """
      Object.defineProperty(UnauthorizedError, Symbol.hasInstance, {value: () => true});""",
    "JSON.parse and stringify": "JSON.parse = () => ({}); JSON.stringify = () => '[]';",
    "Promise.prototype.then": """
      const then = Promise.prototype.then;
      Promise.prototype.then = function (ok, fail) { return then.call(this, ok, ok); };""",
}

SECOND_RULE = {
    "refuses": """
      auth0.users.updateAppMetadata(user.user_id, {plan: 'gold'}).then(function () {
        context.idToken['https://example.com/r'] = 'second';
        callback(new Error('second rule says no'));
      });""",
    "refuses as unauthorized": """
      auth0.users.updateAppMetadata(user.user_id, {plan: 'gold'});
      callback(new UnauthorizedError('not you'));""",
    "passes": """
      auth0.users.updateAppMetadata(user.user_id, {plan: 'gold'}).then(function () {
        context.idToken['https://example.com/r'] = 'second';
        callback(null, user, context);
      });""",
}


async def run_rules(sandbox: QuickJsSandbox, *bodies: str) -> dict[str, Any]:
    scripts = [
        {"name": f"rule-{index}", "code": f"function (user, context, callback) {{\n{body}\n}}"}
        for index, body in enumerate(bodies)
    ]
    job = {
        "kind": "rules",
        "trigger": "post-login",
        "scripts": scripts,
        "user": {"user_id": "auth0|1"},
        "context": {"idToken": {}, "accessToken": {"scope": ["openid"]}},
        "configuration": {},
    }
    return without_durations(await sandbox.run(job))


@pytest.mark.parametrize("second", list(SECOND_RULE))
@pytest.mark.parametrize("tampering", list(RULE_TAMPERING))
async def test_a_rule_that_replaces_globals_changes_nothing_reported_of_the_next(
    sandbox: QuickJsSandbox, tampering: str, second: str
) -> None:
    first = "callback(null, user, context);"
    untouched = await run_rules(sandbox, first, SECOND_RULE[second])
    tampered = await run_rules(sandbox, RULE_TAMPERING[tampering] + first, SECOND_RULE[second])
    assert tampered == untouched
    merged = [c for c in untouched["commands"] if c["type"] == "merge_app_metadata"]
    assert merged == [{"type": "merge_app_metadata", "value": {"plan": "gold"}, "by": "rule-1"}]
    unauthorized = untouched["executions"][1]["unauthorized"]
    assert unauthorized is (second == "refuses as unauthorized")
    assert (untouched["failed"] is None) is (second == "passes")


async def test_recorded_values_are_what_json_stringify_gives(sandbox: QuickJsSandbox) -> None:
    """The runtime serializes values itself (so that a toJSON put on Object.prototype cannot
    rewrite them): it must agree with JSON.stringify on everything else."""
    body = r"""
      class Money { constructor(n) { this.n = n; } toJSON(key) { return key + ':' + this.n; } }
      const samples = {
        date: new Date(0),
        boxed: [new Number(3), new String('s'), new Boolean(false)],
        odd: [-0, NaN, Infinity, undefined, () => 1, Symbol('x'), , 'after a hole', null],
        object: {a: undefined, b: () => 1, 2: 'two', 1: 'one', nested: {deep: [{x: null}]}},
        money: new Money(5),
        inArray: [new Money(6), {m: new Money(7)}],
        map: new Map([[1, 2]]),
        getter: {get g() { return 'got'; }},
        raw: JSON.rawJSON('1e3'),
        proxy: new Proxy({p: [1]}, {}),
        text: 'é\u2028"\\ \n',
        numbers: [1e21, 0.1, -5, 2 ** 53],
        empty: [[], {}],
        nothing: undefined,
        fn: () => 1,
        withNullPrototype: Object.assign(Object.create(null), {a: 1}),
        symbolKey: {[Symbol('s')]: 1, kept: true},
      };
      for (const key of Object.keys(samples)) {
        api.idToken.setCustomClaim(key, samples[key]);
        const native = JSON.stringify(samples[key]);
        api.accessToken.setCustomClaim(key, native === undefined ? null : JSON.parse(native));
      }"""
    answer = await run_action(sandbox, body)
    assert answer["failed"] is None, answer
    recorded = {
        token: {c["key"]: c["value"] for c in answer["commands"] if c["token"] == token}
        for token in ("id", "access")
    }
    assert len(recorded["id"]) == 17
    assert recorded["id"] == recorded["access"]
    assert recorded["id"]["money"] == ":5"
    assert recorded["id"]["inArray"] == ["0:6", {"m": "m:7"}]


async def test_many_and_large_records_are_read_back(sandbox: QuickJsSandbox) -> None:
    """The commands reach Python as one flat string however long they get (quickjs-ng keeps a
    long concatenation as a "rope", which the binding cannot convert)."""
    body = "for (let i = 0; i < 2000; i++) api.idToken.setCustomClaim('k' + i, 'x'.repeat(100));"
    answer = await run_action(sandbox, body)
    assert answer["failed"] is None
    assert len(answer["commands"]) == 2000
    assert answer["commands"][-1]["value"] == "x" * 100


async def test_a_bigint_fails_the_script_as_json_stringify_does(sandbox: QuickJsSandbox) -> None:
    answer = await run_action(sandbox, "api.user.setUserMetadata('n', 1n);")
    assert status(answer) == "error"
    assert "BigInt" in answer["executions"][0]["error"]


async def test_a_script_that_breaks_the_runtime_fails_the_next_rather_than_passing_it(
    sandbox: QuickJsSandbox,
) -> None:
    """Fail safe: when a script leaves the runtime unable to prepare the next one, that one is
    an error (the login fails), never a silent success."""
    answer = await run_actions(sandbox, "Object.freeze(globalThis);", "api.access.deny('no');")
    assert answer["failed"]["name"] == "second"
    assert [run["status"] for run in answer["executions"]] == ["ok", "error"]


async def test_a_handler_result_the_runtime_cannot_watch_is_an_error(
    sandbox: QuickJsSandbox,
) -> None:
    code = (
        "exports.onExecutePostLogin = (event, api) => "
        "Object.freeze(Promise.reject(new Error('hidden')));"
    )
    job = {
        "kind": "actions",
        "trigger": "post-login",
        "scripts": [{"name": "frozen", "code": code, "secrets": {}}],
        "event": EVENT,
    }
    answer = await sandbox.run(job)
    assert status(answer) == "error"
    assert answer["failed"]["name"] == "frozen"
