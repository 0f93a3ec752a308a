"""Post-login Actions at login time: metadata, custom claims, scopes, secrets, denials, the
execution records, the authorization-code flow, and the sandbox's limits (runaway scripts,
memory, what tenant code cannot reach).

The session servers are shared with every other test file: each action here acts only for the
client its test created (`guarded`), and the `hooks` fixture unbinds and deletes everything it
made. Tests that would disrupt other logins run on a throwaway server (`sandboxed`)."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest

from tests.support.api import Api, assert_coded_error
from tests.support.authorize import CALLBACK, code_from, exchange, flow, redirected, sign_in
from tests.support.hooks import (
    ACTIONS,
    EXECUTIONS,
    TRIGGERS,
    Hooks,
    admin_hooks,
    code_app,
    executions,
    guarded,
    hook_app,
    recorded,
    results_of,
    throwaway_server,
)
from tests.support.hooks import hooks as hooks
from tests.support.server import RunningServer, serving
from tests.support.signin import assert_oauth_error, claims, http, login, tokens


def test_metadata_cached_by_one_login_is_read_by_the_next(
    server: RunningServer, api: Api, hooks: Hooks
) -> None:
    app = hook_app(api)
    hooks.action(
        guarded(
            app.client_id,
            """
  const cached = event.user.user_metadata.cached;
  const seen = cached === undefined ? 'none' : cached;
  api.idToken.setCustomClaim('https://ns.example.com/cached', seen);
  if (cached === undefined) api.user.setUserMetadata('cached', {count: event.stats.logins_count});
""",
        )
    )
    user = api.create_user(connection=app.connection, user_metadata={"theme": "dark"})
    first = tokens(login(server, app, user["email"], scope="openid"))
    assert claims(first["id_token"])["https://ns.example.com/cached"] == "none"
    stored = api.user(user["user_id"])["user_metadata"]
    assert stored == {"theme": "dark", "cached": {"count": 1}}
    second = tokens(login(server, app, user["email"], scope="openid"))
    assert claims(second["id_token"])["https://ns.example.com/cached"] == {"count": 1}
    assert api.user(user["user_id"])["user_metadata"] == stored


def test_null_removes_a_metadata_key_and_other_keys_stay(
    server: RunningServer, api: Api, hooks: Hooks
) -> None:
    app = hook_app(api)
    hooks.action(
        guarded(
            app.client_id,
            """
  api.user.setUserMetadata('drop', null);
  api.user.setAppMetadata('gone', null);
  api.user.setAppMetadata('plan', {name: 'pro', seats: [1, 2]});
""",
        )
    )
    user = api.create_user(
        connection=app.connection,
        user_metadata={"keep": 1, "drop": 2},
        app_metadata={"gone": True, "stays": "yes"},
    )
    tokens(login(server, app, user["email"]))
    stored = api.user(user["user_id"])
    assert stored["user_metadata"] == {"keep": 1}
    assert stored["app_metadata"] == {"stays": "yes", "plan": {"name": "pro", "seats": [1, 2]}}


def test_deny_keeps_metadata_set_before_it_and_stops_later_actions(
    server: RunningServer, api: Api, hooks: Hooks
) -> None:
    app = hook_app(api)
    denier = hooks.action(
        guarded(
            app.client_id,
            """
  api.user.setUserMetadata('before', 'kept');
  api.user.setAppMetadata('tier', 'gold');
  api.access.deny('No entry for this account');
""",
        )
    )
    later = hooks.action(guarded(app.client_id, "  api.user.setUserMetadata('after', 'ran');"))
    user = api.create_user(connection=app.connection)
    response = login(server, app, user["email"], scope="openid")
    body = assert_oauth_error(response, 403, "access_denied")
    assert body["error_description"] == "No entry for this account"
    assert "access_token" not in body and "id_token" not in body
    stored = api.user(user["user_id"])
    assert stored["user_metadata"] == {"before": "kept"}
    assert stored["app_metadata"] == {"tier": "gold"}
    names = [r["action_name"] for r in results_of(api, user["user_id"])]
    assert denier["name"] in names
    assert later["name"] not in names


def test_invalid_metadata_from_a_hook_fails_the_login_and_writes_nothing(
    server: RunningServer, api: Api, hooks: Hooks
) -> None:
    app = hook_app(api)
    hooks.action(
        guarded(
            app.client_id,
            """
  api.user.setUserMetadata('fine', 'value');
  api.user.setUserMetadata('not.allowed', 1);
