"""Metadata schemas (our addition, issue 20): an optional JSON Schema per connection or
tenant-wide for user_metadata and app_metadata, set through the Management API and enforced
on every write path: the Management API's POST and PATCH, a user's own PATCH,
`/dbconnections/signup` (what Lock's additional sign-up fields send), the login page's
sign-up, Rules and Actions, imports, the dashboard. Setting one counts the users who break it
and changes none. Runs on both databases.

Every test sets its schemas on a connection of its own; the one tenant-wide schema test
constrains a key no other test writes and removes it after."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from tests.support.admin import csrf_of, new_admin, signed_in_client
from tests.support.api import PASSWORD, Api, assert_error, unique_email, user_path
from tests.support.authorize import flow, form_to, login_page
from tests.support.browser_client import browser_client
from tests.support.hooks import Hooks, code_app, guarded, guarded_rule, hook_app
from tests.support.hooks import hooks as hooks
from tests.support.jobs import errors, run_import
from tests.support.server import RunningServer
from tests.support.signin import (
    App,
    assert_oauth_error,
    connection_id_by_name,
    http,
    login,
    new_app,
    tokens,
)

AGE = {
    "type": "object",
    "properties": {
        "age": {"type": "integer", "minimum": 0},
        "plan": {"enum": ["free", "pro"]},
    },
}
PLAN_REQUIRED = {**AGE, "required": ["plan"]}


def schema_path(connection_id: str | None, field: str = "user_metadata") -> str:
    if connection_id is None:
        return f"/api/v2/metadata-schemas/{field}"
    return f"/api/v2/connections/{connection_id}/metadata-schemas/{field}"


def put_schema(
    api: Api, connection_id: str | None, schema: Any, field: str = "user_metadata"
) -> dict[str, Any]:
    response = api.http.put(schema_path(connection_id, field), json={"schema": schema})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def assert_violation(response: httpx.Response, path: str, rule: str) -> str:
    """A Management API 400 naming the path and the rule broken."""
    body = assert_error(response, 400, "invalid_body")
    assert body["error"] == "Bad Request"
    message: str = body["message"]
    assert message.startswith(f"Metadata schema violation: {path}: '{rule}'"), message
    return message


@pytest.fixture
def app(api: Api) -> App:
    return new_app(api)


# --- the Management API -----------------------------------------------------------------------


def test_a_connection_schema_is_set_read_and_removed(api: Api, app: App) -> None:
    set_ = put_schema(api, app.connection_id, AGE)
    assert set_["connection_id"] == app.connection_id
    assert set_["field"] == "user_metadata"
    assert set_["schema"] == AGE
    assert set_["violating_users"] == 0
    assert set_["updated_at"].endswith("Z")
    got = api.get(schema_path(app.connection_id))
    assert got.status_code == 200, got.text
    assert {k: v for k, v in set_.items() if k != "violating_users"} == got.json()
    assert api.delete(schema_path(app.connection_id)).status_code == 204
    assert_error(api.get(schema_path(app.connection_id)), 404, "inexistent_metadata_schema")
    # Gone: the same write is accepted again.
    api.create_user(connection=app.connection, user_metadata={"age": -3})


def test_reading_needs_read_connections_and_writing_update_connections(api: Api, app: App) -> None:
    put_schema(api, app.connection_id, AGE)
    reader = api.with_scopes("read:connections")
    assert reader.get(schema_path(app.connection_id)).status_code == 200
    refused = reader.http.put(schema_path(app.connection_id), json={"schema": AGE})
    assert_error(refused, 403)
    assert_error(reader.delete(schema_path(app.connection_id)), 403)


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({"schema": {"type": "nope"}}, "Invalid JSON Schema"),
        ({"schema": {"properties": {"a": {"pattern": "("}}}}, "regex"),
        ({"schema": []}, "must be a JSON object"),
        ({"schema": {"$ref": "http://127.0.0.1:9/schema.json"}}, "Retrieval is disabled"),
        ({"schema": {"$schema": "http://example.com/meta", "type": "object"}}, "$schema"),
        ({"schema": {"type": "object"}, "other": 1}, '{"schema": {...}}'),
        ({}, '{"schema": {...}}'),
    ],
)
def test_a_schema_that_is_not_one_is_refused(
    api: Api, app: App, body: dict[str, Any], words: str
) -> None:
    response = api.http.put(schema_path(app.connection_id), json=body)
    found = assert_error(response, 400, "invalid_body")
    assert words in found["message"], found
    assert_error(api.get(schema_path(app.connection_id)), 404)


def test_unknown_fields_and_connections_are_404(api: Api, app: App) -> None:
    response = api.http.put(
        f"/api/v2/connections/{app.connection_id}/metadata-schemas/profile", json={"schema": {}}
    )
    assert_error(response, 404, "inexistent_metadata_schema")
    missing = api.http.put(schema_path("con_doesnotexist00000"), json={"schema": {}})
    assert_error(missing, 404, "inexistent_connection")
    # The tenant-wide schema's own name is no connection's: it is not reached this way
    star = api.http.put("/api/v2/connections/*/metadata-schemas/user_metadata", json={"schema": {}})
    assert_error(star, 404, "inexistent_connection")


def test_setting_a_schema_counts_who_breaks_it_and_changes_nobody(api: Api, app: App) -> None:
    kept = [
        api.create_user(connection=app.connection, user_metadata=metadata)
        for metadata in ({"age": -1}, {"age": "old"}, {"age": 30}, {})
    ]
    other = new_app(api)
    api.create_user(connection=other.connection, user_metadata={"age": -5})  # not counted
    assert put_schema(api, app.connection_id, AGE)["violating_users"] == 2
    for user in kept:
        stored = api.user(user["user_id"]).get("user_metadata", {})
        assert stored == user.get("user_metadata", {})
    assert put_schema(api, app.connection_id, PLAN_REQUIRED)["violating_users"] == 4
    # A violating user can still be edited where the write leaves the field alone.
    response = api.patch(user_path(kept[0]["user_id"]), {"app_metadata": {"x": 1}})
    assert response.status_code == 200, response.text


def test_deleting_the_connection_deletes_its_schemas(api: Api, app: App) -> None:
    put_schema(api, app.connection_id, AGE)
    assert api.delete(f"/api/v2/connections/{app.connection_id}").status_code == 202
    assert_error(api.get(schema_path(app.connection_id)), 404, "inexistent_connection")


PROBE = {"properties": {"schema_probe": {"type": "integer"}}}


@contextmanager
def tenant_probe(api: Api) -> Iterator[dict[str, Any]]:
    """A tenant-wide app_metadata schema on a key no other test writes, removed after; yields
    PUT's answer."""
    try:
        yield put_schema(api, None, PROBE, "app_metadata")
    finally:
        assert api.delete(schema_path(None, "app_metadata")).status_code == 204


