"""Rules at login time: what `user`, `context`, `configuration` and `auth0` give a rule, the
order rules run in, their errors, and the grants they run on.

Every rule acts only for the client its test created (`guarded_rule`); the `hooks` fixture
deletes the rules and rules-configs afterwards, so other tests' logins never see them."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from tests.support.api import DB, PASSWORD, Api
from tests.support.authorize import code_from, exchange, flow, sign_in
from tests.support.browser_client import browser_client
from tests.support.hooks import Hooks, code_app, guarded, guarded_rule, hook_app, recorded
from tests.support.hooks import hooks as hooks
from tests.support.server import RunningServer, client_token
from tests.support.signin import (
    PASSWORD_GRANT,
    App,
    assert_oauth_error,
    claims,
    default_connection_id,
    enable,
    login,
    new_client,
    post_token,
    tokens,
)

NS = "https://ns.example.com/"


def id_claims(response: Any) -> dict[str, Any]:
    return claims(tokens(response)["id_token"])


def test_a_rule_reads_client_metadata_persists_app_metadata_and_adds_a_claim(
    server: RunningServer, api: Api, hooks: Hooks
) -> None:
    app = hook_app(api, client_metadata={"default_plan": "gold"})
    hooks.rule(
        guarded_rule(
            app.client_id,
            """
  user.app_metadata = user.app_metadata || {};
  user.app_metadata.plan = context.clientMetadata.default_plan;
  user.app_metadata.nested = {b: 2};
  context.idToken['https://ns.example.com/plan'] = user.app_metadata.plan;
  context.idToken['https://ns.example.com/root'] = user.existing;
  auth0.users.updateAppMetadata(user.user_id, user.app_metadata)
    .then(function () { callback(null, user, context); })
    .catch(function (err) { callback(err); });
""",
        )
    )
    user = api.create_user(
        connection=app.connection,
        app_metadata={"existing": "yes", "nested": {"a": 1}},
        user_metadata={"untouched": True},
    )
    found = id_claims(login(server, app, user["email"], scope="openid"))
    assert found[NS + "plan"] == "gold"
    assert found[NS + "root"] == "yes"  # app_metadata is merged at the root of `user`
    stored = api.user(user["user_id"])
    assert stored["app_metadata"] == {"existing": "yes", "nested": {"b": 2}, "plan": "gold"}
    assert stored["user_metadata"] == {"untouched": True}


def test_update_metadata_merges_root_keys_and_null_deletes(
    server: RunningServer, api: Api, hooks: Hooks
) -> None:
    app = hook_app(api)
    hooks.rule(
        guarded_rule(
            app.client_id,
            """
  Promise.all([
    auth0.users.updateAppMetadata(user.user_id, {added: 1, roles: null}),
    auth0.users.updateUserMetadata(user.user_id, {prefs: {theme: 'light'}}),
  ]).then(function () { callback(null, user, context); }, callback);
""",
        )
    )
    user = api.create_user(
        connection=app.connection,
        app_metadata={"roles": ["admin"], "kept": True},
        user_metadata={"prefs": {"theme": "dark", "lang": "en"}, "other": 1},
    )
    tokens(login(server, app, user["email"]))
    stored = api.user(user["user_id"])
    assert stored["app_metadata"] == {"kept": True, "added": 1}
    assert stored["user_metadata"] == {"prefs": {"theme": "light"}, "other": 1}


def test_a_rule_may_update_only_the_user_signing_in(
    server: RunningServer, api: Api, hooks: Hooks
) -> None:
    app = hook_app(api)
    other = api.create_user(connection=app.connection)
    hooks.rule(
        guarded_rule(
            app.client_id,
            f"""
  auth0.users.updateAppMetadata({other["user_id"]!r}, {{hijacked: true}})
    .then(function () {{ callback(null, user, context); }}, callback);
""",
        )
    )
    user = api.create_user(connection=app.connection)
    assert_oauth_error(login(server, app, user["email"]), 403, "access_denied")
    assert api.user(other["user_id"]).get("app_metadata", {}) == {}
    assert api.user(user["user_id"]).get("app_metadata", {}) == {}


def test_configuration_holds_the_rules_configs(
    server: RunningServer, api: Api, hooks: Hooks
) -> None:
    app = hook_app(api)
    key = f"HOOKTEST_{uuid.uuid4().hex[:10]}"
    hooks.config(key, "config-value-42")
    hooks.rule(
        guarded_rule(
            app.client_id,
            f"""
  context.idToken['https://ns.example.com/config'] = configuration.{key};
  context.idToken['https://ns.example.com/missing'] = typeof configuration.NOT_SET_{key};
  callback(null, user, context);
""",
        )
    )
    user = api.create_user(connection=app.connection)
    found = id_claims(login(server, app, user["email"], scope="openid"))
    assert found[NS + "config"] == "config-value-42"
    assert found[NS + "missing"] == "undefined"


CONTEXT_PROBE = """
  context.idToken['https://ns.example.com/context'] = {
    clientID: context.clientID,
    connection: context.connection,
    connectionID: context.connectionID,
    connectionStrategy: context.connectionStrategy,
    protocol: context.protocol,
    ip: context.request.ip,
    userAgent: context.request.userAgent,
    body: context.request.body,
    loginsCount: context.stats.loginsCount,
    userId: user.user_id,
    email: user.email,
    hasAppMetadata: user.app_metadata !== undefined,
    tenant: typeof context.tenant,
  };
  callback(null, user, context);
