"""What tenant code cannot reach or change, with the sandbox driven directly (no server): the
host (no `require`, `process`, network, modules, runtime entry points), anything left by an
earlier run, its secrets, and, sharing one engine context with the other scripts of a run,
what the runtime reports about them: replacing intrinsics or globals changes nothing recorded
of another script (or of itself), and a script that breaks the runtime fails the next one.

tests/api/test_hooks_sandbox.py checks the same walls through a login on a running server."""

from __future__ import annotations

from typing import Any

import pytest

from selfauth.hooks.pool import QuickJsSandbox
from tests.support.sandbox import EVENT, action, run_action, status
from tests.support.sandbox import sandbox as sandbox

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
