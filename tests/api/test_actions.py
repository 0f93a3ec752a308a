"""`/api/v2/actions`: drafts, secrets, dependencies, runtimes, deploys, versions, rollbacks,
triggers and bindings, each answered with the keys Auth0 answers (tests/compat/recordings); and
at login, a post-login v2 action, and `require` of a module selfauth does not provide.

Drafts, versions and bindings in the database are tested on every database in
tests/storage/test_actions.py: this module runs on SQLite, all but the concurrent deploys and
patches, which run on both."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from tests.support.api import Api
from tests.support.api import assert_coded_error as error
from tests.support.hooks import Hooks, guarded, hook_app, results_of
from tests.support.hooks import hooks as hooks
from tests.support.server import RunningServer
from tests.support.signin import assert_oauth_error, claims, login, tokens

pytestmark = pytest.mark.sqlite_only

ACTIONS = "/api/v2/actions/actions"
TRIGGERS = "/api/v2/actions/triggers"
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
CODE = "exports.onExecutePostLogin = async (event, api) => {};"
POST_LOGIN = [{"id": "post-login", "version": "v3"}]
BROKEN = "exports.onExecutePostLogin = async (event, api) => {\n  api.idToken.setCustomClaim(;\n};"
LODASH = [
    {"name": "lodash", "version": "4.0.0", "registry_url": "https://www.npmjs.com/package/lodash"}
]
# The keys of Auth0's answers, as recorded against real tenants (tests/compat/recordings).
ACTION_KEYS = {
    "id",
    "name",
    "supported_triggers",
    "all_changes_deployed",
    "created_at",
    "updated_at",
    "code",
    "dependencies",
    "runtime",
    "secrets",
    "status",
}
DEPLOYED_KEYS = {"deployed_version", "current_version"}
BASE_KEYS = {"id", "name", "supported_triggers", "all_changes_deployed", "created_at", "updated_at"}
VERSION_KEYS = {
    "id",
    "code",
    "dependencies",
    "deployed",
    "runtime",
    "secrets",
    "status",
    "number",
    "built_at",
    "created_at",
    "updated_at",
    "supported_triggers",
}
CURRENT_VERSION_KEYS = {
    "id",
    "code",
    "runtime",
    "status",
    "number",
    "build_time",
    "created_at",
    "updated_at",
}


def unique_name() -> str:
    return f"action-{uuid.uuid4().hex[:12]}"


def create_action(api: Api, **fields: Any) -> dict[str, Any]:
    body = {"name": unique_name(), "supported_triggers": POST_LOGIN, "code": CODE, **fields}
    response = api.post(ACTIONS, body)
    assert response.status_code == 201, response.text
    action: dict[str, Any] = response.json()
    return action


def deploy(api: Api, action_id: str) -> dict[str, Any]:
    response = api.post(f"{ACTIONS}/{action_id}/deploy")
    assert response.status_code == 200, response.text
    version: dict[str, Any] = response.json()
    return version


def get_action(api: Api, action_id: str) -> dict[str, Any]:
    response = api.get(f"{ACTIONS}/{action_id}")
    assert response.status_code == 200, response.text
    action: dict[str, Any] = response.json()
    return action


def bind(api: Api, trigger: str, *actions: dict[str, Any]) -> Any:
    refs = [{"ref": {"type": "action_id", "value": a["id"]}} for a in actions]
    return api.patch(f"{TRIGGERS}/{trigger}/bindings", {"bindings": refs})


def bound_ids(api: Api, trigger: str = "post-login") -> list[str]:
    response = api.get(f"{TRIGGERS}/{trigger}/bindings")
    assert response.status_code == 200, response.text
    return [b["action"]["id"] for b in response.json()["bindings"]]


@pytest.fixture(autouse=True)
def no_bindings(api: Api) -> Iterator[None]:
    """Tests share one server: each starts, and leaves it, with no post-login bindings."""
    assert api.patch(f"{TRIGGERS}/post-login/bindings", {"bindings": []}).status_code == 200
    yield
    assert api.patch(f"{TRIGGERS}/post-login/bindings", {"bindings": []}).status_code == 200


# --- actions ---------------------------------------------------------------------------------


def test_a_created_action_has_auth0s_shape(api: Api) -> None:
    name = unique_name()
    body = {"name": name, "supported_triggers": [{"id": "post-login"}], "code": CODE}
    response = api.post(ACTIONS, body)
    assert response.status_code == 201, response.text
    action = response.json()
    assert UUID.match(action["id"])
    assert action["name"] == name
    assert action["supported_triggers"] == POST_LOGIN
    assert action["code"] == CODE
    assert action["dependencies"] == [] and action["secrets"] == []
    assert action["runtime"] == "node22"
    assert action["status"] == "built"
    assert action["all_changes_deployed"] is False
    assert set(action) == ACTION_KEYS
    for stamp in ("created_at", "updated_at"):
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", action[stamp])
    assert get_action(api, action["id"]) == action


def test_names_are_unique(api: Api) -> None:
    action = create_action(api)
    again = api.post(ACTIONS, {"name": action["name"], "supported_triggers": POST_LOGIN})
    error(again, 409)


def test_the_four_triggers_are_accepted_at_the_versions_selfauth_runs(api: Api) -> None:
    for trigger in ("pre-user-registration", "post-user-registration", "credentials-exchange"):
        action = create_action(api, supported_triggers=[{"id": trigger}], code="")
        assert action["supported_triggers"] == [{"id": trigger, "version": "v2"}]
    v2 = create_action(api, supported_triggers=[{"id": "post-login", "version": "v2"}])
    assert v2["supported_triggers"] == [{"id": "post-login", "version": "v2"}]
    assert get_action(api, v2["id"])["supported_triggers"][0]["version"] == "v2"
    assert deploy(api, v2["id"])["supported_triggers"][0]["version"] == "v2"
    # A trigger read from GET /actions/triggers can be sent back as is.
    read = next(t for t in api.get(TRIGGERS).json()["triggers"] if t["version"] == "v3")
    assert create_action(api, supported_triggers=[read])["supported_triggers"] == POST_LOGIN
    for triggers, message in (
        ([{"id": "post-change-password", "version": "v2"}], "not run by selfauth"),
        ([{"id": "send-phone-message"}], "not run by selfauth"),
        ([{"id": "post-login", "version": "v1"}], "v3 or v2"),
        ([{"id": "credentials-exchange", "version": "v1"}], "v2"),
        ([{"id": "no-such-trigger"}], "No enum match"),
        ([{"id": "post-login", "colour": "red"}], "Additional properties"),
        ([], "exactly one trigger"),
        ([{"id": "post-login"}, {"id": "credentials-exchange"}], "exactly one trigger"),
    ):
        response = api.post(
            ACTIONS, {"name": unique_name(), "supported_triggers": triggers, "code": CODE}
        )
        assert message in error(response, 400, "invalid_body")["message"], triggers


def test_dependencies_are_recorded_and_a_deploy_copies_them(api: Api) -> None:
    action = create_action(api, dependencies=LODASH)
    assert action["dependencies"] == LODASH
    assert get_action(api, action["id"])["dependencies"] == LODASH
    version = deploy(api, action["id"])
    # A version shows each package's name and version, as Auth0's do.
    assert version["dependencies"] == [{"name": "lodash", "version": "4.0.0"}]
    assert get_action(api, action["id"])["all_changes_deployed"] is True
    newer = [{"name": "lodash", "version": "4.17.21"}]
    patched = api.patch(f"{ACTIONS}/{action['id']}", {"dependencies": newer})
    assert patched.status_code == 200, patched.text
    assert patched.json()["dependencies"] == newer
    assert patched.json()["all_changes_deployed"] is False
    assert patched.json()["deployed_version"]["dependencies"][0]["version"] == "4.0.0"
    for dependencies in (
        [{"version": "1.0.0"}],
        [{"name": ""}],
        [{"name": "lodash", "integrity": "sha512-x"}],
        [{"name": "lodash", "version": 4}],
        {"name": "lodash"},
    ):
        body = {
            "name": unique_name(),
            "supported_triggers": POST_LOGIN,
            "dependencies": dependencies,
        }
        error(api.post(ACTIONS, body), 400, "invalid_body")


def test_action_modules_are_refused_with_a_clear_message(api: Api) -> None:
    assert create_action(api, modules=[])["id"]
    module = {"module_id": "m1", "module_name": "shared", "module_version_number": 1}
    body = {"name": unique_name(), "supported_triggers": POST_LOGIN, "modules": [module]}
    assert "modules are not available" in error(api.post(ACTIONS, body), 400)["message"]
    body["modules"] = [{"module_id": "m1", "other": 1}]
    assert "Additional properties" in error(api.post(ACTIONS, body), 400)["message"]


def test_runtime_is_one_of_auth0s_and_answered_as_given(api: Api) -> None:
    for runtime in ("node12", "node16", "node18", "node18-actions", "node22"):
        action = create_action(api, runtime=runtime)
        assert action["runtime"] == runtime
        assert deploy(api, action["id"])["runtime"] == runtime
    body = {"name": unique_name(), "supported_triggers": POST_LOGIN, "runtime": "node10"}
    error(api.post(ACTIONS, body), 400, "invalid_body")


def test_a_read_action_can_be_sent_back_as_an_update(api: Api) -> None:
    action = create_action(
        api, dependencies=LODASH, runtime="node16", secrets=[{"name": "S", "value": "v"}]
    )
    fields = ("name", "supported_triggers", "code", "dependencies", "runtime", "secrets")
    again = api.patch(f"{ACTIONS}/{action['id']}", {k: action[k] for k in fields})
    assert again.status_code == 200, again.text
    assert {k: again.json()[k] for k in fields} == {k: action[k] for k in fields}
    error(api.patch(f"{ACTIONS}/{action['id']}", {"status": "built"}), 400, "invalid_body")


def test_code_that_does_not_compile_is_refused_with_its_line_and_column(api: Api) -> None:
    body = {"name": unique_name(), "supported_triggers": POST_LOGIN, "code": BROKEN}
    problem = error(api.post(ACTIONS, body), 400, "invalid_body")
    assert problem["line"] == 2 and isinstance(problem["column"], int)
    assert f"(line 2, column {problem['column']})" in problem["message"]
    action = create_action(api)
    error(api.patch(f"{ACTIONS}/{action['id']}", {"code": BROKEN}), 400, "invalid_body")
    assert get_action(api, action["id"])["code"] == CODE


def test_code_over_100_kb_is_refused(api: Api) -> None:
    code = CODE + "\n//" + "x" * 102_400
    body = {"name": unique_name(), "supported_triggers": POST_LOGIN, "code": code}
    assert "100 kB" in error(api.post(ACTIONS, body), 400, "invalid_body")["message"]


def test_secret_values_are_never_returned(api: Api) -> None:
    secrets = [{"name": "API_KEY", "value": "very-secret-1"}, {"name": "OTHER", "value": "v2"}]
    action = create_action(api, secrets=secrets)
    assert [s["name"] for s in action["secrets"]] == ["API_KEY", "OTHER"]
    assert all(set(s) == {"name", "updated_at"} for s in action["secrets"])
    deploy(api, action["id"])
    bind(api, "post-login", action)
    for path in (
        f"{ACTIONS}/{action['id']}",
        ACTIONS,
        f"{ACTIONS}/{action['id']}/versions",
        f"{TRIGGERS}/post-login/bindings",
    ):
        text = api.get(path).text
        assert "very-secret-1" not in text and '"value"' not in text, path


def test_patching_secrets_replaces_the_list_and_keeps_values_not_given(api: Api) -> None:
    action = create_action(
        api, secrets=[{"name": "KEEP", "value": "k"}, {"name": "DROP", "value": "d"}]
    )
    response = api.patch(
        f"{ACTIONS}/{action['id']}", {"secrets": [{"name": "KEEP"}, {"name": "NEW", "value": "n"}]}
    )
    assert response.status_code == 200, response.text
    assert [s["name"] for s in response.json()["secrets"]] == ["KEEP", "NEW"]
    kept = {s["name"]: s["updated_at"] for s in response.json()["secrets"]}
    assert kept["KEEP"] == {s["name"]: s["updated_at"] for s in action["secrets"]}["KEEP"]
    error(api.patch(f"{ACTIONS}/{action['id']}", {"secrets": [{"name": "UNSET"}]}), 400)


def test_secret_limits(api: Api) -> None:
    for secret in ({"name": "K" * 129, "value": "v"}, {"name": "K", "value": "v" * 4097}):
        body = {"name": unique_name(), "supported_triggers": POST_LOGIN, "secrets": [secret]}
        error(api.post(ACTIONS, body), 400, "invalid_body")
    ok = {"name": "K" * 128, "value": "v" * 4096}
    assert create_action(api, secrets=[ok])["secrets"][0]["name"] == ok["name"]


def test_list_filters_and_pages(api: Api) -> None:
    action = create_action(api)
    deployed = create_action(api)
    deploy(api, deployed["id"])
    by_name = api.get(ACTIONS, actionName=action["name"]).json()
    assert [a["id"] for a in by_name["actions"]] == [action["id"]]
    assert by_name == {"actions": by_name["actions"], "total": 1, "per_page": 20}
    paged = api.get(ACTIONS, actionName=action["name"], page=0, per_page=5).json()
    assert paged["page"] == 0 and paged["per_page"] == 5
    only_deployed = {
        a["id"] for a in api.get(ACTIONS, deployed="true", per_page=100).json()["actions"]
    }
    assert deployed["id"] in only_deployed and action["id"] not in only_deployed
    assert api.get(ACTIONS, installed="true").json()["actions"] == []
    assert api.get(ACTIONS, triggerId="post-change-password").json()["actions"] == []
    error(api.get(ACTIONS, triggerId="nope"), 400, "invalid_query_string")


# --- deploys, versions, rollback --------------------------------------------------------------


def test_deploy_makes_an_immutable_version(api: Api) -> None:
    action = create_action(api, secrets=[{"name": "S", "value": "1"}])
    version = deploy(api, action["id"])
    assert UUID.match(version["id"])
    assert version["action"]["id"] == action["id"] and version["number"] == 1
    assert version["code"] == CODE and version["deployed"] is True
    assert version["status"] == "built" and version["secrets"][0]["name"] == "S"
    current = get_action(api, action["id"])
    assert current["all_changes_deployed"] is True
    assert current["deployed_version"]["id"] == version["id"]
    changed = CODE.replace("{}", "{ /* v2 */ }")
    api.patch(f"{ACTIONS}/{action['id']}", {"code": changed})
    current = get_action(api, action["id"])
    assert current["all_changes_deployed"] is False
    assert current["deployed_version"]["code"] == CODE
    again = api.get(f"{ACTIONS}/{action['id']}/versions/{version['id']}").json()
    assert again["code"] == CODE and again["number"] == 1


def test_answers_have_auth0s_keys(api: Api) -> None:
    action = create_action(api)
    version = deploy(api, action["id"])
    # A deploy answers as Auth0 does before its build: without `built_at`.
    assert set(version) == VERSION_KEYS - {"built_at"} | {"action"}
    assert set(version["action"]) == BASE_KEYS
    read = get_action(api, action["id"])
    assert set(read) == ACTION_KEYS | DEPLOYED_KEYS
    assert set(read["deployed_version"]) == VERSION_KEYS
    assert set(read["current_version"]) == CURRENT_VERSION_KEYS
    assert read["current_version"]["status"] == "BUILT"
    one = api.get(f"{ACTIONS}/{action['id']}/versions/{version['id']}").json()
    assert set(one) == VERSION_KEYS | {"action"}
    listed = api.get(f"{ACTIONS}/{action['id']}/versions", per_page=50).json()
    assert set(listed) == {"versions", "total", "per_page"}
    assert set(listed["versions"][0]) == VERSION_KEYS | {"action"}
    bound = bind(api, "post-login", action).json()["bindings"][0]
    assert set(bound) == {"id", "trigger_id", "display_name", "action", "created_at", "updated_at"}
    assert set(bound["action"]) == BASE_KEYS | DEPLOYED_KEYS
    bindings = api.get(f"{TRIGGERS}/post-login/bindings", per_page=50).json()
    assert set(bindings) == {"bindings", "total", "per_page"}


def test_versions_list_newest_first_and_rollback_deploys_an_old_one_again(api: Api) -> None:
    action = create_action(api)
    first = deploy(api, action["id"])
    changed = CODE.replace("{}", "{ /* v2 */ }")
    api.patch(f"{ACTIONS}/{action['id']}", {"code": changed})
    second = deploy(api, action["id"])
    listed = api.get(f"{ACTIONS}/{action['id']}/versions").json()
    assert [v["number"] for v in listed["versions"]] == [2, 1] and listed["total"] == 2
    assert [v["deployed"] for v in listed["versions"]] == [True, False]
    response = api.post(f"{ACTIONS}/{action['id']}/versions/{first['id']}/deploy", {})
    assert response.status_code == 200, response.text
    third = response.json()
    assert third["number"] == 3 and third["code"] == CODE and third["deployed"] is True
    assert third["id"] not in (first["id"], second["id"])
    current = get_action(api, action["id"])
    assert current["deployed_version"]["id"] == third["id"]
    assert current["code"] == changed and current["all_changes_deployed"] is False
    drafted = api.post(
        f"{ACTIONS}/{action['id']}/versions/{second['id']}/deploy", {"update_draft": True}
    )
    assert drafted.status_code == 200, drafted.text
    assert get_action(api, action["id"])["all_changes_deployed"] is True


def test_a_version_deploy_takes_a_null_body_as_no_options(api: Api) -> None:
    action = create_action(api)
    first = deploy(api, action["id"])
    path = f"{ACTIONS}/{action['id']}/versions/{first['id']}/deploy"
    headers = {"content-type": "application/json"}
    response = api.http.post(path, content=b"null", headers=headers)
    assert response.status_code == 200, response.text
    assert response.json()["number"] == 2
    for body in (b"[]", b"true", b'{"update_draft": "yes"}', b'{"other": 1}', b"{"):
        error(api.http.post(path, content=body, headers=headers), 400, "invalid_body")


def test_unknown_actions_and_versions_are_404(api: Api) -> None:
    unknown = str(uuid.uuid4())
    assert error(api.get(f"{ACTIONS}/{unknown}"), 404)["message"] == "That action does not exist."
    error(api.delete(f"{ACTIONS}/{unknown}"), 404)
    error(api.patch(f"{ACTIONS}/{unknown}", {"code": CODE}), 404)
    error(api.post(f"{ACTIONS}/{unknown}/deploy"), 404)
    action = create_action(api)
    error(api.get(f"{ACTIONS}/{action['id']}/versions/{unknown}"), 404)
    error(api.post(f"{ACTIONS}/{action['id']}/versions/{unknown}/deploy", {}), 404)


# --- triggers and bindings --------------------------------------------------------------------


def test_triggers_are_the_four_selfauth_runs_at_each_version_it_accepts(api: Api) -> None:
    triggers = api.get(TRIGGERS).json()["triggers"]
    assert {(t["id"], t["version"], t["status"]) for t in triggers} == {
        ("post-login", "v3", "CURRENT"),
        ("post-login", "v2", "DEPRECATED"),
        ("pre-user-registration", "v2", "CURRENT"),
        ("post-user-registration", "v2", "CURRENT"),
        ("credentials-exchange", "v2", "CURRENT"),
    }
    for trigger in triggers:
        keys = {"id", "version", "status", "runtimes", "default_runtime", "compatible_triggers"}
        assert set(trigger) == keys
        assert trigger["runtimes"] == ["node12", "node16", "node18", "node18-actions", "node22"]
        assert trigger["default_runtime"] == "node22"
        if (trigger["id"], trigger["version"]) == ("post-login", "v3"):
            assert trigger["compatible_triggers"] == [{"id": "post-login", "version": "v2"}]
        else:
            assert trigger["compatible_triggers"] == []


def test_bindings_keep_the_given_order(api: Api) -> None:
    one, two, three = (create_action(api) for _ in range(3))
    for action in (one, two, three):
        deploy(api, action["id"])
    response = bind(api, "post-login", two, three, one)
    assert response.status_code == 200, response.text
    assert [b["action"]["id"] for b in response.json()["bindings"]] == [
        two["id"],
        three["id"],
        one["id"],
    ]
    assert bound_ids(api) == [two["id"], three["id"], one["id"]]
    by_name = {"ref": {"type": "action_name", "value": one["name"]}, "display_name": "first"}
    response = api.patch(f"{TRIGGERS}/post-login/bindings", {"bindings": [by_name]})
    assert response.status_code == 200, response.text
    listed = api.get(f"{TRIGGERS}/post-login/bindings").json()
    assert listed["total"] == 1
    binding = listed["bindings"][0]
    assert binding["display_name"] == "first" and binding["trigger_id"] == "post-login"
    assert binding["action"]["id"] == one["id"]
    keep = {"ref": {"type": "binding_id", "value": binding["id"]}}
    again = api.patch(f"{TRIGGERS}/post-login/bindings", {"bindings": [keep]}).json()
    assert again["bindings"][0]["id"] == binding["id"]


def test_only_deployed_actions_of_the_trigger_can_be_bound(api: Api) -> None:
    draft = create_action(api)
    message = error(bind(api, "post-login", draft), 400, "invalid_body")["message"]
    assert "deploy" in message
    other = create_action(api, supported_triggers=[{"id": "credentials-exchange"}], code="")
    deploy(api, other["id"])
    error(bind(api, "post-login", other), 400, "invalid_body")
    deployed = create_action(api)
    deploy(api, deployed["id"])
    error(bind(api, "post-login", deployed, deployed), 400, "invalid_body")
    assert bound_ids(api) == []
    error(bind(api, "post-change-password", deployed), 400)
    error(bind(api, "no-such-trigger", deployed), 400)
    # Auth0's other triggers run nothing in selfauth: they have no bindings.
    assert api.get(f"{TRIGGERS}/send-phone-message/bindings").json()["bindings"] == []
    emptied = api.patch(f"{TRIGGERS}/send-phone-message/bindings", {"bindings": []})
    assert emptied.status_code == 200 and emptied.json() == {"bindings": []}
    error(api.get(f"{TRIGGERS}/no-such-trigger/bindings"), 400)
    missing = {"ref": {"type": "action_id", "value": str(uuid.uuid4())}}
    error(api.patch(f"{TRIGGERS}/post-login/bindings", {"bindings": [missing]}), 400)


def test_a_bound_action_cannot_be_deleted_unless_forced(api: Api) -> None:
    action = create_action(api)
    deploy(api, action["id"])
    assert bind(api, "post-login", action).status_code == 200
    error(api.delete(f"{ACTIONS}/{action['id']}"), 409)
    assert get_action(api, action["id"])["id"] == action["id"]
    assert api.http.delete(f"{ACTIONS}/{action['id']}", params={"force": "true"}).status_code == 204
    assert bound_ids(api) == []
    error(api.get(f"{ACTIONS}/{action['id']}"), 404)


def test_an_unbound_action_is_deleted_with_its_versions(api: Api) -> None:
    action = create_action(api)
    version = deploy(api, action["id"])
    assert api.delete(f"{ACTIONS}/{action['id']}").status_code == 204
    error(api.get(f"{ACTIONS}/{action['id']}/versions/{version['id']}"), 404)


def test_a_bound_action_keeps_its_trigger(api: Api) -> None:
    action = create_action(api)
    deploy(api, action["id"])
    bind(api, "post-login", action)
    change = {"supported_triggers": [{"id": "credentials-exchange"}], "code": ""}
    error(api.patch(f"{ACTIONS}/{action['id']}", change), 400, "invalid_body")


def test_each_operation_needs_its_scope(api: Api) -> None:
    action = create_action(api)
    reader = api.with_scopes("read:actions")
    assert reader.get(f"{ACTIONS}/{action['id']}").status_code == 200
    assert reader.get(TRIGGERS).status_code == 200
    for response in (
        reader.post(ACTIONS, {"name": unique_name(), "supported_triggers": POST_LOGIN}),
        reader.patch(f"{ACTIONS}/{action['id']}", {"code": CODE}),
        reader.post(f"{ACTIONS}/{action['id']}/deploy"),
        reader.patch(f"{TRIGGERS}/post-login/bindings", {"bindings": []}),
        reader.delete(f"{ACTIONS}/{action['id']}"),
    ):
        error(response, 403, "insufficient_scope")
    writer = api.with_scopes("create:actions", "update:actions", "delete:actions")
    error(writer.get(ACTIONS), 403, "insufficient_scope")
    assert writer.post(f"{ACTIONS}/{action['id']}/deploy").status_code == 200
    assert writer.patch(f"{ACTIONS}/{action['id']}", {"code": CODE}).status_code == 200
    assert writer.patch(f"{TRIGGERS}/post-login/bindings", {"bindings": []}).status_code == 200
    assert writer.delete(f"{ACTIONS}/{action['id']}").status_code == 204


# --- at login ---------------------------------------------------------------------------------


def bound_v2(api: Api, hooks: Hooks, code: str) -> dict[str, Any]:
    """A post-login v2 action as go-auth0's tests make one (lodash, node16): deployed, bound,
    and removed by `hooks` afterwards."""
    action = create_action(
        api,
        supported_triggers=[{"id": "post-login", "version": "v2"}],
        dependencies=LODASH,
        runtime="node16",
        code=code,
    )
    hooks.actions.append(action["id"])
    deploy(api, action["id"])
    hooks.bind("post-login", action)
    return action


def test_a_post_login_v2_action_runs_at_login(
    server: RunningServer, api: Api, hooks: Hooks
) -> None:
    app = hook_app(api)
    body = """
  api.idToken.setCustomClaim('https://ns.example.com/trigger', 'v2');
  api.user.setAppMetadata('seen', event.user.email);