"""


def test_context_describes_a_password_grant(server: RunningServer, api: Api, hooks: Hooks) -> None:
    client = new_client(api, grant_types=[PASSWORD_GRANT, "refresh_token"])
    enable(api, default_connection_id(api), client["client_id"])
    app = App(client["client_id"], client["client_secret"], DB)
    hooks.rule(guarded_rule(app.client_id, CONTEXT_PROBE))
    user = api.create_user()  # on the default connection
    body = {
        "grant_type": PASSWORD_GRANT,
        "client_id": app.client_id,
        "client_secret": app.client_secret,
        "username": user["email"],
        "password": PASSWORD,
        "scope": "openid",
    }
    agent = {"user-agent": "hook-tests/1.0"}
    seen = []
    for _ in range(2):
        seen.append(id_claims(post_token(server, body, headers=agent))[NS + "context"])
    first = seen[0]
    assert first["clientID"] == app.client_id
    assert first["connection"] == DB
    assert first["connectionID"] == default_connection_id(api)
    assert first["connectionStrategy"] == "auth0"
    assert first["protocol"] == "oauth2-resource-owner"
    assert first["ip"] == "127.0.0.1"
    assert first["userAgent"] == "hook-tests/1.0"
    assert first["userId"] == user["user_id"] and first["email"] == user["email"]
    assert first["hasAppMetadata"] is False
    assert first["tenant"] == "string"
    assert first["body"]["username"] == user["email"]
    assert first["body"]["grant_type"] == PASSWORD_GRANT
    assert "password" not in first["body"]
    assert "client_secret" not in first["body"]
    assert PASSWORD not in str(first) and str(app.client_secret) not in str(first)
    assert first["loginsCount"] == 1
    assert seen[1]["loginsCount"] == 2


def test_rules_run_on_refresh_grants_with_their_protocol(
    server: RunningServer, api: Api, hooks: Hooks
) -> None:
    app = hook_app(api)
    hooks.rule(guarded_rule(app.client_id, CONTEXT_PROBE))
    user = api.create_user(connection=app.connection)
    issued = tokens(login(server, app, user["email"], scope="openid offline_access"))
    assert claims(issued["id_token"])[NS + "context"]["protocol"] == "oauth2-password"
    body = {
        "grant_type": "refresh_token",
        "client_id": app.client_id,
        "client_secret": app.client_secret,
        "refresh_token": issued["refresh_token"],
    }
    refreshed = id_claims(post_token(server, body))[NS + "context"]
    assert refreshed["protocol"] == "oauth2-refresh-token"
    assert refreshed["userId"] == user["user_id"]
    assert refreshed["body"]["grant_type"] == "refresh_token"
    assert "client_secret" not in refreshed["body"]


def test_rules_do_not_run_on_client_credentials(
    server: RunningServer, api: Api, hooks: Hooks
) -> None:
    client = new_client(api, app_type="non_interactive", grant_types=["client_credentials"])
    grant = api.post(
        "/api/v2/client-grants",
        {"client_id": client["client_id"], "audience": server.audience, "scope": ["read:users"]},
    )
    assert grant.status_code == 201, grant.text
    hooks.rule(guarded_rule(client["client_id"], "  callback(new Error('rules ran'));"))
    token = client_token(server, client["client_id"], client["client_secret"])
    assert claims(token)["sub"] == f"{client['client_id']}@clients"


def test_the_code_flow_protocol_is_oidc_basic_profile(
    server: RunningServer, api: Api, hooks: Hooks
) -> None:
    client, connection = code_app(api)
    hooks.rule(guarded_rule(client.client_id, CONTEXT_PROBE))
    user = api.create_user(connection=connection)
    with browser_client(base_url=server.base_url, timeout=30) as browser:
        f = flow(client, connection)
        code = code_from(sign_in(browser, f, user["email"]), f)
    found = id_claims(exchange(server, client, code, f))[NS + "context"]
    assert found["protocol"] == "oidc-basic-profile"
    assert found["connection"] == connection


def test_rules_run_by_order_and_disabled_rules_do_not_run(
    server: RunningServer, api: Api, hooks: Hooks
) -> None:
    app = hook_app(api)

    def step(name: str) -> str:
        return guarded_rule(
            app.client_id,
            f"""
  var trace = context.idToken['https://ns.example.com/trace'] || [];
  context.idToken['https://ns.example.com/trace'] = trace.concat([{name!r}]);
  callback(null, user, context);
