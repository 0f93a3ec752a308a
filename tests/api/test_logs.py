"""Tenant logs (`/api/v2/logs`, `/logs/{id}`, `/users/{id}/logs`): each event type selfauth
writes, made by its real flow over HTTP and read back through the API with `q`; checkpoint
paging; the scopes; that no password, secret or token reaches `details`; and that a server
stopped right after a login has written its log. On every database."""

from __future__ import annotations

import json
import uuid
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from auth0.management import Logs

from tests.support.api import PASSWORD, Api, assert_error, unique_email, user_path
from tests.support.authorize import (
    code_client,
    code_from,
    exchange,
    flow,
    login_page,
    post_login,
    refresh,
    sign_in,
)
from tests.support.browser_client import browser_client
from tests.support.sdk import domain_of
from tests.support.server import RunningServer, backends, fresh_database, start, stop
from tests.support.signin import (
    BRUTE_FORCE_LIMIT,
    WRONG_PASSWORD,
    App,
    http,
    login,
    new_app,
    post_token,
    tokens,
)

SECRETS = ("Str0ng!Passw0rd", "Wr0ng!Passw0rd-never-logged")


@pytest.fixture(scope="module")
def app(api: Api) -> App:
    return new_app(api)


def found_logs(api: Api, q: str, **params: Any) -> list[dict[str, Any]]:
    response = api.get("/api/v2/logs", q=q, **params)
    assert response.status_code == 200, response.text
    logs: list[dict[str, Any]] = response.json()
    return logs


def one_log(api: Api, q: str) -> dict[str, Any]:
    logs = found_logs(api, q)
    assert len(logs) == 1, logs
    return logs[0]


def assert_no_secrets(log: dict[str, Any], *also: str) -> None:
    text = json.dumps(log)
    for secret in (*SECRETS, *also):
        assert secret not in text, log