def test_the_connections_schema_wins_over_the_tenant_wide_one(api: Api, app: App) -> None:
    with tenant_probe(api):
        tenant_wide_rules(api, app)


def tenant_wide_rules(api: Api, app: App) -> None:
    got = api.get(schema_path(None, "app_metadata")).json()
    assert got["connection_id"] is None
    bad = {"connection": app.connection, "email": unique_email(), "password": PASSWORD}
    refused = api.post("/api/v2/users", {**bad, "app_metadata": {"schema_probe": "x"}})
    assert_violation(refused, "app_metadata.schema_probe", "type")
    own = new_app(api)
    put_schema(api, own.connection_id, {"type": "object"}, "app_metadata")
    api.create_user(connection=own.connection, app_metadata={"schema_probe": "x"})
    # user_metadata has no schema anywhere: free.
    api.create_user(connection=app.connection, user_metadata={"schema_probe": "x"})


# --- the write paths --------------------------------------------------------------------------


def test_management_post_and_patch_check_the_merged_result(api: Api, app: App) -> None:
    put_schema(api, app.connection_id, PLAN_REQUIRED)
    body = {"connection": app.connection, "email": unique_email(), "password": PASSWORD}
    message = assert_violation(
        api.post("/api/v2/users", {**body, "user_metadata": {"plan": "pro", "age": -3}}),
        "user_metadata.age",
        "minimum",
    )
    assert "'minimum' 0 (-3 is less than the minimum of 0)" in message
    assert_violation(api.post("/api/v2/users", body), "user_metadata", "required")
    user = api.create_user(connection=app.connection, user_metadata={"plan": "pro"})
    path = user_path(user["user_id"])
    # The merge keeps `plan`: a patch of another key passes.
    assert api.patch(path, {"user_metadata": {"age": 4}}).status_code == 200
    assert_violation(
        api.patch(path, {"user_metadata": {"plan": None}}), "user_metadata", "required"
    )
    assert_violation(
        api.patch(path, {"user_metadata": {"plan": "gold"}}), "user_metadata.plan", "enum"
    )
    assert api.user(user["user_id"])["user_metadata"] == {"plan": "pro", "age": 4}


