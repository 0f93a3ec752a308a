"""domain/metadata_schemas: what a violation says (path, rule, its value, the reason), which
schema applies to a connection's users, and which schemas are refused."""

from __future__ import annotations

from typing import Any

import pytest

from selfauth.domain.metadata_schemas.service import Snapshot
from selfauth.domain.metadata_schemas.validator import TENANT, CompiledSchema
from selfauth.errors import InvalidBody


def text(schema: dict[str, Any], value: Any) -> str:
    found = CompiledSchema("user_metadata", schema).violation(value)
    assert found is not None
    return found.text


def test_the_path_names_keys_and_indexes_and_quotes_odd_keys() -> None:
    schema = {"properties": {"a b": {"items": {"type": "string"}}}}
    assert text(schema, {"a b": ["x", 3]}).startswith('user_metadata["a b"][1]: \'type\' "string"')
    nested = {"properties": {"address": {"properties": {"zip": {"maxLength": 3}}}}}
    found = CompiledSchema("user_metadata", nested).violation({"address": {"zip": "12345"}})
    assert found is not None
    assert found.path == "user_metadata.address.zip"
    assert (found.rule, found.rule_value, found.code) == ("maxLength", "3", "MAX_LENGTH")


def test_a_rule_reached_through_a_ref_shows_its_value() -> None:
    schema = {"$defs": {"age": {"minimum": 0}}, "properties": {"age": {"$ref": "#/$defs/age"}}}
    assert text(schema, {"age": -3}) == (
        "user_metadata.age: 'minimum' 0 (-3 is less than the minimum of 0)"
    )


def test_a_long_rule_value_is_cut() -> None:
    schema = {"properties": {"plan": {"enum": [f"plan-{i}" for i in range(40)]}}}
    found = CompiledSchema("user_metadata", schema).violation({"plan": "x"})
    assert found is not None and found.rule_value is not None
    assert len(found.rule_value) == 80 and found.rule_value.endswith("…")


def test_check_raises_invalid_body_and_passes_valid_values() -> None:
    schema = CompiledSchema("app_metadata", {"required": ["plan"]})
    schema.check({"plan": "free"})
    with pytest.raises(InvalidBody, match=r"^Metadata schema violation: app_metadata: 'required'"):
        schema.check({})


@pytest.mark.parametrize(
    "schema",
    [
        {"type": 3},
        {"minimum": "zero"},
        {"$schema": "https://example.com/my-meta", "type": "object"},
        {"$ref": "https://example.com/elsewhere.json"},
        {"properties": {"a": {"pattern": "(unclosed"}}},
        {"description": "x" * 70_000},
    ],
)
def test_what_is_not_a_usable_schema_is_refused(schema: dict[str, Any]) -> None:
    with pytest.raises(InvalidBody, match=r"^Invalid JSON Schema: "):
        CompiledSchema("user_metadata", schema)


def test_an_older_draft_named_by_schema_is_used() -> None:
    draft4 = {
        "$schema": "http://json-schema.org/draft-04/schema#",
        "maximum": 5,
        "exclusiveMaximum": True,
    }  # draft 4's boolean form
    assert not CompiledSchema("user_metadata", draft4).is_valid(5)


def test_the_connections_schema_wins_field_by_field() -> None:
    tenant_user = CompiledSchema("user_metadata", {"required": ["t"]})
    tenant_app = CompiledSchema("app_metadata", {"required": ["t"]})
    own_user = CompiledSchema("user_metadata", {"required": ["c"]})
    snapshot = Snapshot(
        {
            (TENANT, "user_metadata"): tenant_user,
            (TENANT, "app_metadata"): tenant_app,
            ("con_1", "user_metadata"): own_user,
        }
    )
    applied = snapshot.for_connection("con_1")
    assert applied.user_metadata is own_user and applied.app_metadata is tenant_app
    other = snapshot.for_connection("con_2")
    assert other.user_metadata is tenant_user
    assert Snapshot({}).for_connection("con_1").user_metadata is None
    applied.check(None, None)  # a write that touches neither field checks nothing