"""
    bound_v2(api, hooks, guarded(app.client_id, body))
    user = api.create_user(connection=app.connection)
    issued = tokens(login(server, app, user["email"], scope="openid"))
    assert claims(issued["id_token"])["https://ns.example.com/trigger"] == "v2"
    assert api.user(user["user_id"])["app_metadata"] == {"seen": user["email"]}


def test_require_of_a_dependency_fails_the_action_naming_the_module(
    server: RunningServer, api: Api, hooks: Hooks
) -> None:
    app = hook_app(api)
    body = """
  const _ = require('lodash');
  api.idToken.setCustomClaim('https://ns.example.com/lodash', _.VERSION);
"""
    action = bound_v2(api, hooks, guarded(app.client_id, body))
    user = api.create_user(connection=app.connection)
    denied = assert_oauth_error(login(server, app, user["email"]), 403, "access_denied")
    assert action["name"] in denied["error_description"]
    result = next(r for r in results_of(api, user["user_id"]) if r["action_name"] == action["name"])
    assert result["status"] == "error"
    message = result["error"]["msg"]
    assert "Cannot find module 'lodash'" in message
    assert "does not install npm dependencies" in message


def test_a_missing_module_has_nodes_error_code(
    server: RunningServer, api: Api, hooks: Hooks
) -> None:
    app = hook_app(api)
    body = """
  let code = 'loaded';
  try { require('crypto'); } catch (e) { code = e.code; }
  api.idToken.setCustomClaim('https://ns.example.com/code', code);
