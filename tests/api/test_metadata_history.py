"""The metadata history (our addition, issue 20): every change of a root key of a user's
`user_metadata` or `app_metadata`, or of a client's `client_metadata`, recorded with its old
and new value, when, and who made it (an application's Management API token, the user's own
token, a Rule or an Action by name, an import job, a dashboard administrator), and read through
`GET /api/v2/users/{id}/metadata-history` (`read:users`) and
`GET /api/v2/clients/{id}/metadata-history` (`read:clients`). Runs on both databases."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.support.admin import csrf_of, new_admin, signed_in_client
from tests.support.api import Api, assert_error, unique_email, user_path
from tests.support.hooks import Hooks, guarded, guarded_rule, hook_app
from tests.support.hooks import hooks as hooks
from tests.support.jobs import run_import
from tests.support.polling import eventually
from tests.support.server import ADMIN_ID, RunningServer, serving
from tests.support.signin import login, new_app, tokens


def history(api: Api, user_id: str, **params: Any) -> list[dict[str, Any]]:
    response = api.get(f"{user_path(user_id)}/metadata-history", **params)
    assert response.status_code == 200, response.text
    found: list[dict[str, Any]] = response.json()
    return found


def summary(entries: list[dict[str, Any]]) -> list[tuple[str, str, Any, Any]]:
    return [(e["field"], e["key"], e["old_value"], e["new_value"]) for e in entries]


def test_a_management_patch_records_each_changed_key_newest_first(api: Api) -> None:
    user = api.create_user(user_metadata={"theme": "dark", "lang": "en", "keep": 1})
    assert history(api, user["user_id"]) == []  # creation is not a change
    path = user_path(user["user_id"])
    body = {"user_metadata": {"theme": "light", "lang": None, "new": {"a": [1]}, "keep": 1}}
    assert api.patch(path, body).status_code == 200
    assert api.patch(path, {"app_metadata": {"plan": "gold"}}).status_code == 200
    entries = history(api, user["user_id"])
    assert summary(entries) == [
        ("app_metadata", "plan", None, "gold"),
        ("user_metadata", "theme", "dark", "light"),
        ("user_metadata", "new", None, {"a": [1]}),
        ("user_metadata", "lang", "en", None),
    ]
    newest = entries[0]
    assert newest["user_id"] == user["user_id"]
    assert newest["changed_by"] == {"type": "client", "id": ADMIN_ID, "name": None}
    assert newest["changed_at"].endswith("Z")
    assert int(newest["id"]) > int(entries[1]["id"])
    assert api.user(user["user_id"])["updated_at"] == newest["changed_at"]


def test_a_write_that_changes_no_value_records_nothing(api: Api) -> None:
    user = api.create_user(user_metadata={"n": 1, "flag": True})
    path = user_path(user["user_id"])
    assert api.patch(path, {"user_metadata": {"n": 1}, "name": "Renamed"}).status_code == 200
    assert history(api, user["user_id"]) == []
    # 1 and true are equal in Python, not in JSON
    assert api.patch(path, {"user_metadata": {"n": True}}).status_code == 200
    assert summary(history(api, user["user_id"])) == [("user_metadata", "n", 1, True)]


def test_a_refused_write_records_nothing(api: Api) -> None:
    user = api.create_user(user_metadata={"a": 1})
    path = user_path(user["user_id"])
    stale = api.get(path).headers["etag"]
    assert api.patch(path, {"user_metadata": {"a": 2}}).status_code == 200
    refused = api.http.patch(path, json={"user_metadata": {"a": 3}}, headers={"if-match": stale})
    assert refused.status_code == 412
    bad = api.patch(path, {"app_metadata": {"email": "x"}})  # a reserved key
    assert bad.status_code == 400
    assert summary(history(api, user["user_id"])) == [("user_metadata", "a", 1, 2)]


def test_clearing_metadata_records_every_key_removed(api: Api) -> None:
    user = api.create_user(app_metadata={"a": 1, "b": "x"})
    assert api.patch(user_path(user["user_id"]), {"app_metadata": {}}).status_code == 200
    assert summary(history(api, user["user_id"])) == [  # newest first: the last written
        ("app_metadata", "b", "x", None),
        ("app_metadata", "a", 1, None),
    ]


def test_the_history_pages_and_filters_by_key_and_field(api: Api) -> None:
    user = api.create_user()
    path = user_path(user["user_id"])
    for n in range(5):
        assert api.patch(path, {"user_metadata": {"count": n}}).status_code == 200
    assert api.patch(path, {"app_metadata": {"count": 99}}).status_code == 200
    counts = history(api, user["user_id"], key="count", field="user_metadata")
    assert [e["new_value"] for e in counts] == [4, 3, 2, 1, 0]
    page = api.get(
        f"{path}/metadata-history", key="count", per_page=2, page=1, include_totals="true"
    ).json()
    assert page["start"] == 2 and page["limit"] == 2 and page["length"] == 2
    assert page["total"] == 6
    assert [e["new_value"] for e in page["history"]] == [3, 2]
    assert history(api, user["user_id"], key="missing") == []


def test_bad_requests_are_refused_in_the_management_shape(api: Api) -> None:
    user = api.create_user()
    bad = api.get(f"{user_path(user['user_id'])}/metadata-history", field="client_metadata")
    assert_error(bad, 400, "invalid_query_string")
    assert_error(api.get(f"{user_path('auth0|' + '0' * 24)}/metadata-history"), 404)
    narrow = api.with_scopes("read:clients")
    assert_error(narrow.get(f"{user_path(user['user_id'])}/metadata-history"), 403)


def test_a_users_own_token_is_named_as_the_user(server: RunningServer, api: Api) -> None:
    app = new_app(api)
    user = api.create_user(connection=app.connection, user_metadata={"theme": "dark"})
    scope = "read:current_user update:current_user_metadata"
    response = login(server, app, user["email"], audience=server.audience, scope=scope)
    own = Api(server, tokens(response)["access_token"])
    changed = own.patch(user_path(user["user_id"]), {"user_metadata": {"theme": "light"}})
    assert changed.status_code == 200, changed.text
    (entry,) = history(api, user["user_id"])
    assert entry["changed_by"] == {"type": "user", "id": user["user_id"], "name": None}
    assert (entry["old_value"], entry["new_value"]) == ("dark", "light")


def test_an_action_and_a_rule_are_named(server: RunningServer, api: Api, hooks: Hooks) -> None:
    app = hook_app(api)
    rule = hooks.rule(
        guarded_rule(
            app.client_id,
            """
  auth0.users.updateAppMetadata(user.user_id, {tier: 'silver'})
    .then(function () { callback(null, user, context); }, callback);
