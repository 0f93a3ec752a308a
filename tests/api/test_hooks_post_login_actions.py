"""Post-login Actions at login time: the metadata they set (read back by the next login,
removed with null, validated, kept when they deny), binding order, custom claims and scopes,
what the event holds, secrets, the claim names that are dropped, the size limit on claims, a
throwing Action, and the authorization-code flow (claims that wait in the code, a denial sent
to the callback).

The session servers are shared with every other test file: each action here acts only for the
client its test created (`guarded`), and the `hooks` fixture unbinds and deletes everything it
made. The execution records: test_hooks_executions.py; runaway scripts, memory, dead workers
and what tenant code cannot reach: test_hooks_sandbox.py."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import httpx
import pytest

from tests.support.api import Api
from tests.support.authorize import CALLBACK, code_from, exchange, flow, redirected, sign_in
from tests.support.browser_client import browser_client
from tests.support.hooks import (
    ACTIONS,
    TRIGGERS,
    Hooks,
    code_app,
    guarded,
    hook_app,
    recorded,
    results_of,
)
from tests.support.hooks import hooks as hooks
from tests.support.server import RunningServer
from tests.support.signin import assert_oauth_error, claims, login, tokens


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


# --- the authorization-code flow --------------------------------------------------------------


@pytest.fixture
def browser(server: RunningServer) -> Iterator[httpx.Client]:
    with browser_client(base_url=server.base_url, timeout=30, follow_redirects=False) as client:
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