""",
        )
    )
    user = api.create_user(connection=app.connection, user_metadata={"existing": True})
    assert_oauth_error(login(server, app, user["email"]), 403, "access_denied")
    stored = api.user(user["user_id"])
    assert stored["user_metadata"] == {"existing": True}


def test_actions_run_in_binding_order_and_see_the_metadata_set_before_them(
    server: RunningServer, api: Api, hooks: Hooks
) -> None:
    app = hook_app(api)
    # Created second, bound first: binding order decides, not creation order.
    second = hooks.action(
        guarded(
            app.client_id,
            """
  const trace = event.user.user_metadata.trace || [];
  api.user.setUserMetadata('trace', trace.concat(['second']));
  api.idToken.setCustomClaim('https://ns.example.com/step', event.user.app_metadata.step);
""",
        ),
        bind=False,
    )
    first = hooks.action(
        guarded(
            app.client_id,
            """
  const trace = event.user.user_metadata.trace || [];
  api.user.setUserMetadata('trace', trace.concat(['first']));
  api.user.setAppMetadata('step', 1);
""",
        ),
        bind=False,
    )
    hooks.bind("post-login", first, second)
    user = api.create_user(connection=app.connection)
    issued = tokens(login(server, app, user["email"], scope="openid"))
    assert claims(issued["id_token"])["https://ns.example.com/step"] == 1
    stored = api.user(user["user_id"])
    assert stored["user_metadata"] == {"trace": ["first", "second"]}
    assert stored["app_metadata"] == {"step": 1}
    execution = recorded(api, user_id=user["user_id"])[0]
    assert [r["action_name"] for r in execution["results"]] == [first["name"], second["name"]]


# --- claims, scopes, event --------------------------------------------------------------------


def test_claims_scopes_and_the_event_client_and_connection(
    server: RunningServer, api: Api, hooks: Hooks
) -> None:
    app = hook_app(api, client_metadata={"region": "eu", "tier": "gold"})
    hooks.action(
        guarded(
            app.client_id,
            """
  api.idToken.setCustomClaim('https://ns.example.com/client', {
    id: event.client.client_id, name: event.client.name, metadata: event.client.metadata,
  });
  api.idToken.setCustomClaim('https://ns.example.com/connection', event.connection.name);
  api.idToken.setCustomClaim('https://ns.example.com/protocol', event.transaction.protocol);
  api.idToken.setCustomClaim('https://ns.example.com/user', event.user.user_id);
  api.accessToken.setCustomClaim('https://ns.example.com/level', 7);
  api.accessToken.removeScope('email');
  api.accessToken.addScope('read:extra');
""",
        )
    )
    client_name = api.get(f"/api/v2/clients/{app.client_id}").json()["name"]
    user = api.create_user(connection=app.connection)
    issued = tokens(login(server, app, user["email"], scope="openid profile email"))
    id_claims = claims(issued["id_token"])
    assert id_claims["https://ns.example.com/client"] == {
        "id": app.client_id,
        "name": client_name,
        "metadata": {"region": "eu", "tier": "gold"},
    }
    assert id_claims["https://ns.example.com/connection"] == app.connection
    assert id_claims["https://ns.example.com/protocol"] == "oauth2-password"
    assert id_claims["https://ns.example.com/user"] == user["user_id"]
    assert id_claims["sub"] == user["user_id"]
    access = claims(issued["access_token"])
    assert access["https://ns.example.com/level"] == 7
    assert "https://ns.example.com/level" not in id_claims
    assert access["scope"].split() == ["openid", "profile", "read:extra"]
    assert issued["scope"].split() == ["openid", "profile", "read:extra"]


def test_secrets_reach_the_action_and_are_never_returned(
    server: RunningServer, api: Api, hooks: Hooks
) -> None:
    app = hook_app(api)
    secret = f"s3cret-{uuid.uuid4().hex}"
    action = hooks.action(
        guarded(
            app.client_id,
            """
  api.idToken.setCustomClaim('https://ns.example.com/secret', event.secrets.API_KEY);
  api.idToken.setCustomClaim('https://ns.example.com/frozen', Object.isFrozen(event.secrets));
