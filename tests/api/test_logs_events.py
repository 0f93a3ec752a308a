"""Tenant log events beyond the first set (tests/api/test_logs.py), each made by its real flow
over HTTP and read back through `GET /api/v2/logs?q=type:...`: on every database."""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.support.admin import csrf_of, new_admin, signed_in_client
from tests.support.api import DB, PASSWORD, Api, unique_email, user_path
from tests.support.authorize import (
    CALLBACK,
    authorize,
    code_client,
    code_from,
    flow,
    redirected,
    sign_in,
)
from tests.support.browser_client import browser_client
from tests.support.server import RunningServer
from tests.support.signin import (
    GRANTS,
    REALM_GRANT,
    WRONG_PASSWORD,
    App,
    enable,
    login,
    new_app,
    new_client,
    new_connection,
    post_token,
    tokens,
)


def quoted(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def found_logs(api: Api, q: str) -> list[dict[str, Any]]:
    response = api.get("/api/v2/logs", q=q, per_page=100)
    assert response.status_code == 200, response.text
    logs: list[dict[str, Any]] = response.json()
    return logs


def one_log(api: Api, q: str) -> dict[str, Any]:
    logs = found_logs(api, q)
    assert len(logs) == 1, logs
    return logs[0]


# --- the token endpoint: a client that fails to authenticate ---------------------------------


def test_a_wrong_client_secret_logs_the_grants_failure(server: RunningServer, api: Api) -> None:
    machine = new_client(api, app_type="non_interactive")
    wrong = "not-the-secret-" + uuid.uuid4().hex
    refused = post_token(
        server,
        {
            "grant_type": "client_credentials",
            "client_id": machine["client_id"],
            "client_secret": wrong,
            "audience": server.audience,
        },
    )
    assert refused.status_code == 401, refused.text
    app = new_app(api)
    user = api.create_user(connection=app.connection)
    wrong_app = App(app.client_id, wrong, app.connection)
    assert login(server, wrong_app, user["email"]).status_code == 401

    failed = one_log(api, f"type:feccft AND client_id:{quoted(machine['client_id'])}")
    assert failed["details"]["error"] == {
        "message": "Client authentication failed.",
        "oauthError": "invalid_client",
    }
    assert failed["ip"] == "127.0.0.1"
    password = one_log(api, f"type:fepft AND client_id:{quoted(app.client_id)}")
    assert password["details"]["error"]["oauthError"] == "invalid_client"
    for log in (failed, password):
        assert wrong not in json.dumps(log) and PASSWORD not in json.dumps(log)


# --- deletions -------------------------------------------------------------------------------

_STATIC_LOGIN = """function login(email, password, callback) {
  callback(null, { user_id: email.split('@')[0], email: email });
}"""
_FAILING_DELETE = """function remove(id, callback) {
  callback(new Error('the legacy store is read-only'));
}"""


def test_a_failing_delete_script_logs_fdu(server: RunningServer, api: Api) -> None:
    client = new_client(api, grant_types=GRANTS)
    connection = api.post(
        "/api/v2/connections",
        {
            "name": f"legacy-{uuid.uuid4().hex[:12]}",
            "strategy": "auth0",
            "enabled_clients": [client["client_id"]],
            "options": {
                "enabledDatabaseCustomization": True,
                "customScripts": {"login": _STATIC_LOGIN, "delete": _FAILING_DELETE},
            },
        },
    )
    assert connection.status_code == 201, connection.text
    app = App(client["client_id"], client["client_secret"], connection.json()["name"])
    email = f"legacy{uuid.uuid4().hex[:10]}@example.com"
    tokens(login(server, app, email))
    user_id = f"auth0|{email.split('@')[0]}"
    refused = api.delete(user_path(user_id))
    assert refused.status_code == 400, refused.text
    assert api.get(user_path(user_id)).status_code == 200  # still there

    failed = one_log(api, f"type:fdu AND user_id:{quoted(user_id)}")
    assert failed["description"] == "Failed user deletion"
    assert "read-only" in failed["details"]["error"]["message"]
    assert failed["client_id"] == server.client_id
    assert found_logs(api, f"type:sdu AND user_id:{quoted(user_id)}") == []


# --- silent authentication and logout --------------------------------------------------------


def test_prompt_none_logs_fsa_without_a_session_and_ssa_with_one(
    server: RunningServer, api: Api
) -> None:
    client = code_client(api, "regular_web")
    enable(api, api.get("/api/v2/connections", name=DB).json()[0]["id"], client.client_id)
    user = api.create_user()
    with browser_client(base_url=server.base_url, follow_redirects=False) as browser:
        silent = flow(client, None, prompt="none")
        assert redirected(authorize(browser, silent))["error"] == "login_required"
        signing_in = flow(client, DB)
        code_from(sign_in(browser, signing_in, user["email"]), signing_in)
        again = flow(client, None, prompt="none")
        assert code_from(authorize(browser, again), again)
        # Not silent: answered from the session without a silent-auth log.
        plain = flow(client, None)
        assert code_from(authorize(browser, plain), plain)

    cid = quoted(client.client_id)
    failed = one_log(api, f"type:fsa AND client_id:{cid}")
    assert failed["description"] == "Failed Silent Auth"
    assert failed["details"]["error"]["message"] == "Login required"
    assert failed["user_id"] is None
    success = one_log(api, f"type:ssa AND client_id:{cid}")
    assert success["user_id"] == user["user_id"]
    assert success["description"] == "Success Silent Auth"


def test_a_logout_to_an_address_not_allowed_logs_flo(server: RunningServer, api: Api) -> None:
    client = code_client(api, "regular_web")
    with browser_client(base_url=server.base_url, follow_redirects=False) as browser:
        refused = browser.get(
            "/v2/logout",
            params={"client_id": client.client_id, "returnTo": "https://evil.example.net/"},
        )
        assert refused.status_code == 400
    failed = one_log(api, f"type:flo AND client_id:{quoted(client.client_id)}")
    assert failed["description"] == "User logout failed"
    assert failed["details"]["error"]["message"]
    assert found_logs(api, f"type:slo AND client_id:{quoted(client.client_id)}") == []


# --- cross-origin authentication ------------------------------------------------------------

APP_ORIGIN = "https://app.example.com"
STRANGER = "https://stranger.invalid"  # registered by no client


def test_cross_origin_authentication_logs_scoa_fcoa_and_fco(
    server: RunningServer, api: Api
) -> None:
    client = code_client(api, "spa", web_origins=[APP_ORIGIN], cross_origin_authentication=True)
    connection = new_connection(api, client.client_id)["name"]
    user = api.create_user(connection=connection)

    def co(password: str, origin: str) -> int:
        body = {
            "client_id": client.client_id,
            "username": user["email"],
            "password": password,
            "realm": connection,
            "credential_type": REALM_GRANT,
        }
        # A browser of its own: the answer sets the cookie binding the ticket to it.
        with browser_client(base_url=server.base_url) as browser:
            answer = browser.post("/co/authenticate", json=body, headers={"Origin": origin})
        return answer.status_code

    assert co(PASSWORD, APP_ORIGIN) == 200
    assert co(WRONG_PASSWORD, APP_ORIGIN) == 403
    assert co(PASSWORD, STRANGER) == 403

    cid = quoted(client.client_id)
    success = one_log(api, f"type:scoa AND client_id:{cid}")
    assert success["user_id"] == user["user_id"]
    assert success["connection"] == connection
    failed = one_log(api, f"type:fcoa AND client_id:{cid}")
    assert failed["user_name"] == user["email"]
    assert failed["details"]["error"]["message"] == "Wrong email or password."
    refused = one_log(api, f"type:fco AND client_id:{cid}")
    assert STRANGER in refused["details"]["error"]["message"]
    for log in (success, failed, refused):
        assert PASSWORD not in json.dumps(log) and WRONG_PASSWORD not in json.dumps(log)


# --- upstream sign-ins ----------------------------------------------------------------------


class _TokenEndpoint(BaseHTTPRequestHandler):
    """An upstream OAuth2 provider's token endpoint: any code is worth an access token."""

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("content-length", "0")))
        body = json.dumps({"access_token": "upstream-access", "token_type": "Bearer"}).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        return None


