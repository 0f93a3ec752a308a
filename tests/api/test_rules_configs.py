"""`/api/v2/rules-configs`: keys are listed, values are set and deleted but never read back.

The configuration's upsert is tested on every database in tests/storage/test_rules.py: this
module runs on SQLite, all but the concurrent sets, which run on both."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.support.api import Api
from tests.support.api import assert_coded_error as error

pytestmark = pytest.mark.sqlite_only

CONFIGS = "/api/v2/rules-configs"


def unique_key() -> str:
    return f"KEY_{uuid.uuid4().hex[:12]}"


def keys(api: Api) -> list[str]:
    response = api.get(CONFIGS)
    assert response.status_code == 200, response.text
    listed = response.json()
    assert all(set(item) == {"key"} for item in listed), listed
    return [item["key"] for item in listed]


def test_put_sets_a_key_and_the_list_shows_only_keys(api: Api) -> None:
    key = unique_key()
    response = api.http.put(f"{CONFIGS}/{key}", json={"value": "s3cret-value"})
    assert response.status_code == 200, response.text
    assert response.json() == {"key": key, "value": "s3cret-value"}
    assert key in keys(api)
    assert "s3cret-value" not in api.get(CONFIGS).text


def test_put_replaces_the_value_of_an_existing_key(api: Api) -> None:
    key = unique_key()
    for value in ("one", "two"):
        assert api.http.put(f"{CONFIGS}/{key}", json={"value": value}).status_code == 200
    assert keys(api).count(key) == 1


def test_delete_removes_a_key(api: Api) -> None:
    key = unique_key()
    api.http.put(f"{CONFIGS}/{key}", json={"value": "v"})
    assert api.delete(f"{CONFIGS}/{key}").status_code == 204
    assert key not in keys(api)


def test_keys_follow_auth0s_pattern(api: Api) -> None:
    for key in ("has space", "é", "k" * 128):
        response = api.http.put(f"{CONFIGS}/{key}", json={"value": "v"})
        error(response, 400, "invalid_uri")
    assert api.http.put(f"{CONFIGS}/A-b_c@d*e+f:g", json={"value": "v"}).status_code == 200


def test_bad_bodies_are_refused(api: Api) -> None:
    key = unique_key()
    for body in ({}, {"value": 1}, {"value": "v", "other": True}, {"value": "x" * 16_385}):
        error(api.http.put(f"{CONFIGS}/{key}", json=body), 400, "invalid_body")
    assert key not in keys(api)


def test_each_operation_needs_its_scope(api: Api) -> None:
    key = unique_key()
    reader = api.with_scopes("read:rules_configs")
    assert reader.get(CONFIGS).status_code == 200
    error(reader.http.put(f"{CONFIGS}/{key}", json={"value": "v"}), 403, "insufficient_scope")
    error(reader.delete(f"{CONFIGS}/{key}"), 403, "insufficient_scope")
    writer = api.with_scopes("update:rules_configs", "delete:rules_configs")
    error(writer.get(CONFIGS), 403, "insufficient_scope")
    assert writer.http.put(f"{CONFIGS}/{key}", json={"value": "v"}).status_code == 200
    assert writer.delete(f"{CONFIGS}/{key}").status_code == 204


@pytest.mark.both_databases
def test_concurrent_sets_of_a_new_key_all_succeed(api: Api) -> None:
    key = unique_key()
    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(
            pool.map(
                lambda i: api.http.put(f"{CONFIGS}/{key}", json={"value": str(i)}).status_code,
                range(8),
            )
        )
    assert statuses == [200] * 8
    assert keys(api).count(key) == 1