""",
        ),
        secrets={"API_KEY": secret},
    )
    user = api.create_user(connection=app.connection)
    id_claims = claims(tokens(login(server, app, user["email"], scope="openid"))["id_token"])
    assert id_claims["https://ns.example.com/secret"] == secret
    assert id_claims["https://ns.example.com/frozen"] is True
    for path in (
        f"{ACTIONS}/{action['id']}",
        f"{ACTIONS}/{action['id']}/versions",
        f"{ACTIONS}?per_page=100",
        f"{TRIGGERS}/post-login/bindings",
    ):
        response = api.get(path)
        assert response.status_code == 200, response.text
        assert secret not in response.text, path
    listed = api.get(f"{ACTIONS}/{action['id']}").json()["secrets"]
    assert [s["name"] for s in listed] == ["API_KEY"]
    assert all("value" not in s for s in listed)


def test_restricted_and_prohibited_claim_names_are_dropped_silently(
    server: RunningServer, api: Api, hooks: Hooks
) -> None:
    app = hook_app(api)
    hooks.action(
        guarded(
            app.client_id,
            """
  for (const name of ['sub', 'aud', 'iss', 'scope', 'roles', 'permissions', 'groups', 'azp',
                      'nonce', 'sip_x', 'email', 'https://x.auth0.com/c', 'https://auth0.com/c',
                      'https://a.webtask.io/c', 'https://webtask.run/c', 'allowed',
                      'https://ns.example.com/ok']) {
    api.idToken.setCustomClaim(name, 'hook:' + name);
    api.accessToken.setCustomClaim(name, 'hook:' + name);
  }
""",
        )
    )
    user = api.create_user(connection=app.connection)
    issued = tokens(login(server, app, user["email"], scope="openid email"))
    # `email` is an unrestricted profile claim: dropped from the ID token, which carries it
    # already, and added to the access token, which does not.
    for token, added in (
        (claims(issued["id_token"]), set()),
        (claims(issued["access_token"]), {"email"}),
    ):
        assert token["https://ns.example.com/ok"] == "hook:https://ns.example.com/ok"
        assert token["allowed"] == "hook:allowed"
        hooked = {name for name, value in token.items() if str(value).startswith("hook:")}
        assert hooked == {"allowed", "https://ns.example.com/ok", *added}, token
        assert token["sub"] == user["user_id"]
        assert token["iss"] == server.issuer
    id_claims = claims(issued["id_token"])
    assert id_claims["aud"] == app.client_id
    assert id_claims["email"] == user["email"]
    assert claims(issued["access_token"])["scope"] == "openid email"


def test_management_api_access_tokens_keep_only_namespaced_claims(
    server: RunningServer, api: Api, hooks: Hooks
) -> None:
    app = hook_app(api)
    hooks.action(
        guarded(
            app.client_id,
            """
  api.accessToken.setCustomClaim('plain', 1);
  api.accessToken.setCustomClaim('https://ns.example.com/spaced', 2);
  api.idToken.setCustomClaim('plain', 3);