"""
    bound_v2(api, hooks, guarded(app.client_id, body))
    user = api.create_user(connection=app.connection)
    issued = tokens(login(server, app, user["email"], scope="openid"))
    assert claims(issued["id_token"])["https://ns.example.com/code"] == "MODULE_NOT_FOUND"


@pytest.mark.both_databases
def test_concurrent_deploys_each_make_their_own_version(api: Api) -> None:
    action = create_action(api)
    with ThreadPoolExecutor(max_workers=8) as pool:
        versions = list(pool.map(lambda _: deploy(api, action["id"]), range(8)))
    assert sorted(v["number"] for v in versions) == list(range(1, 9))
    listed = api.get(f"{ACTIONS}/{action['id']}/versions").json()
    assert listed["total"] == 8


@pytest.mark.both_databases
def test_concurrent_patches_of_different_fields_all_stay(api: Api) -> None:
    action = create_action(api, secrets=[{"name": "A", "value": "a"}])
    renamed = unique_name()
    changes: list[dict[str, Any]] = [
        {"name": renamed},
        {"code": CODE.replace("{}", "{ /* changed */ }")},
        {"runtime": "node18"},
    ]
    with ThreadPoolExecutor(max_workers=3) as pool:
        statuses = list(
            pool.map(lambda c: api.patch(f"{ACTIONS}/{action['id']}", c).status_code, changes)
        )
    assert statuses == [200, 200, 200]
    current = get_action(api, action["id"])
    assert current["name"] == renamed and current["runtime"] == "node18"
    assert "changed" in current["code"] and current["secrets"][0]["name"] == "A"