def test_app_metadata_has_its_own_schema(api: Api, app: App) -> None:
    put_schema(api, app.connection_id, {"properties": {"tier": {"type": "string"}}}, "app_metadata")
    user = api.create_user(connection=app.connection, user_metadata={"tier": 1})
    response = api.patch(user_path(user["user_id"]), {"app_metadata": {"tier": 1}})
    assert_violation(response, "app_metadata.tier", "type")


def test_a_users_own_patch_is_checked(server: RunningServer, api: Api, app: App) -> None:
    put_schema(api, app.connection_id, AGE)
    user = api.create_user(connection=app.connection)
    scope = "read:current_user update:current_user_metadata"
    answer = login(server, app, user["email"], audience=server.audience, scope=scope)
    me = Api(server, tokens(answer)["access_token"])
    path = user_path(user["user_id"])
    assert_violation(me.patch(path, {"user_metadata": {"age": -3}}), "user_metadata.age", "minimum")
    assert me.patch(path, {"user_metadata": {"age": 3}}).status_code == 200
    assert api.user(user["user_id"])["user_metadata"] == {"age": 3}


def signup(server: RunningServer, app: App, **fields: Any) -> httpx.Response:
    body = {
        "client_id": app.client_id,
        "connection": app.connection,
        "email": unique_email("schema"),
        "password": PASSWORD,
        **fields,
    }
    return http(server.base_url).post("/dbconnections/signup", json=body)


def test_dbconnections_signup_answers_the_violation_in_its_shape(
    server: RunningServer, api: Api, app: App
) -> None:
    """What Lock's additional sign-up fields send (strings, in user_metadata)."""
    put_schema(api, app.connection_id, PLAN_REQUIRED)
    refused = signup(server, app, user_metadata={"plan": "gold"})
    assert refused.status_code == 400, refused.text
    body = refused.json()
    assert body["code"] == "invalid_signup" and body["statusCode"] == 400
    assert body["description"].startswith("Metadata schema violation: user_metadata.plan: 'enum'")
    missing = signup(server, app).json()
    assert "user_metadata: 'required'" in missing["description"]
    assert signup(server, app, user_metadata={"plan": "free"}).status_code == 200


def test_the_login_pages_sign_up_shows_the_violation(server: RunningServer, api: Api) -> None:
    client, connection = code_app(api)
    put_schema(api, connection_id_by_name(api, connection), PLAN_REQUIRED)
    with browser_client(base_url=server.base_url, timeout=30) as browser:
        f = flow(client, connection, screen_hint="signup")
        form = form_to(login_page(browser, f), "/u/signup")
        email = unique_email("page")
        answer = browser.post(
            "/u/signup",
            data={
                "tx": form.value("tx"),
                "csrf": form.value("csrf"),
                "password": PASSWORD,
                "email": email,
            },
        )
    assert answer.status_code == 400, answer.text
    assert 'id="signup-error"' in answer.text
    assert "Metadata schema violation: user_metadata: &#39;required&#39;" in answer.text
    assert api.get("/api/v2/users-by-email", email=email).json() == []


