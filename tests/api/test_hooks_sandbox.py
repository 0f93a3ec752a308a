"""The sandbox behind a running server. A script that runs away, exhausts its memory, loses its
worker or tampers with the runtime fails at most its own login, never the server or anyone
else's; the time limits hold on a machine short of CPU; tenant code reaches nothing of the host
and leaves nothing for the next login; the workers do not outlive the server.
(tests/hooks drives the sandbox itself, without a server.)

Tests that would disrupt other logins run on servers of their own with short limits:
`sandboxed`, `isolated`, `one_cpu`, and one killed by its test. The tampering Actions run on the
session's server and act only for the client their test created (`guarded`)."""

from __future__ import annotations

import contextlib
import os
import signal
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.api import Api
from tests.support.hooks import (
    Hooks,
    admin_hooks,
    busy_workers,
    child_processes,
    descendants,
    guarded,
    has_exited,
    hook_app,
    idle_workers,
    results_of,
    spinning,
    throwaway_server,
)
from tests.support.hooks import hooks as hooks
from tests.support.polling import eventually, wait_for
from tests.support.server import RunningServer, serving
from tests.support.signin import (
    assert_oauth_error,
    claims,
    http,
    login,
    login_body,
    new_app,
    post_token,
    tokens,
)

# --- runaway scripts and memory bombs (`sandboxed`: 1 s a script, 32 MB) ----------------------

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


# --- the time limits are wall-clock limits, even on a busy machine ----------------------------


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


# --- a worker killed under a login, or every worker busy (`isolated`: 3 s a script) -----------

UNGUARDED_RUNAWAY = "exports.onExecutePostLogin = async (event, api) => { while (true) {} };"

HOOK_WORKERS = 2

isolated = throwaway_server(
    "isolation",
    {
        "SELFAUTH_HOOK_SCRIPT_SECONDS": "3",
        "SELFAUTH_HOOK_TRIGGER_SECONDS": "4",
        "SELFAUTH_HOOK_WORKERS": str(HOOK_WORKERS),
    },
)


@pytest.fixture
def isolated_hooks(isolated: RunningServer) -> Iterator[Hooks]:
    """A `Hooks` kit on the administrator's `Api` (`isolated_hooks.api`) on `isolated`."""
    with admin_hooks(isolated) as kit:
        yield kit


def test_killing_the_sandbox_mid_login_fails_only_that_login(
    isolated: RunningServer, isolated_hooks: Hooks
) -> None:
    api = isolated_hooks.api
    victim, bystander = new_app(api), new_app(api)
    victim_email = api.create_user(connection=victim.connection)["email"]
    bystander_email = api.create_user(connection=bystander.connection)["email"]
    # The runaway loop only for the victim's client; everyone else passes straight through.
    guard = f"if (event.client.client_id !== '{victim.client_id}') return; while (true) {{}}"
    code = f"exports.onExecutePostLogin = async (event, api) => {{ {guard} }};"
    isolated_hooks.action(code, name="runaway")

    outcome: dict[str, Any] = {}

    def victim_login() -> None:
        outcome["response"] = post_token(isolated, login_body(victim, victim_email))

    idle = idle_workers(isolated.process.pid)
    thread = threading.Thread(target=victim_login)
    thread.start()
    wait_for(lambda: spinning(idle), "the victim's script spinning in a worker", 10)
    for pid in child_processes(isolated.process.pid):
        os.kill(pid, signal.SIGKILL)
    # While the victim's login is being retried and timed out, others sign in.
    for _ in range(3):
        assert post_token(isolated, login_body(bystander, bystander_email)).status_code == 200
    thread.join(30)
    body = assert_oauth_error(outcome["response"], 403, "access_denied")
    assert "runaway" in body["error_description"]
    assert isolated.process.poll() is None, "the server must survive its sandbox"
    assert post_token(isolated, login_body(bystander, bystander_email)).status_code == 200
    assert len(child_processes(isolated.process.pid)) >= 1


def test_an_unstoppable_script_does_not_hold_the_event_loop(
    isolated: RunningServer, isolated_hooks: Hooks
) -> None:
    """While scripts spin in every worker, requests that need no sandbox are answered."""
    api = isolated_hooks.api
    app = new_app(api)
    email = api.create_user(connection=app.connection)["email"]
    isolated_hooks.action(UNGUARDED_RUNAWAY, name="spin-all")
    # Twice as many logins as workers: a worker that overran is replaced and the next waiting
    # login spins on its successor, so both stay busy however the logins are staggered.
    logins = [
        threading.Thread(target=post_token, args=(isolated, login_body(app, email)))
        for _ in range(2 * HOOK_WORKERS)
    ]
    for thread in logins:
        thread.start()
    try:
        wait_for(
            lambda: len(busy_workers(isolated.process.pid)) == HOOK_WORKERS,
            "a script spinning in every worker",
            20,
        )
        for _ in range(5):
            assert api.get("/api/v2/clients", per_page=1).status_code == 200
    finally:
        for thread in logins:
            thread.join(30)