""",
        )

    base = 500_000 + uuid.uuid4().int % 100_000
    hooks.rule(step("third"), order=base + 30)
    hooks.rule(step("first"), order=base + 10)
    hooks.rule(step("off"), order=base + 15, enabled=False)
    second = hooks.rule(step("second"), order=base + 20)
    user = api.create_user(connection=app.connection)
    found = id_claims(login(server, app, user["email"], scope="openid"))
    assert found[NS + "trace"] == ["first", "second", "third"]
    # Disabling a rule takes it out of the next login; moving one changes the order.
    assert api.patch(f"/api/v2/rules/{second['id']}", {"enabled": False}).status_code == 200
    off = hooks.rules[2]
    assert api.patch(f"/api/v2/rules/{off}", {"order": base + 40}).status_code == 200
    assert api.patch(f"/api/v2/rules/{off}", {"enabled": True}).status_code == 200
    found = id_claims(login(server, app, user["email"], scope="openid"))
    assert found[NS + "trace"] == ["first", "third", "off"]


def test_unauthorized_error_answers_unauthorized(
    server: RunningServer, api: Api, hooks: Hooks
) -> None:
    app = hook_app(api)
    hooks.rule(
        guarded_rule(app.client_id, "  callback(new UnauthorizedError('Members only, sorry'));")
    )
    user = api.create_user(connection=app.connection)
    response = login(server, app, user["email"])
    assert response.status_code == 403, response.text
    assert response.json() == {
        "error": "unauthorized",
        "error_description": "Members only, sorry",
    }


def test_a_plain_error_answers_access_denied(server: RunningServer, api: Api, hooks: Hooks) -> None:
    app = hook_app(api)
    hooks.rule(guarded_rule(app.client_id, "  callback(new Error('Not from this network'));"))
    user = api.create_user(connection=app.connection)
    response = login(server, app, user["email"])
    assert response.status_code == 403, response.text
    assert response.json() == {
        "error": "access_denied",
        "error_description": "Not from this network",
    }


def test_an_error_stops_the_later_rules_and_the_actions(
    server: RunningServer, api: Api, hooks: Hooks
) -> None:
    app = hook_app(api)
    base = 600_000 + uuid.uuid4().int % 100_000
    hooks.rule(guarded_rule(app.client_id, "  callback(new Error('stop'));"), order=base)
    hooks.rule(
        guarded_rule(
            app.client_id,
            """
  auth0.users.updateAppMetadata(user.user_id, {later_rule: true})
    .then(function () { callback(null, user, context); }, callback);
""",
        ),
        order=base + 1,
    )
    hooks.action(guarded(app.client_id, "  api.user.setAppMetadata('action', true);"))
    user = api.create_user(connection=app.connection)
    assert_oauth_error(login(server, app, user["email"]), 403, "access_denied")
    assert api.user(user["user_id"]).get("app_metadata", {}) == {}


def test_access_token_scope_changes_the_granted_scope(
    server: RunningServer, api: Api, hooks: Hooks
) -> None:
    app = hook_app(api)
    hooks.rule(
        guarded_rule(
            app.client_id,
            """
  context.accessToken.scope = context.accessToken.scope
    .filter(function (s) { return s !== 'email'; })
    .concat(['read:reports']);
  context.accessToken['https://ns.example.com/a'] = 'in-access';
  callback(null, user, context);
""",
        )
    )
    user = api.create_user(connection=app.connection)
    issued = tokens(login(server, app, user["email"], scope="openid profile email"))
    assert issued["scope"].split() == ["openid", "profile", "read:reports"]
    access = claims(issued["access_token"])
    assert access["scope"].split() == ["openid", "profile", "read:reports"]
    assert access["https://ns.example.com/a"] == "in-access"


def test_rules_run_before_actions_and_actions_see_what_rules_persisted(
    server: RunningServer, api: Api, hooks: Hooks
) -> None:
    app = hook_app(api)
    hooks.action(
        guarded(
            app.client_id,
            """
  api.idToken.setCustomClaim('https://ns.example.com/from_rule', event.user.app_metadata.rule);
  api.user.setAppMetadata('action', 'ran');
""",
        )
    )
    hooks.rule(
        guarded_rule(
            app.client_id,
            """
  auth0.users.updateAppMetadata(user.user_id, {rule: 'ran first'})
    .then(function () { callback(null, user, context); }, callback);
""",
        )
    )
    user = api.create_user(connection=app.connection)
    found = id_claims(login(server, app, user["email"], scope="openid"))
    assert found[NS + "from_rule"] == "ran first"
    assert api.user(user["user_id"])["app_metadata"] == {"rule": "ran first", "action": "ran"}
    listed = recorded(api, user_id=user["user_id"])
    assert len(listed) == 1
    statuses = [r["status"] for r in listed[0]["results"]]
    assert statuses and set(statuses) == {"ok"}


@pytest.mark.parametrize(
    "body",
    [
        "  throw new Error('rule blew up');",
        "  undefinedFunction();",
        "  // never calls back",
    ],
    ids=["throw", "reference-error", "no-callback"],
)
def test_a_broken_rule_denies_the_login(
    server: RunningServer, api: Api, hooks: Hooks, body: str
) -> None:
    app = hook_app(api)
    hooks.rule(guarded_rule(app.client_id, body))
    user = api.create_user(connection=app.connection)
    assert_oauth_error(login(server, app, user["email"]), 403, "access_denied")