def quoted(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


# --- the password grant --------------------------------------------------------------------


def test_password_grant_logs_sepft_and_fepft(server: RunningServer, api: Api, app: App) -> None:
    user = api.create_user(connection=app.connection)
    agent = "Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0"
    tokens(login(server, app, user["email"], headers={"user-agent": agent}))
    wrong = login(server, app, user["email"], SECRETS[1])
    assert wrong.status_code == 403

    uid = quoted(user["user_id"])
    success = one_log(api, f"type:sepft AND user_id:{uid}")
    assert success["client_id"] == app.client_id
    assert success["client_name"].startswith("client ")
    assert success["connection"] == app.connection
    assert success["connection_id"] == app.connection_id
    assert success["strategy"] == "auth0" and success["strategy_type"] == "database"
    assert success["user_name"] == user["email"]
    assert success["ip"] == "127.0.0.1"
    assert success["user_agent"] == "Firefox 121.0.0 / Linux 0.0.0"  # Auth0's summary
    assert success["description"] == "Success Exchange (Password for Access Token)"
    assert len(success["log_id"]) == 56 and success["log_id"].startswith("900")
    assert success["_id"] == success["log_id"]
    assert success["date"].endswith("Z")

    failure = one_log(api, f"type:fepft AND user_name:{quoted(user['email'])}")
    assert failure["client_id"] == app.client_id
    assert failure["details"]["error"]["message"] == "Wrong email or password."
    assert_no_secrets(failure, app.client_secret or "")
    assert_no_secrets(success, app.client_secret or "")


# --- the login page -------------------------------------------------------------------------


def test_login_page_logs_s_fp_and_fu(server: RunningServer, api: Api) -> None:
    client = code_client(api, "regular_web")
    connection = new_app(api).connection
    connection_id = api.get("/api/v2/connections", name=connection).json()[0]["id"]
    enabled = api.get(f"/api/v2/connections/{connection_id}").json()["enabled_clients"]
    api.patch(
        f"/api/v2/connections/{connection_id}", {"enabled_clients": [*enabled, client.client_id]}
    )
    user = api.create_user(connection=connection)
    stranger = unique_email("nobody")
    f = flow(client, connection)
    with browser_client(base_url=server.base_url, follow_redirects=False) as browser:
        assert post_login(browser, login_page(browser, f), user["email"], SECRETS[1]).status_code
        assert post_login(browser, login_page(browser, f), stranger, SECRETS[1]).status_code
        code_from(sign_in(browser, f, user["email"]), f)

    uid = quoted(user["user_id"])
    success = one_log(api, f"type:s AND user_id:{uid}")
    assert success["client_id"] == client.client_id
    assert success["connection"] == connection
    assert success["description"] == "Success Login"
    wrong = one_log(api, f"type:fp AND user_name:{quoted(user['email'])}")
    assert wrong["details"]["error"]["message"] == "Wrong email or password."
    assert wrong["connection"] == connection
    unknown = one_log(api, f"type:fu AND user_name:{quoted(stranger)}")
    assert unknown["client_id"] == client.client_id
    for log in (success, wrong, unknown):
        assert_no_secrets(log, client.secret or "")


# --- sign-ups -------------------------------------------------------------------------------


def test_signups_log_ss_and_fs(server: RunningServer, api: Api, app: App) -> None:
    email = unique_email("signup")
    body = {"client_id": app.client_id, "connection": app.connection, "password": PASSWORD}
    created = http(server.base_url).post("/dbconnections/signup", json={**body, "email": email})
    assert created.status_code == 200, created.text
    again = http(server.base_url).post("/dbconnections/signup", json={**body, "email": email})
    assert again.status_code == 400, again.text

    success = one_log(api, f"type:ss AND user_name:{quoted(email)}")
    assert success["client_id"] == app.client_id
    assert success["connection"] == app.connection
    assert success["user_id"].startswith("auth0|")
    failure = one_log(api, f"type:fs AND user_name:{quoted(email)}")
    assert failure["details"]["error"]["message"]
    assert failure["details"]["error"]["errorCode"]  # kept: not hidden as a "code"
    assert_no_secrets(success)
    assert_no_secrets(failure)


# --- token exchanges ------------------------------------------------------------------------


def test_client_credentials_log_seccft_and_feccft(server: RunningServer, api: Api) -> None:
    machine = api.post(
        "/api/v2/clients", {"name": f"m2m {uuid.uuid4().hex[:8]}", "app_type": "non_interactive"}
    ).json()
    granted = api.post(
        "/api/v2/client-grants",
        {"client_id": machine["client_id"], "audience": server.audience, "scope": ["read:users"]},
    )
    assert granted.status_code == 201, granted.text
    body = {
        "grant_type": "client_credentials",
        "client_id": machine["client_id"],
        "client_secret": machine["client_secret"],
    }
    assert post_token(server, {**body, "audience": server.audience}).status_code == 200
    refused = post_token(server, {**body, "audience": "https://nothing.example.com/"})
    assert refused.status_code in (400, 403), refused.text

    cid = quoted(machine["client_id"])
    success = one_log(api, f"type:seccft AND client_id:{cid}")
    assert success["audience"] == server.audience
    assert success["user_id"] is None
    failure = one_log(api, f"type:feccft AND client_id:{cid}")
    assert failure["details"]["error"]["message"]
    assert_no_secrets(success, machine["client_secret"])
    assert_no_secrets(failure, machine["client_secret"])


def test_code_and_refresh_exchanges_log_seacft_feacft_sertft_fertft(
    server: RunningServer, api: Api, app: App
) -> None:
    client = code_client(api, "regular_web")
    connection_id = app.connection_id
    enabled = api.get(f"/api/v2/connections/{connection_id}").json()["enabled_clients"]
    api.patch(
        f"/api/v2/connections/{connection_id}", {"enabled_clients": [*enabled, client.client_id]}
    )
    user = api.create_user(connection=app.connection)
    f = flow(client, app.connection)
    with browser_client(base_url=server.base_url, follow_redirects=False) as browser:
        code = code_from(sign_in(browser, f, user["email"]), f)
    issued = exchange(server, client, code, f)
    assert issued.status_code == 200, issued.text
    assert refresh(server, client, issued.json()["refresh_token"]).status_code == 200
    # A code works once (and its reuse ends what it gave: refreshed before).
    assert exchange(server, client, code, f).status_code == 403
    assert refresh(server, client, "not-a-refresh-token").status_code == 403

    uid, cid = quoted(user["user_id"]), quoted(client.client_id)
    assert one_log(api, f"type:seacft AND user_id:{uid}")["client_id"] == client.client_id
    assert one_log(api, f"type:sertft AND user_id:{uid}")["client_id"] == client.client_id
    failed_code = one_log(api, f"type:feacft AND client_id:{cid}")["details"]["error"]
    assert failed_code["message"] and failed_code["oauthError"] == "invalid_grant"
    failed_refresh = one_log(api, f"type:fertft AND client_id:{cid}")
    assert_no_secrets(failed_refresh, client.secret or "", issued.json()["refresh_token"])


# --- logout, blocks, password changes, deletions --------------------------------------------


def test_logout_logs_slo(server: RunningServer, api: Api, app: App) -> None:
    client = code_client(api, "regular_web")
    enabled = api.get(f"/api/v2/connections/{app.connection_id}").json()["enabled_clients"]
    api.patch(
        f"/api/v2/connections/{app.connection_id}",
        {"enabled_clients": [*enabled, client.client_id]},
    )
    user = api.create_user(connection=app.connection)
    f = flow(client, app.connection)
    with browser_client(base_url=server.base_url, follow_redirects=False) as browser:
        code_from(sign_in(browser, f, user["email"]), f)
        assert browser.get("/v2/logout", params={"client_id": client.client_id}).status_code
        browser.get("/v2/logout")  # no session left: nobody signed out, nothing logged
    log = one_log(api, f"type:slo AND user_id:{quoted(user['user_id'])}")
    assert log["client_id"] == client.client_id


def test_a_brute_force_block_logs_limit_wc(server: RunningServer, api: Api, app: App) -> None:
    user = api.create_user(connection=app.connection)
    for _ in range(BRUTE_FORCE_LIMIT):
        login(server, app, user["email"], WRONG_PASSWORD)
    assert login(server, app, user["email"]).status_code == 429
    block = one_log(api, f"type:limit_wc AND user_id:{quoted(user['user_id'])}")
    assert block["ip"] == "127.0.0.1"
    assert block["description"] == "Blocked Account"


def test_deleting_a_user_logs_sdu_and_sapi(server: RunningServer, api: Api) -> None:
    user = api.create_user()
    assert api.delete(user_path(user["user_id"])).status_code == 204
    uid = quoted(user["user_id"])
    deleted = one_log(api, f"type:sdu AND user_id:{uid}")
    assert deleted["client_id"] == server.client_id
    path = f"/api/v2/users/{user['user_id']}"  # as routed: decoded
    writes = [
        log
        for log in found_logs(api, "type:sapi", per_page=100)
        if log["details"]["request"]["path"] == path
    ]
    assert [log["details"]["request"]["method"] for log in writes] == ["delete"]
    assert writes[0]["details"]["response"]["statusCode"] == 204


def test_a_password_reset_logs_scp(server: RunningServer, api: Api) -> None:
    user = api.create_user()
    ticket = api.post("/api/v2/tickets/password-change", {"user_id": user["user_id"]})
    assert ticket.status_code == 201, ticket.text
    link = urlsplit(ticket.json()["ticket"])
    value = parse_qs(link.query)["ticket"][0]
    with browser_client(base_url=server.base_url, follow_redirects=False) as browser:
        page = browser.get("/u/reset-password", params={"ticket": value})
        assert page.status_code == 200, page.text
        from tests.support.authorize import form_to

        form = form_to(page, "/u/reset-password")
        fields = {i["name"]: i.get("value", "") for i in form.inputs if "name" in i}
        new_password = "N3w!Passw0rd-secret"
        fields |= {"password": new_password, "confirm": new_password}
        done = browser.post("/u/reset-password", data=fields)
        assert done.status_code in (200, 302), done.text
    log = one_log(api, f"type:scp AND user_id:{quoted(user['user_id'])}")
    assert_no_secrets(log, new_password)


# --- Management API writes ------------------------------------------------------------------


def test_management_writes_log_sapi_without_secrets(server: RunningServer, api: Api) -> None:
    name = f"audited {uuid.uuid4().hex[:8]}"
    created = api.post("/api/v2/clients", {"name": name, "app_type": "non_interactive"})
    assert created.status_code == 201
    secret = created.json()["client_secret"]
    user = api.create_user()
    refused = api.post("/api/v2/users", {"connection": "nope", "email": unique_email()})
    assert refused.status_code == 400

    writes = found_logs(api, "type:sapi", per_page=100)
    [client_write] = [
        log for log in writes if (log["details"]["request"]["body"] or {}).get("name") == name
    ]
    request, response = client_write["details"]["request"], client_write["details"]["response"]
    assert request["method"] == "post" and request["path"] == "/api/v2/clients"
    assert response["statusCode"] == 201
    assert response["body"]["client_id"] == created.json()["client_id"]
    assert response["body"]["client_secret"] == "[hidden]"
    assert client_write["client_id"] == server.client_id
    assert "authorization" not in json.dumps(request).lower()
    assert_no_secrets(client_write, secret, api.server.admin_token())

    [user_write] = [
        log
        for log in writes
        if (log["details"]["request"]["body"] or {}).get("email") == user["email"]
    ]
    assert user_write["details"]["request"]["body"]["password"] == "[hidden]"
    assert_no_secrets(user_write, api.server.admin_token())
    failed = found_logs(api, "type:fapi", per_page=100)
    assert any(log["details"]["response"]["statusCode"] == 400 for log in failed)


def test_management_writes_keep_no_write_only_setting(api: Api) -> None:
    """A rules config's value, a custom database's configuration and a log stream's
    authorization header are write-only in the API: the sapi log keeps none of them."""
    key = f"audit_{uuid.uuid4().hex[:8]}"
    value, config_secret, header = (f"s3cret-{uuid.uuid4().hex}" for _ in range(3))
    assert api.http.put(f"/api/v2/rules-configs/{key}", json={"value": value}).status_code == 200
    database = api.post(
        "/api/v2/connections",
        {
            "name": f"audited-{uuid.uuid4().hex[:8]}",
            "strategy": "auth0",
            "options": {"configuration": {"API_KEY": config_secret}},
        },
    )
    assert database.status_code == 201, database.text
    stream = api.post(
        "/api/v2/log-streams",
        {
            "name": f"audited {uuid.uuid4().hex[:8]}",
            "type": "http",
            "sink": {
                "httpEndpoint": "https://logs.example.com/in",
                "httpContentType": "application/json",
                "httpContentFormat": "JSONLINES",
                "httpAuthorization": header,
            },
        },
    )
    assert stream.status_code in (200, 201), stream.text
    writes = found_logs(api, "type:sapi", per_page=100)
    text = json.dumps(writes)
    for secret in (value, config_secret, header):
        assert secret not in text


# --- reading: q, paging, sort, fields, one log, a user's logs --------------------------------


def test_q_paging_sort_fields_and_totals(server: RunningServer, api: Api, app: App) -> None:
    # No verification mail (its `svr` would be one more of the user's logs).
    user = api.create_user(connection=app.connection, verify_email=False)
    for _ in range(3):
        tokens(login(server, app, user["email"]))
    q = f"type:sepft AND user_id:{quoted(user['user_id'])}"
    newest_first = found_logs(api, q)
    assert len(newest_first) == 3
    assert [log["date"] for log in newest_first] == sorted(
        (log["date"] for log in newest_first), reverse=True
    )
    oldest_first = found_logs(api, q, sort="date:1")
    assert [log["log_id"] for log in oldest_first] == [
        log["log_id"] for log in reversed(newest_first)
    ]
    page = api.get("/api/v2/logs", q=q, per_page=2, page=1, include_totals="true").json()
    assert page["total"] == 3 and page["start"] == 2 and page["limit"] == 2
    assert page["length"] == 1 and len(page["logs"]) == 1
    picked = found_logs(api, q, fields="log_id,type", include_fields="true")
    assert all(set(log) == {"log_id", "type"} for log in picked)
    wildcard = found_logs(api, f"type:sep* AND user_name:{quoted(user['email'])}")
    assert len(wildcard) == 3
    today = newest_first[0]["date"][:10]
    ranged = found_logs(api, f"{q} AND date:[{today} TO *]")
    assert len(ranged) == 3
    assert found_logs(api, f"{q} AND date:[2000-01-01 TO 2000-12-31]") == []

    unknown = api.get("/api/v2/logs", q="password:x")
    assert_error(unknown, 400)
    assert "unknown field" in unknown.json()["message"]
    assert_error(api.get("/api/v2/logs", per_page=101), 400)
    assert_error(api.get("/api/v2/logs", sort="type:1"), 400)

    one = api.get(f"/api/v2/logs/{newest_first[0]['log_id']}")
    assert one.status_code == 200 and one.json() == newest_first[0]
    assert_error(api.get("/api/v2/logs/900" + "0" * 53), 404)

    mine = api.get(f"{user_path(user['user_id'])}/logs", per_page=2, include_totals="true")
    assert mine.status_code == 200, mine.text
    body = mine.json()
    assert body["total"] == 3 and len(body["logs"]) == 2
    assert all(log["user_id"] == user["user_id"] for log in body["logs"])
    everything = api.get(f"{user_path(user['user_id'])}/logs", sort="date:1").json()
    assert [log["log_id"] for log in everything] == [log["log_id"] for log in oldest_first]


def test_checkpoint_paging_follows_log_ids(server: RunningServer, api: Api, app: App) -> None:
    user = api.create_user(connection=app.connection)
    tokens(login(server, app, user["email"]))
    [start_at] = found_logs(api, f"type:sepft AND user_id:{quoted(user['user_id'])}")
    for _ in range(3):
        tokens(login(server, app, user["email"]))
    seen: list[dict[str, Any]] = []
    checkpoint = start_at["log_id"]
    while True:
        response = api.get("/api/v2/logs", **{"from": checkpoint, "take": 2, "q": "type:nothing"})
        assert response.status_code == 200, response.text
        link = response.headers["link"]
        assert link.endswith('; rel="next"')
        following = parse_qs(urlsplit(link[1 : link.index(">")]).query)
        batch = response.json()
        if not batch:
            assert following["from"] == [checkpoint]  # nothing newer: the same call again
            break
        assert len(batch) <= 2
        seen.extend(batch)
        checkpoint = batch[-1]["log_id"]
        assert following["from"] == [checkpoint] and following["take"] == ["2"]
    ids = [log["log_id"] for log in seen]
    assert ids == sorted(ids) and all(i > start_at["log_id"] for i in ids)
    mine = [log for log in seen if log["user_id"] == user["user_id"]]
    assert [log["type"] for log in mine] == ["sepft"] * 3


def test_scopes(server: RunningServer, api: Api, app: App) -> None:
    user = api.create_user(connection=app.connection)
    tokens(login(server, app, user["email"]))
    for scope in ("read:logs", "read:logs_users"):
        reader = api.with_scopes(scope)
        try:
            assert reader.get("/api/v2/logs").status_code == 200
            assert reader.get(f"{user_path(user['user_id'])}/logs").status_code == 200
        finally:
            reader.http.close()
    other = api.with_scopes("read:users")
    try:
        assert_error(other.get("/api/v2/logs"), 403)
        assert_error(other.get(f"{user_path(user['user_id'])}/logs"), 403)
        assert_error(other.get("/api/v2/logs/900" + "0" * 53), 403)
    finally:
        other.http.close()
    assert_error(httpx.get(f"{server.base_url}/api/v2/logs"), 401)


# --- auth0-python ---------------------------------------------------------------------------


def test_auth0_python_logs(server: RunningServer, api: Api, app: App) -> None:
    user = api.create_user(connection=app.connection)
    tokens(login(server, app, user["email"]))
    logs = Logs(domain_of(server), server.admin_token(), protocol="http")
    q = f"type:sepft AND user_id:{quoted(user['user_id'])}"
    found = logs.search(q=q, per_page=10)
    assert found["total"] == 1 and found["logs"][0]["user_id"] == user["user_id"]
    log_id = found["logs"][0]["log_id"]
    assert logs.get(log_id)["type"] == "sepft"
    tokens(login(server, app, user["email"]))
    newer = logs.search(from_param=log_id, take=100)
    assert any(log["user_id"] == user["user_id"] for log in newer)
    assert all(log["log_id"] > log_id for log in newer)


# --- the writer's shutdown flush ------------------------------------------------------------


@pytest.mark.parametrize("backend", backends())
def test_a_server_stopped_right_after_a_login_has_its_log(
    backend: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """The writer waits an hour between batches here, so only the graceful stop's flush
    can have written the login's event: a server started again on the database lists it."""
    directory = tmp_path_factory.mktemp(f"logs-flush-{backend}")
    slow = {"SELFAUTH_LOG_FLUSH_SECONDS": "3600"}
    with fresh_database(backend, directory) as url:
        first = start(url, directory / "first.log", backend, extra_env=slow)
        try:
            api = Api(first, first.admin_token())
            app = new_app(api)
            user = api.create_user(connection=app.connection)
            tokens(login(first, app, user["email"]))
            api.http.close()
        finally:
            stop(first)
        assert "Application shutdown complete" in first.log()  # a graceful stop (SIGTERM)
        second = start(url, directory / "second.log", backend, extra_env=slow)
        try:
            again = Api(second, second.admin_token())
            found = found_logs(again, f"type:sepft AND user_id:{quoted(user['user_id'])}")
            assert len(found) == 1
            again.http.close()
        finally:
            stop(second)


def test_a_nul_in_a_request_holds_back_no_log(api: Api) -> None:
    """A body with an escaped NUL (refused by the API, logged as fapi) is stored without it:
    PostgreSQL refuses NUL in text and JSONB, and one such event must not block the queue."""
    marker = uuid.uuid4().hex
    refused = api.http.post(
        "/api/v2/users",
        content=f'{{"connection": "nope", "email": "{marker}\\u0000@example.com"}}',
        headers={"content-type": "application/json"},
    )
    assert refused.status_code == 400
    after = api.create_user()
    failed = found_logs(api, "type:fapi", per_page=100)
    [event] = [log for log in failed if marker in json.dumps(log)]
    assert "\x00" not in json.dumps(event["details"], ensure_ascii=False)
    written = found_logs(api, "type:sapi", per_page=100)
    assert any(
        (log["details"]["request"]["body"] or {}).get("email") == after["email"] for log in written
    )