@pytest.fixture(scope="module")
def token_endpoint() -> Iterator[str]:
    upstream = ThreadingHTTPServer(("127.0.0.1", 0), _TokenEndpoint)
    thread = threading.Thread(target=upstream.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{upstream.server_address[1]}/token"
    upstream.shutdown()
    upstream.server_close()


_PROFILE = """function fetchUserProfile(accessToken, context, callback) {
  callback(null, { user_id: 'bob', email: 'bob@upstream.example', name: 'Bob' });
}"""


def test_upstream_sign_ins_log_s_and_f_with_their_connection(
    server: RunningServer, api: Api, token_endpoint: str
) -> None:
    client = code_client(api, "regular_web")
    name = f"upstream-{uuid.uuid4().hex[:10]}"
    created = api.post(
        "/api/v2/connections",
        {
            "name": name,
            "strategy": "oauth2",
            "enabled_clients": [client.client_id],
            "options": {
                "authorizationURL": "https://upstream.invalid/authorize",
                "tokenURL": token_endpoint,
                "client_id": "selfauth",
                "client_secret": "upstream-secret-0123456789",
                "scripts": {"fetchUserProfile": _PROFILE},
            },
        },
    )
    assert created.status_code == 201, created.text
    with browser_client(base_url=server.base_url, follow_redirects=False) as browser:
        for answer in ({"error": "access_denied"}, {"code": "upstream-code"}):
            f = flow(client, name)
            start = authorize(browser, f)
            assert start.status_code == 302, start.text
            state = parse_qs(urlsplit(start.headers["location"]).query)["state"][0]
            back = browser.get("/login/callback", params={"state": state, **answer})
            params = redirected(back, CALLBACK)
            assert ("error" in params) == ("error" in answer), params

    failed = one_log(api, f"type:f AND connection:{quoted(name)}")
    assert failed["client_id"] == client.client_id
    assert failed["strategy"] == "oauth2" and failed["strategy_type"] == "social"
    assert failed["details"]["error"]["oauthError"] == "access_denied"
    success = one_log(api, f"type:s AND connection:{quoted(name)}")
    assert success["user_id"] == f"oauth2|{name}|bob"
    assert success["connection_id"] == created.json()["id"]
    assert success["user_name"] == "bob@upstream.example"


# --- the dashboard's writes -----------------------------------------------------------------


def test_dashboard_writes_log_sapi_and_fapi_with_the_administrator(
    server: RunningServer, api: Api
) -> None:
    person = new_admin(server, api)
    secret = f"s3cret-{uuid.uuid4().hex}"
    key = f"dash_{uuid.uuid4().hex[:8]}"
    email = unique_email("dashboard")
    browser = signed_in_client(server, person)  # shared by the tests: not closed here
    firefox = {"user-agent": "Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Firefox/121.0"}
    csrf = csrf_of(browser.get("/admin/rules"))
    saved = browser.post(
        "/admin/rules-configs",
        data={"csrf": csrf, "key": key, "value": secret},
        headers=firefox,
    )
    assert saved.status_code == 303, saved.text
    bad = browser.post("/admin/rules-configs", data={"csrf": csrf, "key": "no spaces!"})
    assert bad.status_code == 400
    made = browser.post(
        "/admin/users/new",
        data={"csrf": csrf, "connection": DB, "email": email, "password": PASSWORD},
    )
    assert made.status_code == 303, made.text
    [created] = api.get("/api/v2/users-by-email", email=email).json()
    deleted = browser.post(
        f"/admin/users/{created['user_id']}", params={"do": "delete"}, data={"csrf": csrf}
    )
    assert deleted.status_code == 303, deleted.text
    assert browser.post("/admin/logout", data={"csrf": csrf}).status_code == 303

    mine = found_logs(api, f"type:sapi AND user_id:{quoted(person.user_id)}")
    by_path = {log["details"]["request"]["path"]: log for log in mine}
    deletion = f"/admin/users/{created['user_id']}"
    assert set(by_path) == {"/admin/rules-configs", "/admin/users/new", deletion}  # no sign-out
    assert by_path[deletion]["details"]["request"]["query"] == "do=delete"
    config = by_path["/admin/rules-configs"]
    assert config["user_name"] == person.email
    assert config["user_agent"] == "Firefox 121.0.0 / Linux 0.0.0"
    assert config["details"]["request"]["method"] == "post"
    assert config["details"]["request"]["body"] == {"key": key, "value": "[hidden]"}
    assert config["details"]["response"]["statusCode"] == 303
    assert config["details"]["response"]["location"].startswith("/admin/rules")
    user = by_path["/admin/users/new"]
    assert user["details"]["request"]["body"]["email"] == email
    assert user["details"]["request"]["body"]["password"] == "[hidden]"
    for log in mine:
        assert secret not in json.dumps(log) and PASSWORD not in json.dumps(log)
        assert csrf not in json.dumps(log)
    [refused] = found_logs(api, f"type:fapi AND user_id:{quoted(person.user_id)}")
    assert refused["details"]["response"]["statusCode"] == 400
    gone = one_log(api, f"type:sdu AND user_id:{quoted(created['user_id'])}")
    assert gone["user_name"] == email


# --- what an event may hold -----------------------------------------------------------------


def test_an_overlong_host_header_is_cut_to_the_hostname_column(
    server: RunningServer, api: Api
) -> None:
    """PostgreSQL refuses a value longer than its column: the event would be dropped."""
    app = new_app(api)
    user = api.create_user(connection=app.connection)
    host = "h" * 300 + ".example.com"
    tokens(login(server, app, user["email"], headers={"host": host}))
    logged = one_log(api, f"type:sepft AND user_id:{quoted(user['user_id'])}")
    assert logged["hostname"] == host[:255]


def test_an_overlong_user_id_in_a_deletion_is_logged_cut_to_its_column(api: Api) -> None:
    """Deleting a user that is not there answers 204 and logs `sdu` (as Auth0); an id longer
    than the column is cut rather than the event dropped."""
    user_id = "auth0|" + "x" * 400
    assert api.delete(user_path(user_id)).status_code == 204
    logged = one_log(api, f"type:sdu AND user_id:{quoted(user_id[:300])}")
    assert logged["user_id"] == user_id[:300]
