"""Several server processes on one database: `selfauth serve --workers 2` serves concurrent
writers without losing one or answering 5xx and sums its workers' metrics, and a change made
through one node (a second `selfauth serve` on another port, same database) is acted on by
the other within the change versions' poll (docs/deployment.md): signing keys rotated and
revoked, a client's web origins, the tenant's default language; a login on one node
refreshes on the other until revoked there."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

import httpx
import jwt
import pytest

from tests.support.api import PASSWORD, Api, patch_keys_at_once
from tests.support.authorize import code_client, flow
from tests.support.server import (
    ADMIN_ID,
    ADMIN_SECRET,
    RunningServer,
    backends,
    client_token,
    free_port,
    fresh_database,
    serving,
    start,
    stop,
)
from tests.support.signin import (
    assert_oauth_error,
    claims,
    login,
    new_app,
    post_token,
    tokens,
)

POLL = "0.2"  # SELFAUTH_CHANGES_POLL_SECONDS on these servers
WITHIN = 10.0  # seconds a change may take to show elsewhere here: the poll, on a busy machine
T = TypeVar("T")


def eventually(probe: Callable[[], T], done: Callable[[T], bool]) -> T:
    """`probe()` until `done` holds of its result, for up to WITHIN seconds; the last result."""
    deadline = time.monotonic() + WITHIN
    while True:
        found = probe()
        if done(found) or time.monotonic() > deadline:
            return found
        time.sleep(0.1)


def admin_api(server: RunningServer) -> Api:
    return Api(server, client_token(server, ADMIN_ID, ADMIN_SECRET))


# --- two workers on one port ---------------------------------------------------------------


@pytest.mark.parametrize("backend", backends())
def test_two_workers_lose_no_concurrent_write(backend: str, tmp_path: Path) -> None:
    with serving(backend, tmp_path, {"SELFAUTH_WORKERS": "2"}) as server:
        api = admin_api(server)
        user = api.create_user()
        statuses = [r.status_code for r in patch_keys_at_once(api, user["user_id"], 50)]
        assert statuses == [200] * 50
        assert api.user(user["user_id"])["user_metadata"] == {f"key{i}": i for i in range(50)}
        log = server.log()
        assert log.count("Application startup complete") == 2  # both workers served
        assert "unhandled error" not in log


def _tokens_issued(server: RunningServer) -> float:
    """selfauth_tokens_issued_total for client credentials, as one scrape (on a connection of
    its own, so any worker may answer) reports it."""
    text = httpx.get(f"{server.base_url}/metrics", timeout=10).text
    prefix = 'selfauth_tokens_issued_total{grant_type="client_credentials"}'
    found = [line for line in text.splitlines() if line.startswith(prefix)]
    return float(found[0].rsplit(" ", 1)[1]) if found else 0.0  # none issued yet


def test_metrics_of_two_workers_are_summed_whichever_answers(tmp_path: Path) -> None:
    with serving("sqlite", tmp_path, {"SELFAUTH_WORKERS": "2"}) as server:
        before = _tokens_issued(server)
        for _ in range(40):  # each on a new connection: the workers share them out
            client_token(server, ADMIN_ID, ADMIN_SECRET)
        totals = {_tokens_issued(server) for _ in range(8)}
        assert totals == {before + 40}
        assert "process_cpu_seconds_total" not in httpx.get(f"{server.base_url}/metrics").text


# --- two nodes on one database -------------------------------------------------------------


@pytest.fixture(scope="module", params=backends())
def nodes(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[RunningServer, RunningServer]]:
    directory = tmp_path_factory.mktemp(f"nodes-{request.param}")
    port = free_port()
    # One issuer for both, as behind one reverse proxy: tokens from either node are the same.
    env = {"SELFAUTH_CHANGES_POLL_SECONDS": POLL, "SELFAUTH_ISSUER": f"http://127.0.0.1:{port}/"}
    with fresh_database(request.param, directory) as url:
        first = start(url, directory / "first.log", request.param, env, port)
        try:
            second = start(url, directory / "second.log", request.param, env)
            try:
                yield first, second
            finally:
                stop(second)
        finally:
            stop(first)


def token_from(node: RunningServer, first: RunningServer) -> str:
    """The administrator's token, asked of `node`, for the nodes' one audience."""
    body = {
        "grant_type": "client_credentials",
        "client_id": ADMIN_ID,
        "client_secret": ADMIN_SECRET,
        "audience": first.audience,
    }
    answer = httpx.post(f"{node.base_url}/oauth/token", json=body, timeout=10)
    assert answer.status_code == 200, answer.text
    return str(answer.json()["access_token"])


def kid_of(token: str) -> str:
    return str(jwt.get_unverified_header(token)["kid"])


def test_a_rotation_and_a_revocation_through_one_node_reach_the_other(
    nodes: tuple[RunningServer, RunningServer],
) -> None:
    first, second = nodes
    admin = admin_api(first)
    before = token_from(second, first)
    second_api = Api(second, before)
    assert second_api.get("/api/v2/clients").status_code == 200  # verified, and remembered

    rotated = admin.post("/api/v2/keys/signing/rotate")
    assert rotated.status_code == 201, rotated.text
    current = next(k for k in admin.get("/api/v2/keys/signing").json() if k.get("current"))
    # The other node signs with the new current key once it has read the change.
    signed = eventually(lambda: token_from(second, first), lambda t: kid_of(t) == current["kid"])
    assert kid_of(signed) == current["kid"]

    revoked = admin.http.put(f"/api/v2/keys/signing/{kid_of(before)}/revoke")
    assert revoked.status_code == 200, revoked.text
    # A token of the revoked key, accepted by the other node before, is refused there now.
    answer = eventually(lambda: second_api.get("/api/v2/clients"), lambda r: r.status_code == 401)
    assert answer.status_code == 401
    assert Api(second, signed).get("/api/v2/clients").status_code == 200


def _preflight(server: RunningServer, origin: str) -> httpx.Response:
    headers = {"origin": origin, "access-control-request-method": "POST"}
    return httpx.options(f"{server.base_url}/oauth/token", headers=headers, timeout=10)


def test_a_client_origin_added_through_one_node_is_allowed_by_the_other(
    nodes: tuple[RunningServer, RunningServer],
) -> None:
    first, second = nodes
    origin = f"https://spa-{time.monotonic_ns()}.example"
    assert "access-control-allow-origin" not in _preflight(second, origin).headers
    created = admin_api(first).post(
        "/api/v2/clients", {"name": "spa", "app_type": "spa", "web_origins": [origin]}
    )
    assert created.status_code == 201, created.text
    answer = eventually(
        lambda: _preflight(second, origin),
        lambda r: r.headers.get("access-control-allow-origin") == origin,
    )
    assert answer.headers.get("access-control-allow-origin") == origin


def test_the_tenant_language_set_through_one_node_is_the_other_nodes_default(
    nodes: tuple[RunningServer, RunningServer],
) -> None:
    first, second = nodes
    admin = admin_api(first)
    app = code_client(admin, "regular_web")
    params = flow(app, None).params
    assert '<html lang="en"' in httpx.get(f"{second.base_url}/authorize", params=params).text
    changed = admin.patch("/api/v2/tenants/settings", {"enabled_locales": ["fr", "en"]})
    assert changed.status_code == 200, changed.text
    page = eventually(
        lambda: httpx.get(f"{second.base_url}/authorize", params=params),
        lambda r: '<html lang="fr"' in r.text,
    )
    assert '<html lang="fr"' in page.text


def test_a_metadata_schema_set_through_one_node_is_enforced_by_the_other(
    nodes: tuple[RunningServer, RunningServer],
) -> None:
    first, second = nodes
    admin, other = admin_api(first), Api(second, token_from(second, first))
    app = new_app(admin)
    user = admin.create_user(connection=app.connection)
    path = f"/api/v2/users/{user['user_id']}"
    assert other.patch(path, {"user_metadata": {"age": -1}}).status_code == 200  # cached: none
    schema = {"properties": {"age": {"minimum": 0}}}
    put = f"/api/v2/connections/{app.connection_id}/metadata-schemas/user_metadata"
    assert admin.http.put(put, json={"schema": schema}).status_code == 200
    refused = eventually(
        lambda: other.patch(path, {"user_metadata": {"age": -2}}), lambda r: r.status_code == 400
    )
    assert "user_metadata.age: 'minimum' 0" in refused.json()["message"], refused.text
    assert admin.delete(put).status_code == 204
    eventually(
        lambda: other.patch(path, {"user_metadata": {"age": -3}}), lambda r: r.status_code == 200
    )
    assert admin.user(user["user_id"])["user_metadata"] == {"age": -3}


def test_a_login_on_one_node_refreshes_on_the_other_until_revoked_there(
    nodes: tuple[RunningServer, RunningServer],
) -> None:
    first, second = nodes
    admin = admin_api(first)
    app = new_app(admin)
    email = f"nodes-{time.monotonic_ns()}@example.com"
    made = admin.post(
        "/api/v2/users", {"connection": app.connection, "email": email, "password": PASSWORD}
    )
    assert made.status_code == 201, made.text
    issued = tokens(login(second, app, email, scope="openid offline_access"))

    def refresh(node: RunningServer) -> httpx.Response:
        body = {
            "grant_type": "refresh_token",
            "client_id": app.client_id,
            "client_secret": app.client_secret,
            "refresh_token": issued["refresh_token"],
        }
        return post_token(node, body)

    assert refresh(first).status_code == 200
    revoked = httpx.post(
        f"{second.base_url}/oauth/revoke",
        json={
            "client_id": app.client_id,
            "client_secret": app.client_secret,
            "token": issued["refresh_token"],
        },
        timeout=10,
    )
    assert revoked.status_code == 200, revoked.text
    # Refresh tokens live in the database: refused on the other node at once, no poll.
    assert_oauth_error(refresh(first), 403, "invalid_grant")


def test_a_grant_changed_and_a_client_deleted_through_one_node_stop_tokens_on_the_other(
    nodes: tuple[RunningServer, RunningServer],
) -> None:
    """The token path keeps grants and APIs in memory (storage/hot_records.py): a grant one
    node narrows, the other stops answering from memory within the poll. Clients are not
    kept: one deleted through one node is refused by the other at once."""
    first, second = nodes
    admin = admin_api(first)
    api = admin.post(
        "/api/v2/resource-servers",
        {
            "identifier": f"https://api-{time.monotonic_ns()}.example",
            "scopes": [{"value": "read:a"}, {"value": "read:b"}],
        },
    )
    assert api.status_code == 201, api.text
    audience = api.json()["identifier"]
    client = admin.post("/api/v2/clients", {"name": "m2m", "app_type": "non_interactive"})
    assert client.status_code == 201, client.text
    client_id, secret = client.json()["client_id"], client.json()["client_secret"]
    grant = admin.post(
        "/api/v2/client-grants",
        {"client_id": client_id, "audience": audience, "scope": ["read:a", "read:b"]},
    )
    assert grant.status_code == 201, grant.text
    body = {
        "grant_type": "client_credentials",
        "client_id": client_id,
        "client_secret": secret,
        "audience": audience,
    }

    def ask() -> httpx.Response:
        return post_token(second, body)

    # Made through the first node, usable through the second at once (nothing missing is kept).
    assert ask().status_code == 200
    assert ask().json()["scope"] == "read:a read:b"  # now in the second node's memory

    narrowed = admin.http.patch(
        f"/api/v2/client-grants/{grant.json()['id']}", json={"scope": ["read:a"]}
    )
    assert narrowed.status_code == 200, narrowed.text
    answer = eventually(ask, lambda r: r.status_code == 200 and r.json()["scope"] == "read:a")
    assert answer.json()["scope"] == "read:a"

    assert admin.http.delete(f"/api/v2/clients/{client_id}").status_code == 204
    refused = ask()
    assert refused.status_code == 401, refused.text


def test_an_action_bound_through_one_node_runs_on_the_others_tokens(
    nodes: tuple[RunningServer, RunningServer],
) -> None:
    """What a trigger runs is read for every token (storage/actions.py): an action bound,
    redeployed or unbound through one node reaches the other's next tokens."""
    first, second = nodes
    admin = admin_api(first)
    client = admin.post("/api/v2/clients", {"name": "m2m", "app_type": "non_interactive"})
    assert client.status_code == 201, client.text
    client_id, secret = client.json()["client_id"], client.json()["client_secret"]
    grant = admin.post(
        "/api/v2/client-grants",
        {"client_id": client_id, "audience": first.audience, "scope": ["read:users"]},
    )
    assert grant.status_code == 201, grant.text
    body = {
        "grant_type": "client_credentials",
        "client_id": client_id,
        "client_secret": secret,
        "audience": first.audience,
    }

    def claim() -> object:
        answer = post_token(second, body)
        assert answer.status_code == 200, answer.text
        return claims(answer.json()["access_token"]).get("https://ns.example.com/mark")

    assert claim() is None  # nothing bound yet
    code = (
        "exports.onExecuteCredentialsExchange = async (event, api) => {\n"
        f"  if (event.client.client_id !== {client_id!r}) return;\n"
        "  api.accessToken.setCustomClaim('https://ns.example.com/mark', 'MARK');\n"
        "};"
    )
    trigger = "credentials-exchange"
    made = admin.post(
        "/api/v2/actions/actions",
        {
            "name": f"mark-{time.monotonic_ns()}",
            "supported_triggers": [{"id": trigger, "version": "v2"}],
            "code": code.replace("MARK", "one"),
        },
    )
    assert made.status_code == 201, made.text
    action_id = made.json()["id"]
    assert admin.post(f"/api/v2/actions/actions/{action_id}/deploy").status_code == 200
    bindings = f"/api/v2/actions/triggers/{trigger}/bindings"
    bound = {"bindings": [{"ref": {"type": "action_id", "value": action_id}}]}
    assert admin.patch(bindings, bound).status_code == 200
    try:
        assert eventually(claim, lambda found: found == "one") == "one"
        # A new version deployed through the first node runs on the second's next tokens
        changed = {"code": code.replace("MARK", "two")}
        assert admin.patch(f"/api/v2/actions/actions/{action_id}", changed).status_code == 200
        assert admin.post(f"/api/v2/actions/actions/{action_id}/deploy").status_code == 200
        assert eventually(claim, lambda found: found == "two") == "two"
    finally:
        assert admin.patch(bindings, {"bindings": []}).status_code == 200
    assert eventually(claim, lambda found: found is None) is None
