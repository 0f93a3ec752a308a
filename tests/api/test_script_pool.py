"""Connection scripts have sandbox workers of their own: a custom database whose `login` script
waits on a stalled legacy store holds its worker (the request is out), and a login that runs a
Rule still goes through, on the Rules' and Actions' pool. One worker in each pool, so sharing
one pool would block the Rule's login until the store answered."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from tests.support.api import Api
from tests.support.hooks import guarded_rule, hook_app, hook_kit
from tests.support.server import RunningServer, serving
from tests.support.signin import GRANTS, App, claims, login, new_client, tokens

pytestmark = pytest.mark.sqlite_only

LOGIN_SCRIPT = """function login(email, password, callback) {
  request.post({ url: 'STORE/login', json: { email: email } }, function (err, response, body) {
    if (err) return callback(err);
    callback(null, { user_id: body.id, email: email });
  });
}"""


class _Stalled:
    """A legacy store whose login answers only when released."""

    def __init__(self) -> None:
        self.asked = threading.Event()
        self.release = threading.Event()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("content-length") or 0))
                outer.asked.set()
                outer.release.wait(30)
                body = b'{"id": "legacy-1"}'
                self.send_response(200)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.host = f"127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    env = {
        "SELFAUTH_HOOK_WORKERS": "1",
        "SELFAUTH_CONNECTION_SCRIPT_WORKERS": "1",
        "SELFAUTH_HOOK_SCRIPT_SECONDS": "20",
        "SELFAUTH_UPSTREAM_TIMEOUT_SECONDS": "20",
    }
    with serving("sqlite", tmp_path_factory.mktemp("script-pool"), env) as running:
        yield running


def test_a_stalled_connection_script_does_not_hold_up_rules(server: RunningServer) -> None:
    store = _Stalled()
    api = Api(server, server.admin_token())
    try:
        client = new_client(api, grant_types=GRANTS)
        created = api.post(
            "/api/v2/connections",
            {
                "name": "legacy-stalled",
                "strategy": "auth0",
                "enabled_clients": [client["client_id"]],
                "options": {
                    "enabledDatabaseCustomization": True,
                    "customScripts": {
                        "login": LOGIN_SCRIPT.replace("STORE", f"http://{store.host}")
                    },
                    "allowed_hosts": [store.host],
                },
            },
        )
        assert created.status_code == 201, created.text
        legacy = App(client["client_id"], client["client_secret"], "legacy-stalled", "")
        answers: list[Any] = []
        stalled = threading.Thread(
            target=lambda: answers.append(login(server, legacy, "ada@legacy.example", "pw"))
        )
        stalled.start()
        assert store.asked.wait(20), "the login script never asked the store"

        local = hook_app(api)
        user = api.create_user(connection=local.connection)
        with hook_kit(api) as kit:
            kit.rule(
                guarded_rule(
                    local.client_id,
                    "  context.idToken['https://ns.example.com/ruled'] = true;\n"
                    "  callback(null, user, context);",
                )
            )
            ruled = tokens(login(server, local, user["email"], scope="openid"))
        assert claims(ruled["id_token"])["https://ns.example.com/ruled"] is True
        assert stalled.is_alive(), "the store was released before the Rule's login finished"
        store.release.set()
        stalled.join(30)
        assert answers and answers[0].status_code == 200, answers
    finally:
        store.release.set()
        store.server.shutdown()
        api.http.close()
