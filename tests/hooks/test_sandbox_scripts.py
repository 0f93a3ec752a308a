"""What scripts do in the sandbox, driven directly (no server): compile checks (a syntax error
placed at its line, code checked without being run, a Rule must be a function), a Rule's
callback (after a timer, or never), and how the values a script records are serialized (as
`JSON.stringify` gives them; what JSON cannot hold; circular values, BigInt, many records)."""

from __future__ import annotations

from selfauth.hooks.pool import QuickJsSandbox
from tests.support.sandbox import run_action, status
from tests.support.sandbox import sandbox as sandbox

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


# --- how values are recorded -----------------------------------------------------------------


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