""",
        )
    )
    user = api.create_user(connection=app.connection)
    issued = tokens(login(server, app, user["email"], scope="openid", audience=server.audience))
    access = claims(issued["access_token"])
    assert server.audience in (
        access["aud"] if isinstance(access["aud"], list) else [access["aud"]]
    )
    assert "plain" not in access
    assert access["https://ns.example.com/spaced"] == 2
    assert claims(issued["id_token"])["plain"] == 3


def test_a_claim_payload_over_100_kb_is_refused(
    server: RunningServer, api: Api, hooks: Hooks
) -> None:
    app = hook_app(api)
    hooks.action(
        guarded(
            app.client_id,
            "  api.idToken.setCustomClaim('https://ns.example.com/big', 'x'.repeat(101 * 1024));",
        )
    )
    user = api.create_user(connection=app.connection)
    refused = login(server, app, user["email"], scope="openid")
    body = assert_oauth_error(refused, 403, "access_denied")
    assert "id_token" not in body
    # Just under the limit, split over both tokens, is fine.
    small = hook_app(api)
    hooks.action(
        guarded(
            small.client_id,
            """
  api.idToken.setCustomClaim('https://ns.example.com/a', 'x'.repeat(45 * 1024));
  api.accessToken.setCustomClaim('https://ns.example.com/b', 'y'.repeat(45 * 1024));
""",
        )
    )
    other = api.create_user(connection=small.connection)
    issued = tokens(login(server, small, other["email"], scope="openid"))
    assert len(claims(issued["id_token"])["https://ns.example.com/a"]) == 45 * 1024
    assert len(claims(issued["access_token"])["https://ns.example.com/b"]) == 45 * 1024


def test_a_throwing_action_fails_the_login_with_its_name(
    server: RunningServer, api: Api, hooks: Hooks
) -> None:
    app = hook_app(api)
    action = hooks.action(guarded(app.client_id, "  throw new Error('kaboom');"))
    user = api.create_user(connection=app.connection)
    body = assert_oauth_error(login(server, app, user["email"]), 403, "access_denied")
    assert action["name"] in body["error_description"]
    result = next(r for r in results_of(api, user["user_id"]) if r["action_name"] == action["name"])
    assert result["status"] == "error"
    assert "kaboom" in result["error"]["msg"]


# --- executions -------------------------------------------------------------------------------


def test_console_output_is_recorded_in_the_execution(
    server: RunningServer, api: Api, hooks: Hooks
) -> None:
    app = hook_app(api)
    action = hooks.action(
        guarded(
            app.client_id,
            """
  console.log('hello', event.user.email, {n: 1});
  console.error('something odd');
""",
        )
    )
    user = api.create_user(connection=app.connection)
    tokens(login(server, app, user["email"]))
    listed = recorded(api, user_id=user["user_id"])
    assert len(listed) == 1
    execution = listed[0]
    assert execution["trigger_id"] == "post-login"
    ours = [r for r in execution["results"] if r["action_name"] == action["name"]]
    assert len(ours) == 1
    result = ours[0]
    assert result["status"] == "ok"
    assert "error" not in result
    assert isinstance(result["duration_ms"], int | float)
    messages = [(line["level"], line["message"]) for line in result["logs"]]
    assert messages == [
        ("log", f'hello {user["email"]} {{"n":1}}'),
        ("error", "something odd"),
    ]
    one = api.get(f"{EXECUTIONS}/{execution['id']}")
    assert one.status_code == 200, one.text
    assert one.json()["results"] == execution["results"]
    assert one.json()["id"] == execution["id"]


def test_executions_answer_bad_input_in_the_api_shape(api: Api) -> None:
    assert_coded_error(api.get(f"{EXECUTIONS}/no-such-execution"), 404, "inexistent_execution")
    assert_coded_error(api.get(EXECUTIONS, per_page="lots"), 400)
    assert_coded_error(api.get(EXECUTIONS, page=-1), 400)
    assert api.get(EXECUTIONS, user_id="auth0|nobody").json() == {"executions": []}
    reader = api.with_scopes("read:users")
    assert_coded_error(reader.get(f"{EXECUTIONS}/anything"), 403)
    assert_coded_error(reader.get(EXECUTIONS), 403)


# --- the authorization-code flow --------------------------------------------------------------


@pytest.fixture
def browser(server: RunningServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.base_url, timeout=30, follow_redirects=False) as client:
        yield client


def test_code_flow_claims_wait_in_the_code_and_appear_after_the_exchange(
    server: RunningServer, api: Api, hooks: Hooks, browser: httpx.Client
) -> None:
    client, connection = code_app(api)
    hooks.action(
        guarded(
            client.client_id,
            """
  api.idToken.setCustomClaim('https://ns.example.com/protocol', event.transaction.protocol);
  api.accessToken.setCustomClaim('https://ns.example.com/a', 'in-access');
  api.user.setAppMetadata('via', 'code-flow');