def test_a_rule_writing_bad_metadata_fails_the_login(
    server: RunningServer, api: Api, hooks: Hooks
) -> None:
    app = hook_app(api)
    put_schema(api, app.connection_id, {"properties": {"level": {"minimum": 0}}}, "app_metadata")
    hooks.rule(
        guarded_rule(
            app.client_id,
            """
  auth0.users.updateAppMetadata(user.user_id, {level: -1})
    .then(function () { callback(null, user, context); })
    .catch(function (err) { callback(err); });
""",
        )
    )
    user = api.create_user(connection=app.connection, app_metadata={"level": 1})
    body = assert_oauth_error(login(server, app, user["email"]), 403, "access_denied")
    assert "app_metadata.level: 'minimum' 0" in body["error_description"], body
    assert api.user(user["user_id"])["app_metadata"] == {"level": 1}


def test_an_action_writing_bad_metadata_fails_the_login(
    server: RunningServer, api: Api, hooks: Hooks
) -> None:
    app = hook_app(api)
    put_schema(api, app.connection_id, AGE)
    hooks.action(guarded(app.client_id, "  api.user.setUserMetadata('age', -3);"))
    user = api.create_user(connection=app.connection, user_metadata={"age": 2})
    body = assert_oauth_error(login(server, app, user["email"]), 403, "access_denied")
    assert "user_metadata.age: 'minimum' 0" in body["error_description"], body
    assert api.user(user["user_id"])["user_metadata"] == {"age": 2}


def test_a_pre_registration_action_setting_bad_metadata_refuses_the_sign_up(
    server: RunningServer, api: Api, hooks: Hooks
) -> None:
    app = hook_app(api)
    put_schema(
        api, app.connection_id, {"properties": {"tier": {"enum": ["basic"]}}}, "app_metadata"
    )
    pre = "pre-user-registration"
    hooks.action(guarded(app.client_id, "  api.user.setAppMetadata('tier', 'gold');", pre), pre)
    refused = signup(server, app)
    assert refused.status_code == 400, refused.text
    assert "app_metadata.tier: 'enum'" in refused.json()["description"]


def test_an_import_row_that_breaks_the_schema_fails_alone(api: Api, app: App) -> None:
    put_schema(api, app.connection_id, AGE)
    good, bad = unique_email(), unique_email()
    rows = [
        {"email": good, "user_metadata": {"age": 40}},
        {"email": bad, "user_metadata": {"age": -3}},
    ]
    job = run_import(api, rows, connection_id=app.connection_id)
    assert job["summary"] == {"failed": 1, "updated": 0, "inserted": 1, "total": 2}
    [failed] = errors(api, job["id"])
    [error] = failed["errors"]
    assert error["code"] == "MINIMUM" and error["path"] == "user_metadata.age"
    assert "'minimum' 0" in error["message"]
    assert api.get("/api/v2/users-by-email", email=bad).json() == []


def test_the_dashboards_user_page_shows_the_violation(
    server: RunningServer, api: Api, app: App
) -> None:
    put_schema(api, app.connection_id, AGE)
    user = api.create_user(connection=app.connection, user_metadata={"age": 1})
    browser = signed_in_client(server, new_admin(server, api))
    page = f"/admin/users/{quote(user['user_id'], safe='')}"
    csrf = csrf_of(browser.get(page))
    answer = browser.post(
        f"{page}?do=user_metadata", data={"csrf": csrf, "user_metadata": '{"age": -3}'}
    )
    assert answer.status_code == 400, answer.text
    assert "Metadata schema violation: user_metadata.age: &#39;minimum&#39; 0" in answer.text
    assert api.user(user["user_id"])["user_metadata"] == {"age": 1}


def test_a_tenant_wide_schema_counts_only_the_users_it_applies_to(api: Api, app: App) -> None:
    bad = {"schema_probe": "x"}
    counted = api.create_user(connection=app.connection, app_metadata=bad)
    own = new_app(api)
    put_schema(api, own.connection_id, {"type": "object"}, "app_metadata")
    api.create_user(connection=own.connection, app_metadata=bad)  # held to its own schema
    with tenant_probe(api) as answer:
        assert answer["violating_users"] == 1
        assert api.user(counted["user_id"])["app_metadata"] == bad
