"""POST /api/v2/actions/actions/{id}/test: the draft runs against the given event in the
sandbox and the answer says what it asked for, its console output and its error, while no user
is changed, nothing is deployed and no execution is recorded."""

from __future__ import annotations

from typing import Any

from tests.support.api import Api, assert_error, unique
from tests.support.hooks import ACTIONS, VERSIONS

CODE = """exports.onExecutePostLogin = async (event, api) => {
  console.log('hello ' + event.user.email + ' ' + event.secrets.KEY);
  api.idToken.setCustomClaim('https://ns.example.com/plan', event.user.app_metadata.plan);
  api.accessToken.addScope('read:extra');
  api.user.setAppMetadata('tried', true);
  if (event.user.email.endsWith('@blocked.example')) api.access.deny('no entry');
};"""


def _action(api: Api, code: str) -> dict[str, Any]:
    response = api.post(
        ACTIONS,
        {
            "name": unique("dry"),
            "supported_triggers": [{"id": "post-login", "version": VERSIONS["post-login"]}],
            "code": code,
            "secrets": [{"name": "KEY", "value": "s3cret"}],
        },
    )
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def _event(user: dict[str, Any]) -> dict[str, Any]:
    return {
        "user": {
            "user_id": user["user_id"],
            "email": user["email"],
            "app_metadata": {"plan": "gold"},
            "user_metadata": {},
        },
        "client": {"client_id": "sample", "name": "Sample", "metadata": {}},
        "transaction": {"protocol": "oidc-basic-profile", "requested_scopes": ["openid"]},
    }


def test_the_draft_runs_and_nothing_is_applied(api: Api) -> None:
    action = _action(api, CODE)
    user = api.create_user(connection="Username-Password-Authentication", app_metadata={})
    response = api.post(f"{ACTIONS}/{action['id']}/test", {"payload": _event(user)})
    assert response.status_code == 200, response.text
    payload = response.json()["payload"]
    assert payload["status"] == "ok" and payload["error"] is None
    assert payload["denied"] is None
    assert {
        "name": "idToken.setCustomClaim",
        "key": "https://ns.example.com/plan",
        "value": "gold",
    } in payload["commands"]
    assert {"name": "accessToken.addScope", "scope": "read:extra"} in payload["commands"]
    assert {"name": "user.setAppMetadata", "key": "tried", "value": True} in payload["commands"]
    assert [line["message"] for line in payload["logs"]] == [f"hello {user['email']} s3cret"]
    assert api.user(user["user_id"]).get("app_metadata", {}) == {}
    assert api.get(f"{ACTIONS}/{action['id']}").json()["all_changes_deployed"] is False
    api.delete(f"{ACTIONS}/{action['id']}")


def test_a_denial_and_a_thrown_error_are_answered(api: Api) -> None:
    action = _action(api, CODE)
    event = _event({"user_id": "auth0|sample", "email": "x@blocked.example"})
    payload = api.post(f"{ACTIONS}/{action['id']}/test", {"payload": event}).json()["payload"]
    assert payload["denied"]["reason"] == "no entry"
    broken = _action(api, "exports.onExecutePostLogin = async () => { throw new Error('boom'); };")
    payload = api.post(f"{ACTIONS}/{broken['id']}/test", {"payload": event}).json()["payload"]
    assert payload["status"] == "error" and "boom" in payload["error"]
    for made in (action, broken):
        api.delete(f"{ACTIONS}/{made['id']}")


def test_a_bad_body_or_an_unknown_action_is_refused(api: Api) -> None:
    action = _action(api, CODE)
    assert_error(api.post(f"{ACTIONS}/{action['id']}/test", {"event": {}}), 400)
    assert_error(api.post(f"{ACTIONS}/{action['id']}/test", {"payload": []}), 400)
    missing = api.post(f"{ACTIONS}/00000000-0000-4000-8000-000000000000/test", {"payload": {}})
    assert_error(missing, 404)
    api.delete(f"{ACTIONS}/{action['id']}")