""",
        )
    )
    user = api.create_user(connection=connection)
    f = flow(client, connection)
    code = code_from(sign_in(browser, f, user["email"]), f)
    issued = tokens(exchange(server, client, code, f))
    id_claims = claims(issued["id_token"])
    assert id_claims["https://ns.example.com/protocol"] == "oidc-basic-profile"
    assert id_claims["sub"] == user["user_id"]
    assert claims(issued["access_token"])["https://ns.example.com/a"] == "in-access"
    assert api.user(user["user_id"])["app_metadata"] == {"via": "code-flow"}
    # A silent authentication on the session runs the post-login actions again.
    silent = flow(client, connection, prompt="none")
    code = code_from(browser.get("/authorize", params=silent.params), silent)
    again = claims(tokens(exchange(server, client, code, silent))["id_token"])
    assert again["https://ns.example.com/protocol"] == "oidc-basic-profile"


def test_code_flow_denial_redirects_to_the_callback_with_access_denied(
    server: RunningServer, api: Api, hooks: Hooks, browser: httpx.Client
) -> None:
    client, connection = code_app(api)
    hooks.action(guarded(client.client_id, "  api.access.deny('Not during maintenance');"))
    user = api.create_user(connection=connection)
    f = flow(client, connection)
    params = redirected(sign_in(browser, f, user["email"]), CALLBACK)
    assert "code" not in params
    assert params["error"] == "access_denied"
    assert params["error_description"] == "Not during maintenance"
    assert params["state"] == f.state
    # No session survives the refusal: a silent authentication needs a login again.
    silent = flow(client, connection, prompt="none")
    again = redirected(browser.get("/authorize", params=silent.params), CALLBACK)
    assert again.get("error") == "login_required", again


# --- runaway scripts and the sandbox's walls (a throwaway server) -----------------------------

QUICK_LIMITS = {
    "SELFAUTH_HOOK_SCRIPT_SECONDS": "1",
    "SELFAUTH_HOOK_TRIGGER_SECONDS": "2",
    "SELFAUTH_HOOK_MEMORY_MB": "32",
    "SELFAUTH_HOOK_WORKERS": "2",
}


sandboxed = throwaway_server("hooks-sandbox", QUICK_LIMITS)


@pytest.fixture
def sandbox_hooks(sandboxed: RunningServer) -> Iterator[Hooks]:
    """A `Hooks` kit on the administrator's `Api` (`sandbox_hooks.api`) on `sandboxed`."""
    with admin_hooks(sandboxed) as kit:
        yield kit


def still_answers(server: RunningServer, api: Api) -> None:
    assert http(server.base_url).get("/.well-known/jwks.json").status_code == 200
    app = hook_app(api)
    user = api.create_user(connection=app.connection)
    assert tokens(login(server, app, user["email"]))["access_token"]


