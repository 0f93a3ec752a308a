"""Hooks hold up against hostile tenant code and a hostile end of the server:

- an Action that replaces JavaScript intrinsics (JSON.stringify, Array.prototype.push,
  Promise.prototype.then, toJSON on Object.prototype, ...) cannot undo what a later Action
  asks for: its deny, its metadata, its claims;
- the sandbox workers exit when the server is killed with SIGKILL, even one busy with a script.

The Actions act only for the client their test created (`guarded`)."""

from __future__ import annotations

import contextlib
import os
import signal
import threading
from pathlib import Path

import httpx

from tests.support.api import Api
from tests.support.hooks import (
    Hooks,
    child_processes,
    cpu_ticks,
    guarded,
    has_exited,
    hook_app,
)
from tests.support.hooks import hooks as hooks
from tests.support.polling import eventually
from tests.support.server import RunningServer, serving
from tests.support.signin import assert_oauth_error, claims, login, tokens

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


# --- the workers die with the server -----------------------------------------------------------

RUNAWAY = "  while (true) {}"
LONG_LIMITS = {
    "SELFAUTH_HOOK_WORKERS": "2",
    # Far beyond the test's patience: only the server's death may stop the busy worker.
    "SELFAUTH_HOOK_SCRIPT_SECONDS": "120",
    "SELFAUTH_HOOK_TRIGGER_SECONDS": "120",
}
SPIN_TICKS = 30  # 0.3 s of CPU at the usual 100 ticks a second: a script is running


def test_sandbox_workers_exit_when_the_server_is_killed(tmp_path: Path) -> None:
    with serving("sqlite", tmp_path, LONG_LIMITS) as running:
        api = Api(running, running.admin_token())
        try:
            app = hook_app(api)
            Hooks(api).action(guarded(app.client_id, RUNAWAY))
            user = api.create_user(connection=app.connection)
        finally:
            api.http.close()
        workers = child_processes(running.process.pid)
        assert len(workers) == 2, workers
        idle_ticks = {pid: cpu_ticks(pid) for pid in workers}

        def spin() -> None:
            with contextlib.suppress(httpx.HTTPError):  # the server is killed under it
                login(running, app, user["email"])

        spinning = threading.Thread(target=spin, daemon=True)
        spinning.start()
        try:
            # One worker runs the endless script, the other waits for work.
            assert eventually(
                lambda: any(cpu_ticks(pid) - idle_ticks[pid] >= SPIN_TICKS for pid in workers),
                60,
            ), "no worker ran the script"
            running.process.send_signal(signal.SIGKILL)
            running.process.wait()
            assert eventually(
                lambda: all(has_exited(pid, started) for pid, started in workers.items()), 10
            ), "a sandbox worker outlived the server"
        finally:
            for pid, started in workers.items():
                if not has_exited(pid, started):
                    os.kill(pid, signal.SIGKILL)
            spinning.join(30)
