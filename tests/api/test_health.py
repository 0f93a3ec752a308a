"""`/healthz` and `/readyz` on both databases: up and ready on a running server; not ready, with
the reason, when the sandbox's workers cannot answer (every one held by an endless script) or the
database's schema is not the one this code needs; ready again once they recover."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import httpx

from tests.support.api import Api
from tests.support.hooks import Hooks, hook_app
from tests.support.polling import wait_for
from tests.support.server import RunningServer, serving
from tests.support.signin import login


def test_up_and_ready(server: RunningServer) -> None:
    health = httpx.get(f"{server.base_url}/healthz")
    assert health.status_code == 200 and health.json() == {"status": "ok"}
    ready = httpx.get(f"{server.base_url}/readyz")
    assert ready.status_code == 200, ready.text
    body = ready.json()
    assert body["status"] == "ready"
    assert body["checks"]["database"]["ok"] and body["checks"]["sandbox"]["ok"]
    assert ready.headers["cache-control"] == "no-store"


def test_not_ready_while_every_sandbox_worker_is_held(tmp_path: Path) -> None:
    limits = {
        "SELFAUTH_HOOK_WORKERS": "1",
        "SELFAUTH_HOOK_SCRIPT_SECONDS": "4",
        "SELFAUTH_HOOK_TRIGGER_SECONDS": "5",
    }
    with serving("sqlite", tmp_path, limits) as running:
        api = Api(running, running.admin_token())
        try:
            app = hook_app(api)
            Hooks(api).action(
                "exports.onExecutePostLogin = async () => { while (true) {} };", name="spin"
            )
            user = api.create_user(connection=app.connection)
        finally:
            api.http.close()
        spinner = threading.Thread(target=login, args=(running, app, user["email"]))
        spinner.start()
        try:
            busy = wait_for(
                lambda: (
                    (r := httpx.get(f"{running.base_url}/readyz", timeout=10)).status_code == 503
                    and r
                ),
                "readyz saying not ready while the only worker spins",
                10,
            )
            checks = busy.json()["checks"]
            assert checks["database"]["ok"] and not checks["sandbox"]["ok"]
            assert "all busy" in checks["sandbox"]["detail"]
        finally:
            spinner.join(30)
        # The script timed out: the worker is replaced and the server is ready again.
        wait_for(
            lambda: httpx.get(f"{running.base_url}/readyz", timeout=10).status_code == 200,
            "readyz ready again",
            15,
        )


def test_not_ready_on_a_schema_it_does_not_know(tmp_path: Path) -> None:
    with serving("sqlite", tmp_path) as running:
        assert httpx.get(f"{running.base_url}/readyz").status_code == 200
        path = running.database_url.removeprefix("sqlite:///")
        with sqlite3.connect(path) as conn:
            conn.execute("UPDATE alembic_version SET version_num = '9999'")
        answer = httpx.get(f"{running.base_url}/readyz")
        assert answer.status_code == 503
        detail = answer.json()["checks"]["database"]["detail"]
        assert "schema at 9999" in detail
