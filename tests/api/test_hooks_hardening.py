"""Hooks hold up against hostile tenant code: an Action that replaces JavaScript intrinsics
(JSON.stringify, Array.prototype.push, Promise.prototype.then, toJSON on Object.prototype, ...)
cannot undo what a later Action asks for: its deny, its metadata, its claims.

The Actions act only for the client their test created (`guarded`)."""

from __future__ import annotations

from tests.support.api import Api
from tests.support.hooks import (
    Hooks,
    claims,
    guarded,
    hook_app,
)
from tests.support.hooks import hooks as hooks
from tests.support.server import RunningServer
from tests.support.signin import assert_oauth_error, login, tokens

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