# --- the workers go with the server, even killed with SIGKILL (a server of its own) -----------

LONG_LIMITS = {
    "SELFAUTH_HOOK_WORKERS": "2",
    # Far beyond the test's patience: only the server's death may stop the busy worker.
    "SELFAUTH_HOOK_SCRIPT_SECONDS": "120",
    "SELFAUTH_HOOK_TRIGGER_SECONDS": "120",
}


def test_sandbox_workers_exit_when_the_server_is_killed(tmp_path: Path) -> None:
    with serving("sqlite", tmp_path, LONG_LIMITS) as running:
        api = Api(running, running.admin_token())
        try:
            app = hook_app(api)
            Hooks(api).action(guarded(app.client_id, "  while (true) {}"))
            user = api.create_user(connection=app.connection)
        finally:
            api.http.close()
        workers = child_processes(running.process.pid)
        assert len(workers) == 2, workers
        idle = idle_workers(running.process.pid)

        def spin() -> None:
            with contextlib.suppress(httpx.HTTPError):  # the server is killed under it
                login(running, app, user["email"])

        spinner = threading.Thread(target=spin, daemon=True)
        spinner.start()
        try:
            # One worker runs the endless script, the other waits for work.
            assert eventually(lambda: spinning(idle), 60), "no worker ran the script"
            running.process.send_signal(signal.SIGKILL)
            running.process.wait()
            assert eventually(
                lambda: all(has_exited(pid, started) for pid, started in workers.items()), 10
            ), "a sandbox worker outlived the server"
        finally:
            for pid, started in workers.items():
                if not has_exited(pid, started):
                    os.kill(pid, signal.SIGKILL)
            spinner.join(30)


# --- what tenant code cannot reach, or leave behind (`sandboxed`) -----------------------------

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
    assert "Cannot find module 'fs'" in probe["require_fs"]
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


# --- an Action that tampers with the runtime cannot undo a later one (session's server) -------

# Each would change what the runtime of today reported about a later Action.
TAMPERING = """
  const stringify = JSON.stringify;
  JSON.stringify = function (value, ...rest) {
    if (value && typeof value === 'object' && 'denied' in value) {
      value = Object.assign({}, value, {denied: null, outcome: {ok: true}});
    }
    return stringify(value, ...rest);
  };
  JSON.parse = () => ({});
  Array.prototype.push = function () { return this.length; };
  Array.prototype.toJSON = function () { return []; };
  const then = Promise.prototype.then;
  Promise.prototype.then = function (ok, fail) { return then.call(this, ok, ok); };
  Object.defineProperty(Object.prototype, 'by', {set() {}, get() { return 'me'; },
    configurable: true});
"""


def test_an_action_that_tampers_with_intrinsics_cannot_undo_a_later_deny(
    server: RunningServer, api: Api, hooks: Hooks
) -> None:
    app = hook_app(api)
    hooks.action(guarded(app.client_id, "  api.user.setUserMetadata('first', 'ran');" + TAMPERING))
    hooks.action(
        guarded(
            app.client_id,
            """
  api.user.setAppMetadata('roles', ['blocked']);
  api.access.deny('No entry for this account');
""",
        )
    )
    user = api.create_user(connection=app.connection)
    response = login(server, app, user["email"], scope="openid")
    body = assert_oauth_error(response, 403, "access_denied")
    assert body["error_description"] == "No entry for this account"
    stored = api.user(user["user_id"])
    assert stored["user_metadata"] == {"first": "ran"}
    assert stored["app_metadata"] == {"roles": ["blocked"]}


def test_an_action_that_tampers_with_intrinsics_cannot_undo_a_later_rejection(
    server: RunningServer, api: Api, hooks: Hooks
) -> None:
    app = hook_app(api)
    hooks.action(guarded(app.client_id, TAMPERING))
    failing = hooks.action(
        guarded(app.client_id, "  await null; throw new Error('checks failed');")
    )
    user = api.create_user(connection=app.connection)
    body = assert_oauth_error(login(server, app, user["email"]), 403, "access_denied")
    assert failing["name"] in body["error_description"]
    assert "checks failed" in body["error_description"]


def test_an_action_that_tampers_with_intrinsics_cannot_change_a_later_ones_metadata(
    server: RunningServer, api: Api, hooks: Hooks
) -> None:
    app = hook_app(api)
    hooks.action(guarded(app.client_id, TAMPERING))
    hooks.action(
        guarded(
            app.client_id,
            """
  api.user.setAppMetadata('plan', {tier: 'gold', seats: [1, 2]});
  api.idToken.setCustomClaim('https://example.com/plan', 'gold');
""",
        )
    )
    user = api.create_user(connection=app.connection)
    issued = tokens(login(server, app, user["email"], scope="openid"))
    assert claims(issued["id_token"])["https://example.com/plan"] == "gold"
    assert api.user(user["user_id"])["app_metadata"] == {"plan": {"tier": "gold", "seats": [1, 2]}}
