"""Tenant code runs in worker processes: killing them mid-login fails that login with a clear
error, and the server, and every other login, carry on."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.api import PASSWORD, Api, unique_email
from tests.support.hooks import Hooks, admin_hooks, throwaway_server
from tests.support.server import RunningServer
from tests.support.signin import App, assert_oauth_error, login_body, new_app, post_token

RUNAWAY = "exports.onExecutePostLogin = async (event, api) => { while (true) {} };"


isolated = throwaway_server(
    "isolation", {"SELFAUTH_HOOK_SCRIPT_SECONDS": "3", "SELFAUTH_HOOK_TRIGGER_SECONDS": "4"}
)


@pytest.fixture
def isolated_hooks(isolated: RunningServer) -> Iterator[Hooks]:
    """A `Hooks` kit on the administrator's `Api` (`isolated_hooks.api`) on `isolated`."""
    with admin_hooks(isolated) as kit:
        yield kit


def worker_pids(server: RunningServer) -> list[int]:
    """The server's child processes: its sandbox workers."""
    pid = server.process.pid
    children: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        text = (task / "children").read_text().split()
        children.extend(int(child) for child in text)
    return children


def user_of(api: Api, app: App) -> str:
    email = unique_email("iso")
    created = api.post(
        "/api/v2/users", {"connection": app.connection, "email": email, "password": PASSWORD}
    )
    assert created.status_code == 201, created.text
    return email


def test_killing_the_sandbox_mid_login_fails_only_that_login(
    isolated: RunningServer, isolated_hooks: Hooks
) -> None:
    api = isolated_hooks.api
    victim, bystander = new_app(api), new_app(api)
    victim_email, bystander_email = user_of(api, victim), user_of(api, bystander)
    # The runaway loop only for the victim's client; everyone else passes straight through.
    guard = f"if (event.client.client_id !== '{victim.client_id}') return; while (true) {{}}"
    code = f"exports.onExecutePostLogin = async (event, api) => {{ {guard} }};"
    isolated_hooks.action(code, name="runaway")

    outcome: dict[str, Any] = {}

    def victim_login() -> None:
        outcome["response"] = post_token(isolated, login_body(victim, victim_email))

    thread = threading.Thread(target=victim_login)
    thread.start()
    time.sleep(1.0)  # the victim's script is spinning in a worker now
    for pid in worker_pids(isolated):
        os.kill(pid, signal.SIGKILL)
    # While the victim's login is being retried and timed out, others sign in.
    for _ in range(3):
        assert post_token(isolated, login_body(bystander, bystander_email)).status_code == 200
    thread.join(30)
    body = assert_oauth_error(outcome["response"], 403, "access_denied")
    assert "runaway" in body["error_description"]
    assert isolated.process.poll() is None, "the server must survive its sandbox"
    assert post_token(isolated, login_body(bystander, bystander_email)).status_code == 200
    assert len(worker_pids(isolated)) >= 1


def test_an_unstoppable_script_does_not_hold_the_event_loop(
    isolated: RunningServer, isolated_hooks: Hooks
) -> None:
    """While scripts spin in every worker, requests that need no sandbox are answered."""
    api = isolated_hooks.api
    app = new_app(api)
    email = user_of(api, app)
    isolated_hooks.action(RUNAWAY, name="spin-all")
    spinning = [
        threading.Thread(target=post_token, args=(isolated, login_body(app, email)))
        for _ in range(3)
    ]
    for thread in spinning:
        thread.start()
    time.sleep(0.5)
    try:
        for _ in range(5):
            assert api.get("/api/v2/clients", per_page=1).status_code == 200
    finally:
        for thread in spinning:
            thread.join(30)