@pytest.mark.parametrize(
    "body",
    [
        "  while (true) {}",
        "  await null;\n  while (true) {}",
        "  for (;;) { await new Promise((resolve) => setTimeout(resolve, 1000)); }",
    ],
    ids=["sync-loop", "loop-after-await", "endless-timers"],
)
def test_a_runaway_action_fails_its_login_while_other_logins_go_on(
    sandboxed: RunningServer, sandbox_hooks: Hooks, body: str
) -> None:
    api = sandbox_hooks.api
    stuck, fine = hook_app(api), hook_app(api)
    runaway = sandbox_hooks.action(guarded(stuck.client_id, body))
    sandbox_hooks.action(
        guarded(fine.client_id, "  api.idToken.setCustomClaim('https://ns.example.com/ok', 1);")
    )
    victim = api.create_user(connection=stuck.connection)
    others = [api.create_user(connection=fine.connection) for _ in range(3)]
    with ThreadPoolExecutor(max_workers=4) as pool:
        pending = pool.submit(login, sandboxed, stuck, victim["email"])
        answers: list[httpx.Response] = []
        while not pending.done() or len(answers) < 3:
            batch = [
                pool.submit(login, sandboxed, fine, u["email"], scope="openid") for u in others
            ]
            answers.extend(f.result() for f in batch)
        failed = pending.result()
    body_ = assert_oauth_error(failed, 403, "access_denied")
    assert runaway["name"] in body_["error_description"]
    for answer in answers:
        assert claims(tokens(answer)["id_token"])["https://ns.example.com/ok"] == 1
    result = next(
        r for r in results_of(api, victim["user_id"]) if r["action_name"] == runaway["name"]
    )
    assert result["status"] == "timeout", result
    still_answers(sandboxed, api)


def test_a_memory_bomb_fails_with_status_oom(
    sandboxed: RunningServer, sandbox_hooks: Hooks
) -> None:
    api = sandbox_hooks.api
    app = hook_app(api)
    bomb = sandbox_hooks.action(
        guarded(app.client_id, "  let a = [];\n  while (true) a.push(new Array(1e6).fill(1));")
    )
    user = api.create_user(connection=app.connection)
    body = assert_oauth_error(login(sandboxed, app, user["email"]), 403, "access_denied")
    assert bomb["name"] in body["error_description"]
    result = next(r for r in results_of(api, user["user_id"]) if r["action_name"] == bomb["name"])
    assert result["status"] == "oom", result
    still_answers(sandboxed, api)


PROBE = """
  const probe = {};
  const attempt = async (name, run) => {
    try { probe[name] = 'reached: ' + String(await run()); }
    catch (e) { probe[name] = 'refused: ' + String(e && e.message || e); }
  };
  await attempt('require_fs', () => typeof require('fs'));
  await attempt('require_child', () => typeof require('child_process'));
  await attempt('process_env', () => JSON.stringify(process.env));
  await attempt('fetch', () => fetch('http://127.0.0.1:1/'));
  await attempt('import_os', () => import('os'));
  await attempt('import_qjs_os', () => import('qjs:os'));
  await attempt('import_std', () => import('std'));
  await attempt('import_file', () => import('/etc/hostname'));
  await attempt('xhr', () => new XMLHttpRequest());
  probe.types = {
    process: typeof process, fetch: typeof fetch, std: typeof globalThis.std,
    os: typeof globalThis.os, Deno: typeof Deno, Bun: typeof Bun, print: typeof print,
    scriptArgs: typeof scriptArgs, XMLHttpRequest: typeof XMLHttpRequest,
  };
  api.idToken.setCustomClaim('https://ns.example.com/probe', probe);
"""


def test_tenant_code_reaches_no_module_process_network_or_host_runtime(
    sandboxed: RunningServer, sandbox_hooks: Hooks
) -> None:
    api = sandbox_hooks.api
    app = hook_app(api)
    sandbox_hooks.action(guarded(app.client_id, PROBE))
    user = api.create_user(connection=app.connection)
    issued = tokens(login(sandboxed, app, user["email"], scope="openid"))
    probe = claims(issued["id_token"])["https://ns.example.com/probe"]
    types = probe.pop("types")
    assert set(types.values()) == {"undefined"}, types
    for name, outcome in probe.items():
        assert outcome.startswith("refused: "), (name, outcome)
    assert "require('fs') is not available" in probe["require_fs"]
    still_answers(sandboxed, api)


