"""The metadata merge and validation rules, against a reference model (pure functions)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from selfauth.domain.users import metadata
from selfauth.errors import InvalidBody

keys = st.text(alphabet="abcdefgh_", min_size=1, max_size=4)
scalars = st.one_of(st.booleans(), st.integers(-5, 5), st.text(max_size=5))
values = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(keys, inner, max_size=3)),
    max_leaves=6,
)
patches = st.dictionaries(keys, st.one_of(st.none(), values), max_size=5)


def model_merge(current: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    """Auth0's rules written the obvious way: the specification the code must match."""
    if patch == {}:
        return {}
    result = {k: v for k, v in current.items() if k not in patch}
    result.update({k: v for k, v in patch.items() if v is not None})
    return result


@given(st.dictionaries(keys, values, max_size=5), st.lists(patches, max_size=5))
def test_merge_matches_the_reference_model(
    start: dict[str, Any], sequence: list[dict[str, Any]]
) -> None:
    actual, expected = dict(start), dict(start)
    for patch in sequence:
        actual = metadata.merge(actual, patch)
        expected = model_merge(expected, patch)
    assert actual == expected


def test_nested_values_are_replaced_whole() -> None:
    current = {"addresses": {"home": "1 Main", "work": "2 Side"}}
    assert metadata.merge(current, {"addresses": {"home": "3 New"}}) == {
        "addresses": {"home": "3 New"}
    }


def test_merge_does_not_mutate_its_input() -> None:
    current = {"a": 1}
    metadata.merge(current, {"a": None})
    assert current == {"a": 1}


@pytest.mark.parametrize(
    "bad", [{"a.b": 1}, {"$set": 1}, {"ok": {"in.ner": 1}}, {"ok": [{"x$": 1}]}]
)
def test_names_with_dot_or_dollar_are_refused_at_any_depth(bad: dict[str, Any]) -> None:
    with pytest.raises(InvalidBody):
        metadata.check_names(bad, "user_metadata", max_depth=10)


def test_depth_limit_counts_the_metadata_object_as_level_one() -> None:
    metadata.check_names({"a": {"b": 1}}, "user_metadata", max_depth=2)
    with pytest.raises(InvalidBody):
        metadata.check_names({"a": {"b": {"c": 1}}}, "user_metadata", max_depth=2)


@pytest.mark.parametrize("name", sorted(metadata.RESERVED_APP_METADATA_KEYS))
def test_reserved_app_metadata_names_are_refused(name: str) -> None:
    with pytest.raises(InvalidBody):
        metadata.check_app_metadata_keys({name: 1})


def test_size_limit_counts_both_objects_together() -> None:
    metadata.check_size({"a": "x" * 40}, {"b": "y" * 40}, limit=100)
    with pytest.raises(InvalidBody):
        metadata.check_size({"a": "x" * 60}, {"b": "y" * 60}, limit=100)


def test_client_metadata_holds_at_most_ten_short_strings() -> None:
    metadata.check_client_metadata({f"k{i}": "v" for i in range(10)})
    for bad in ({f"k{i}": "v" for i in range(11)}, {"k": 1}, {"k": "v" * 256}, {"k" * 256: "v"}):
        with pytest.raises(InvalidBody):
            metadata.check_client_metadata(bad)
