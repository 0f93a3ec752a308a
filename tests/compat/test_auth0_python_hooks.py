"""auth0-python 4.13's `Rules`, `RulesConfigs` and `Actions`, unchanged, against selfauth.

These check what a client library sees on the wire; the api and storage tests cover each
database: this module runs on SQLite."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import pytest
from auth0.exceptions import Auth0Error
from auth0.management import Actions, Rules, RulesConfigs

from tests.support.api import unique
from tests.support.sdk import domain_of
from tests.support.server import RunningServer

pytestmark = pytest.mark.sqlite_only

SCRIPT = "function (user, context, callback) {\n  callback(null, user, context);\n}"
CODE = "exports.onExecutePostLogin = async (event, api) => {};"


@pytest.fixture
def rules(server: RunningServer) -> Rules:
    return Rules(domain_of(server), server.admin_token(), protocol="http")


@pytest.fixture
def rules_configs(server: RunningServer) -> RulesConfigs:
    return RulesConfigs(domain_of(server), server.admin_token(), protocol="http")


@pytest.fixture
def actions(server: RunningServer) -> Iterator[Actions]:
    sdk = Actions(domain_of(server), server.admin_token(), protocol="http")
    yield sdk
    # Leave no bindings behind for other tests on the same server.
    with contextlib.suppress(Auth0Error):
        sdk.update_trigger_bindings("post-login", {"bindings": []})


def test_rules_round_trip(rules: Rules) -> None:
    name = unique("rule")
    created = rules.create({"name": name, "script": SCRIPT, "order": 5})
    assert created["id"].startswith("rul_") and created["stage"] == "login_success"
    assert rules.get(created["id"]) == created
    assert rules.get(created["id"], fields=["name"]) == {"name": name}
    listed = rules.all(per_page=100)  # sends stage=login_success&enabled=true
    assert created["id"] in {r["id"] for r in listed}
    totals = rules.all(include_totals=True, per_page=1)
    assert totals["total"] >= 1 and len(totals["rules"]) == 1
    updated = rules.update(created["id"], {"enabled": False})
    assert updated["enabled"] is False
    assert created["id"] not in {r["id"] for r in rules.all(per_page=100)}
    assert created["id"] in {r["id"] for r in rules.all(enabled=False, per_page=100)}
    rules.delete(created["id"])
    with pytest.raises(Auth0Error) as raised:
        rules.get(created["id"])
    assert raised.value.status_code == 404 and raised.value.error_code == "inexistent_rule"


def test_rule_errors_reach_the_sdk_in_auth0s_shape(rules: Rules) -> None:
    with pytest.raises(Auth0Error) as raised:
        rules.create({"name": unique("rule"), "script": SCRIPT, "stage": "pre_authorize"})
    assert raised.value.status_code == 400 and raised.value.error_code == "invalid_body"
    broken = "function (user, context, callback) {\n  callback(null, user, context;\n}"
    with pytest.raises(Auth0Error) as raised:
        rules.create({"name": unique("rule"), "script": broken})
    assert "line 2" in raised.value.message


def test_rules_configs_set_list_unset(rules_configs: RulesConfigs) -> None:
    key = unique("KEY").replace("-", "_")
    assert rules_configs.set(key, "value-1") == {"key": key, "value": "value-1"}
    assert {"key": key} in rules_configs.all()
    rules_configs.unset(key)
    assert {"key": key} not in rules_configs.all()


def test_actions_create_deploy_bind_and_delete(actions: Actions) -> None:
    name = unique("action")
    created = actions.create_action(
        {
            "name": name,
            "supported_triggers": [{"id": "post-login", "version": "v3"}],
            "code": CODE,
            "secrets": [{"name": "API_KEY", "value": "k-1"}],
        }
    )
    assert created["status"] == "built" and created["secrets"][0]["name"] == "API_KEY"
    assert actions.get_action(created["id"])["name"] == name
    listed = actions.get_actions(action_name=name)  # also sends installed=false
    assert [a["id"] for a in listed["actions"]] == [created["id"]]
    first = actions.deploy_action(created["id"])
    assert first["number"] == 1 and first["deployed"] is True
    actions.update_action(created["id"], {"code": CODE.replace("{}", "{ /* 2 */ }")})
    second = actions.deploy_action(created["id"])
    versions = actions.get_action_versions(created["id"])
    assert [v["id"] for v in versions["versions"]] == [second["id"], first["id"]]
    assert actions.get_action_version(created["id"], first["id"])["code"] == CODE
    rolled = actions.rollback_action_version(created["id"], first["id"])
    assert rolled["number"] == 3 and rolled["code"] == CODE
    assert "post-login" in {t["id"] for t in actions.get_triggers()["triggers"]}
    bindings = actions.update_trigger_bindings(
        "post-login",
        {
            "bindings": [
                {"ref": {"type": "action_id", "value": created["id"]}, "display_name": name}
            ]
        },
    )
    assert bindings["bindings"][0]["action"]["id"] == created["id"]
    assert actions.get_trigger_bindings("post-login")["bindings"][0]["display_name"] == name
    with pytest.raises(Auth0Error) as raised:
        actions.delete_action(created["id"])
    assert raised.value.status_code == 409
    actions.delete_action(created["id"], force=True)
    assert actions.get_trigger_bindings("post-login")["bindings"] == []
    with pytest.raises(Auth0Error) as raised:
        actions.get_action(created["id"])
    assert raised.value.status_code == 404


def test_npm_dependencies_are_recorded_through_the_sdk(actions: Actions) -> None:
    """Auth0's shape is kept (a tool re-sends what it read); nothing is installed: a `require`
    fails when the code runs (tests/api/test_actions.py)."""
    dependencies = [{"name": "axios", "version": "1.7.0"}]
    created = actions.create_action(
        {
            "name": unique("action"),
            "supported_triggers": [{"id": "post-login", "version": "v3"}],
            "code": CODE,
            "dependencies": dependencies,
            "runtime": "node18",
        }
    )
    read = actions.get_action(created["id"])
    assert read["dependencies"] == dependencies and read["runtime"] == "node18"