def test_one_login_leaves_nothing_behind_for_the_next(
    sandboxed: RunningServer, sandbox_hooks: Hooks
) -> None:
    api = sandbox_hooks.api
    app = hook_app(api)
    sandbox_hooks.action(
        guarded(
            app.client_id,
            """
  const before = typeof globalThis.leftover === 'undefined' ? 'clean' : globalThis.leftover;
  globalThis.leftover = event.user.user_id;
  Object.prototype.polluted = 'yes';
  api.idToken.setCustomClaim('https://ns.example.com/before', before);
""",
        )
    )
    for _ in range(4):  # more logins than workers: each worker's next run is checked
        user = api.create_user(connection=app.connection)
        issued = tokens(login(sandboxed, app, user["email"], scope="openid"))
        assert claims(issued["id_token"])["https://ns.example.com/before"] == "clean"


# --- the time limits are wall-clock limits, even on a busy machine ----------------------------


def descendants(pid: int) -> list[int]:
    """`pid` and every process below it (Linux /proc)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    found, frontier = [pid], [pid]
    while frontier:
        children = [child for child, parent in parents.items() if parent in frontier]
        found.extend(children)
        frontier = children
    return found


BUSY_LIMITS = {
    "SELFAUTH_HOOK_SCRIPT_SECONDS": "1",
    "SELFAUTH_HOOK_TRIGGER_SECONDS": "1",
    "SELFAUTH_HOOK_WORKERS": "4",
}


@pytest.fixture(scope="module")
def one_cpu(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    """A server whose processes (its sandbox workers too) share a single CPU."""
    if not hasattr(os, "sched_setaffinity"):
        pytest.skip("needs Linux CPU affinity")
    with serving("sqlite", tmp_path_factory.mktemp("hooks-one-cpu"), BUSY_LIMITS) as running:
        cpu = min(os.sched_getaffinity(0))
        for pid in descendants(running.process.pid):
            os.sched_setaffinity(pid, {cpu})
        yield running


def test_runaway_actions_are_stopped_by_the_clock_when_they_share_a_cpu(
    one_cpu: RunningServer,
) -> None:
    with admin_hooks(one_cpu) as kit:
        api = kit.api
        app = hook_app(api)
        runaway = kit.action(guarded(app.client_id, "  while (true) {}"))
        users = [api.create_user(connection=app.connection) for _ in range(4)]
        with ThreadPoolExecutor(max_workers=4) as pool:
            answers = list(pool.map(lambda u: login(one_cpu, app, u["email"]), users))
        for user, answer in zip(users, answers, strict=True):
            body = assert_oauth_error(answer, 403, "access_denied")
            assert runaway["name"] in body["error_description"], body
            statuses = [r["status"] for r in results_of(api, user["user_id"])]
            assert statuses == ["timeout"], statuses


def test_an_execution_is_listed_even_while_the_journal_is_writing_it(
    server: RunningServer, api: Api, hooks: Hooks
) -> None:
    if server.backend != "postgres":
        pytest.skip("holds a PostgreSQL table lock to make the journal's write slow")
    app = hook_app(api)
    hooks.action(guarded(app.client_id, "  console.log('recorded');"))
    user = api.create_user(connection=app.connection)

    async def scenario() -> list[dict[str, Any]]:
        url = server.database_url.replace("postgresql+asyncpg://", "postgresql://", 1)
        connection = await asyncpg.connect(url, timeout=10)
        try:
            writes = connection.transaction()
            await writes.start()
            # Reads go on; the journal's insert waits until the lock is released.
            await connection.execute("LOCK TABLE hook_executions IN EXCLUSIVE MODE")
            await asyncio.to_thread(lambda: tokens(login(server, app, user["email"])))
            await asyncio.sleep(0.5)  # the journal's next batch (every 0.2 s) takes the record
            listing = asyncio.ensure_future(
                asyncio.to_thread(executions, api, user_id=user["user_id"])
            )
            await asyncio.sleep(0.5)
            await writes.rollback()
            return await listing
        finally:
            await connection.close()

    assert len(asyncio.run(scenario())) == 1
