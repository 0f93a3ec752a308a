"""`/api/v2/rules`: shapes, ids, names, order, stage, script checks and scopes.

Rules in the database (orders, unique names, single-statement updates) are tested on every
database in tests/storage/test_rules.py: this module runs on SQLite, all but the concurrent
creations, which run on both."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from tests.support.api import Api
from tests.support.api import assert_coded_error as error

pytestmark = pytest.mark.sqlite_only

RULES = "/api/v2/rules"
SCRIPT = "function (user, context, callback) {\n  callback(null, user, context);\n}"


@pytest.fixture(scope="module", autouse=True)
def rules_left_behind_are_removed(api: Api) -> Iterator[None]:
    """Enabled rules run on every login of the shared server: the ones this module made are
    deleted when it ends, so later modules' logins (and their execution records) see none."""
    before = {rule["id"] for rule in all_rules(api)}
    yield
    for rule in all_rules(api):
        if rule["id"] not in before:
            assert api.delete(f"{RULES}/{rule['id']}").status_code == 204


def unique_name() -> str:
    return f"rule {uuid.uuid4().hex[:12]}"


def create_rule(api: Api, **fields: Any) -> dict[str, Any]:
    response = api.post(RULES, {"name": unique_name(), "script": SCRIPT, **fields})
    assert response.status_code == 201, response.text
    rule: dict[str, Any] = response.json()
    return rule


def all_rules(api: Api, **params: Any) -> list[dict[str, Any]]:
    response = api.get(RULES, per_page=100, **params)
    assert response.status_code == 200, response.text
    found: list[dict[str, Any]] = response.json()
    return found


def test_create_returns_the_rule_with_an_auth0_style_id(api: Api) -> None:
    name = unique_name()
    response = api.post(RULES, {"name": name, "script": SCRIPT, "order": 7, "enabled": False})
    assert response.status_code == 201, response.text
    rule = response.json()
    assert re.fullmatch(r"rul_[A-Za-z0-9]{16}", rule["id"])
    assert rule == {
        "id": rule["id"],
        "name": name,
        "script": SCRIPT,
        "order": 7,
        "enabled": False,
        "stage": "login_success",
    }
    assert api.get(f"{RULES}/{rule['id']}").json() == rule


def test_a_rule_is_enabled_by_default_and_runs_last_without_an_order(api: Api) -> None:
    create_rule(api, order=900_000)
    rule = create_rule(api)
    assert rule["enabled"] is True
    assert rule["order"] == max(r["order"] for r in all_rules(api))
    assert rule["order"] > 900_000


def test_names_are_unique(api: Api) -> None:
    rule = create_rule(api)
    again = api.post(RULES, {"name": rule["name"], "script": SCRIPT})
    body = error(again, 409)
    assert rule["name"] in body["message"]
    other = create_rule(api)
    renamed = api.patch(f"{RULES}/{other['id']}", {"name": rule["name"]})
    error(renamed, 409)
    assert api.get(f"{RULES}/{other['id']}").json()["name"] == other["name"]


def test_names_follow_auth0s_pattern(api: Api) -> None:
    for name in ("", " leading", "trailing ", "under_score", "a" * 256):
        response = api.post(RULES, {"name": name, "script": SCRIPT})
        body = error(response, 400, "invalid_body")
        assert "name" in body["message"]


def test_only_the_login_success_stage_is_accepted(api: Api) -> None:
    for stage in ("login_failure", "pre_authorize", "anything"):
        response = api.post(RULES, {"name": unique_name(), "script": SCRIPT, "stage": stage})
        body = error(response, 400, "invalid_body")
        assert "login_success" in body["message"]
        assert stage in body["message"]
    assert create_rule(api, stage="login_success")["stage"] == "login_success"


def test_bad_bodies_are_refused_without_writing(api: Api) -> None:
    name = unique_name()
    cases: list[dict[str, Any]] = [
        {"name": name},
        {"script": SCRIPT},
        {"name": name, "script": ""},
        {"name": name, "script": SCRIPT, "order": -1},
        {"name": name, "script": SCRIPT, "order": "1"},
        {"name": name, "script": SCRIPT, "enabled": "yes"},
        {"name": name, "script": SCRIPT, "id": "rul_0000000000000000"},
    ]
    for body in cases:
        error(api.post(RULES, body), 400, "invalid_body")
    assert name not in {r["name"] for r in all_rules(api)}


def test_a_script_over_100_kb_is_refused(api: Api) -> None:
    script = "function (user, context, callback) {\n" + "//" + "x" * 102_400 + "\n}"
    body = error(api.post(RULES, {"name": unique_name(), "script": script}), 400, "invalid_body")
    assert "100 kB" in body["message"]