""",
        )
    )
    action = hooks.action(
        guarded(app.client_id, "  api.user.setUserMetadata('seen', event.stats.logins_count);")
    )
    user = api.create_user(connection=app.connection, user_metadata={"theme": "dark"})
    tokens(login(server, app, user["email"], scope="openid"))
    entries = {e["key"]: e for e in history(api, user["user_id"])}
    assert set(entries) == {"tier", "seen"}
    assert entries["tier"]["changed_by"] == {"type": "rule", "id": None, "name": rule["name"]}
    assert entries["tier"]["field"] == "app_metadata"
    assert entries["seen"]["changed_by"] == {"type": "action", "id": None, "name": action["name"]}
    assert (entries["seen"]["old_value"], entries["seen"]["new_value"]) == (None, 1)
    # Both in the login's one write: one moment
    assert entries["tier"]["changed_at"] == entries["seen"]["changed_at"]
    tokens(login(server, app, user["email"], scope="openid"))
    seen = history(api, user["user_id"], key="seen")
    assert [(e["old_value"], e["new_value"]) for e in seen] == [(1, 2), (None, 1)]


def test_an_import_upsert_is_named_by_its_job(api: Api) -> None:
    app = new_app(api)
    email = unique_email("imported")
    first = run_import(
        api, [{"email": email, "user_metadata": {"a": 1, "b": 2}}], connection_id=app.connection_id
    )
    assert first["summary"]["inserted"] == 1
    (user,) = api.get("/api/v2/users-by-email", email=email).json()
    assert history(api, user["user_id"]) == []  # an inserted user has no history yet
    row = {"email": email, "user_metadata": {"a": 1, "c": 3}, "app_metadata": {"plan": "x"}}
    second = run_import(api, [row], connection_id=app.connection_id, upsert="true")
    assert second["summary"]["updated"] == 1
    entries = history(api, user["user_id"])
    assert summary(entries) == [
        ("app_metadata", "plan", None, "x"),
        ("user_metadata", "c", None, 3),
        ("user_metadata", "b", 2, None),
    ]
    assert {e["changed_by"]["type"] for e in entries} == {"job"}
    assert {e["changed_by"]["id"] for e in entries} == {second["id"]}


def test_a_dashboard_administrator_is_named(server: RunningServer, api: Api) -> None:
    admin = new_admin(server, api)
    user = api.create_user(user_metadata={"theme": "dark"})
    browser = signed_in_client(server, admin)  # shared by the tests: not closed here
    page = browser.get(f"/admin/users/{user['user_id']}")
    assert page.status_code == 200, page.text
    done = browser.post(
        f"/admin/users/{user['user_id']}?do=user_metadata",
        data={"csrf": csrf_of(page), "user_metadata": '{"theme": "light"}'},
        follow_redirects=False,
    )
    assert done.status_code in (302, 303), done.text
    # The user's page lists the change, escaped, with who made it
    page = browser.get(f"/admin/users/{user['user_id']}")
    assert page.status_code == 200, page.text
    shown = page.text[page.text.index('id="metadata-history"') :]
    assert "<code>user_metadata.theme</code>" in shown
    assert "<code>&#34;dark&#34;</code>" in shown and "<code>&#34;light&#34;</code>" in shown
    assert f"admin {admin.email}" in shown
    (entry,) = history(api, user["user_id"])
    assert entry["changed_by"] == {"type": "admin", "id": admin.user_id, "name": admin.email}


def test_client_metadata_has_its_history(api: Api) -> None:
    created = api.post("/api/v2/clients", {"name": "history", "client_metadata": {"a": "1"}})
    client_id = created.json()["client_id"]
    path = f"/api/v2/clients/{client_id}"
    assert api.patch(path, {"client_metadata": {"a": "2", "b": "x"}}).status_code == 200
    assert api.patch(path, {"name": "renamed"}).status_code == 200
    response = api.get(f"{path}/metadata-history")
    assert response.status_code == 200, response.text
    entries = response.json()
    assert summary(entries) == [
        ("client_metadata", "b", None, "x"),
        ("client_metadata", "a", "1", "2"),
    ]
    assert entries[0]["client_id"] == client_id
    assert entries[0]["changed_by"]["type"] == "client"
    assert_error(api.get("/api/v2/clients/nosuchclient0000/metadata-history"), 404)
    api.delete(path)


def test_a_deleted_users_history_is_deleted_with_them(api: Api) -> None:
    user = api.create_user(user_metadata={"a": 1})
    user_id = user["user_id"]
    assert api.patch(user_path(user_id), {"user_metadata": {"a": 2}}).status_code == 200
    assert len(history(api, user_id)) == 1
    assert api.delete(user_path(user_id)).status_code == 204
    # The same user_id again: a new user, with none of the old one's history
    local = user_id.removeprefix("auth0|")
    again = api.create_user(user_id=local, email=user["email"])
    assert again["user_id"] == user_id
    assert history(api, user_id) == []


@pytest.fixture(scope="module")
def forgetful(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    """A server keeping history for two seconds, and deleting what is older every 0.2 s."""
    env = {
        "SELFAUTH_METADATA_HISTORY_DAYS": str(2 / 86_400),
        "SELFAUTH_METADATA_HISTORY_PURGE_SECONDS": "0.2",
    }
    with serving("sqlite", tmp_path_factory.mktemp("forgetful"), env) as running:
        made = Api(running, running.admin_token())
        try:
            yield made
        finally:
            made.http.close()


@pytest.mark.sqlite_only
def test_entries_past_the_retention_period_are_deleted(forgetful: Api) -> None:
    user = forgetful.create_user()
    path = user_path(user["user_id"])
    assert forgetful.patch(path, {"user_metadata": {"a": 1}}).status_code == 200
    assert len(history(forgetful, user["user_id"])) == 1
    assert eventually(lambda: history(forgetful, user["user_id"]) == [], seconds=10)
    assert forgetful.user(user["user_id"])["user_metadata"] == {"a": 1}


@pytest.mark.sqlite_only
def test_history_turned_off_records_nothing(tmp_path_factory: pytest.TempPathFactory) -> None:
    env = {"SELFAUTH_METADATA_HISTORY": "off"}
    with serving("sqlite", tmp_path_factory.mktemp("no-history"), env) as running:
        api = Api(running, running.admin_token())
        try:
            user = api.create_user(user_metadata={"a": 1})
            assert api.patch(user_path(user["user_id"]), {"user_metadata": {"a": 2}}).status_code
            assert api.user(user["user_id"])["user_metadata"] == {"a": 2}
            assert history(api, user["user_id"]) == []
        finally:
            api.http.close()