def test_a_script_that_does_not_compile_is_refused_with_its_line_and_column(api: Api) -> None:
    script = "function (user, context, callback) {\n  callback(null, user, context;\n}"
    response = api.post(RULES, {"name": unique_name(), "script": script})
    body = error(response, 400, "invalid_body")
    assert isinstance(body["line"], int) and isinstance(body["column"], int)
    assert f"(line {body['line']}, column {body['column']})" in body["message"]
    rule = create_rule(api)
    error(api.patch(f"{RULES}/{rule['id']}", {"script": script}), 400, "invalid_body")
    assert api.get(f"{RULES}/{rule['id']}").json()["script"] == SCRIPT


def test_patch_changes_only_the_given_fields(api: Api) -> None:
    rule = create_rule(api, order=3)
    script = SCRIPT.replace("callback(null", "context.idToken['https://x/y'] = 1;\n  callback(null")
    response = api.patch(f"{RULES}/{rule['id']}", {"script": script, "enabled": False})
    assert response.status_code == 200, response.text
    assert response.json() == {**rule, "script": script, "enabled": False}
    error(api.patch(f"{RULES}/{rule['id']}", {}), 400, "invalid_body")
    error(api.patch(f"{RULES}/{rule['id']}", {"stage": "pre_authorize"}), 400, "invalid_body")


def test_list_filters_on_enabled_and_pages_with_totals(api: Api) -> None:
    on = create_rule(api)
    off = create_rule(api, enabled=False)
    enabled_ids = {r["id"] for r in all_rules(api, enabled="true")}
    disabled_ids = {r["id"] for r in all_rules(api, enabled="false")}
    assert on["id"] in enabled_ids and off["id"] not in enabled_ids
    assert off["id"] in disabled_ids and on["id"] not in disabled_ids
    page = api.get(RULES, per_page=1, page=0, include_totals="true").json()
    # Auth0's rules list has no `length` (only the users list has one).
    assert set(page) == {"start", "limit", "total", "rules"}
    assert page["start"] == 0 and page["limit"] == 1
    assert page["total"] >= 2 and len(page["rules"]) == 1
    picked = api.get(RULES, fields="id,name", per_page=1).json()
    assert set(picked[0]) == {"id", "name"}


def test_rules_list_in_run_order(api: Api) -> None:
    orders = [r["order"] for r in all_rules(api)]
    assert orders == sorted(orders)


def test_delete_removes_the_rule(api: Api) -> None:
    rule = create_rule(api)
    assert api.delete(f"{RULES}/{rule['id']}").status_code == 204
    error(api.get(f"{RULES}/{rule['id']}"), 404, "inexistent_rule")
    # Deleting it again is no error, as on Auth0.
    again = api.delete(f"{RULES}/{rule['id']}")
    assert again.status_code == 204 and again.content == b""
    assert api.delete(f"{RULES}/rul_0000000000000000").status_code == 204
    error(api.patch(f"{RULES}/{rule['id']}", {"enabled": True}), 404, "inexistent_rule")


def test_a_malformed_id_is_a_bad_request(api: Api) -> None:
    error(api.get(f"{RULES}/not-a-rule-id"), 400, "invalid_uri")


def test_each_operation_needs_its_scope(api: Api) -> None:
    rule = create_rule(api)
    reader = api.with_scopes("read:rules")
    assert reader.get(f"{RULES}/{rule['id']}").status_code == 200
    for response in (
        reader.post(RULES, {"name": unique_name(), "script": SCRIPT}),
        reader.patch(f"{RULES}/{rule['id']}", {"enabled": False}),
        reader.delete(f"{RULES}/{rule['id']}"),
    ):
        error(response, 403, "insufficient_scope")
    writer = api.with_scopes("create:rules", "update:rules", "delete:rules")
    error(writer.get(RULES), 403, "insufficient_scope")
    assert writer.post(RULES, {"name": unique_name(), "script": SCRIPT}).status_code == 201
    assert writer.patch(f"{RULES}/{rule['id']}", {"enabled": False}).status_code == 200
    assert writer.delete(f"{RULES}/{rule['id']}").status_code == 204


@pytest.mark.both_databases
def test_concurrent_creates_without_order_each_run_after_the_last(api: Api) -> None:
    with ThreadPoolExecutor(max_workers=6) as pool:
        created = list(pool.map(lambda _: create_rule(api), range(6)))
    orders = sorted(rule["order"] for rule in created)
    assert len(set(orders)) == 6
    assert orders[-1] == max(rule["order"] for rule in all_rules(api))
