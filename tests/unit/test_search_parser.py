"""The user search query language, parsed without a database."""

from __future__ import annotations

import contextlib
import copy
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from selfauth.domain.search import MAX_QUERY_LENGTH, InvalidQuery, QueryTooLong, parse
from selfauth.domain.search.ast import (
    And,
    Compare,
    Exists,
    FieldKind,
    MatchAll,
    MatchNone,
    Not,
    Op,
    Or,
    Pattern,
    ValueType,
)
from selfauth.domain.search.fields import resolve
from selfauth.domain.search.terms import Term, metadata_terms, term_changes
from selfauth.domain.users.metadata import merge


def test_field_value_is_an_equality() -> None:
    assert parse('email:"a@b.c"') == Compare(resolve("email"), Op.EQ, "a@b.c")


def test_case_rules_follow_auth0() -> None:
    folded = ("email", "name", "given_name", "family_name", "nickname", "email.domain")
    for name in folded:
        assert resolve(name).type is ValueType.FOLDED_TEXT, name
    for name in ("user_id", "username", "picture", "identities.connection"):
        assert resolve(name).type is ValueType.TEXT, name


def test_and_binds_tighter_than_or_and_juxtaposition_is_or() -> None:
    a, b, c = (Compare(resolve("name"), Op.EQ, v) for v in "abc")
    assert parse("name:a OR name:b AND name:c") == Or((a, And((b, c))))
    assert parse("name:a name:b") == Or((a, b))
    assert parse("NOT name:a") == Not(a)
    assert parse("(name:a OR name:b) AND name:c") == And((Or((a, b)), c))


def test_a_field_group_applies_the_field_to_each_value() -> None:
    email = resolve("email")
    assert parse('email:("x" OR y)') == Or((Compare(email, Op.EQ, "x"), Compare(email, Op.EQ, "y")))


def test_keywords_are_whole_words() -> None:
    query = parse("name:ANDROID")
    assert query == Compare(resolve("name"), Op.EQ, "ANDROID")


def test_wildcards_become_patterns_and_escapes_stay_literal() -> None:
    assert parse("name:jo*n*") == Pattern(resolve("name"), ("jo", "n", ""))
    assert parse("name:jo\\*n") == Compare(resolve("name"), Op.EQ, "jo*n")
    assert parse('name:"jo*n"') == Compare(resolve("name"), Op.EQ, "jo*n")
    assert parse("name:*") == Exists(resolve("name"))


def test_metadata_values_match_each_json_type_they_spell() -> None:
    field = resolve("user_metadata.age")
    assert field.kind is FieldKind.METADATA
    assert field.path == ("age",)
    assert parse("user_metadata.age:30") == Or(
        (Compare(field, Op.EQ, "30"), Compare(field, Op.EQ, 30.0))
    )
    flag = resolve("app_metadata.vip")
    assert parse("app_metadata.vip:true") == Or(
        (Compare(flag, Op.EQ, "true"), Compare(flag, Op.EQ, True))
    )


def test_metadata_ranges_compare_numbers_when_every_bound_is_one() -> None:
    field = resolve("user_metadata.age")
    assert parse("user_metadata.age:[18 TO *]") == Compare(field, Op.GE, 18.0)
    assert parse("user_metadata.age:{a TO m]") == And(
        (Compare(field, Op.GT, "a"), Compare(field, Op.LE, "m"))
    )


def test_dates_cover_the_period_they_name() -> None:
    field = resolve("created_at")
    assert parse("created_at:2017-12") == And(
        (
            Compare(field, Op.GE, datetime(2017, 12, 1, tzinfo=UTC)),
            Compare(field, Op.LT, datetime(2018, 1, 1, tzinfo=UTC)),
        )
    )
    assert parse("last_login:{2017-11 TO 2017-12]") == And(
        (
            Compare(resolve("last_login"), Op.GE, datetime(2017, 12, 1, tzinfo=UTC)),
            Compare(resolve("last_login"), Op.LT, datetime(2018, 1, 1, tzinfo=UTC)),
        )
    )
    assert parse("created_at:[2018 TO 2017]") == MatchNone()


def test_special_forms() -> None:
    assert parse("") == MatchAll()
    assert parse("*:*") == MatchAll()
    assert parse("_exists_:user_metadata.a.b") == Exists(resolve("user_metadata.a.b"))
    domain = parse("email.domain:example.com")
    assert isinstance(domain, Compare)
    assert domain.field.kind is FieldKind.EMAIL_DOMAIN
    identity = parse("identities.connection:x")
    assert isinstance(identity, Compare)
    assert identity.field.kind is FieldKind.IDENTITY


@pytest.mark.parametrize(
    ("q", "position"),
    [
        ("name:", 5),
        ("(name:x", 7),
        ("name:x)", 6),
        ("nope:x", 0),
        ("logins_count:many", 13),
        ("blocked:[a TO b]", 8),
        ("created_at:2017-13", 11),
        ("user_metadata:x", 0),
        ("user_metadata..a:x", 0),
        ("name:[a* TO b]", 5),
        ("logins_count:5*", 13),
        ("name:x AND", 10),
        ("*:x", 2),
        ("_exists_:[a TO b]", 9),
    ],
)
def test_errors_carry_the_position(q: str, position: int) -> None:
    with pytest.raises(InvalidQuery) as caught:
        parse(q)
    assert caught.value.position == position
    assert caught.value.error_code == "invalid_query_string"
    assert f"at character {position + 1}" in caught.value.message


def test_limits() -> None:
    with pytest.raises(QueryTooLong):
        parse("x" * (MAX_QUERY_LENGTH + 1))
    with pytest.raises(InvalidQuery, match="nested too deeply"):
        parse("(" * 200 + "a" + ")" * 200)
    with pytest.raises(InvalidQuery, match="terms"):
        parse(" ".join(["a"] * 500))


@given(st.text(max_size=80))
def test_any_text_parses_or_raises_invalid_query(q: str) -> None:
    with contextlib.suppress(InvalidQuery, QueryTooLong):
        parse(q)


def test_metadata_terms_skip_arrays_and_empty_values() -> None:
    found = metadata_terms(
        {"tags": ["a", 1], "addresses": [{"city": "Paris"}], "none": None, "empty": [], "o": {}},
        {"vip": True},
    )
    assert found == [
        Term("app_metadata.vip", flag=True),
        Term("user_metadata.addresses.city", text="Paris"),
        Term("user_metadata.tags", text="a"),
        Term("user_metadata.tags", number=1.0),
    ]


_json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 5) | st.floats(-2, 2) | st.sampled_from("ab"),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from("xyz"), inner),
    max_leaves=8,
)
_documents = st.dictionaries(st.sampled_from(["k0", "k1", "k2", "k3"]), _json_values)


@given(_documents, _documents, _documents, _documents, st.booleans())
@example({"k0": 1}, {}, {"k0": True}, {}, False)  # equal in Python, not as terms
def test_term_changes_equal_the_difference_of_all_terms(
    user_before: dict[str, Any],
    app_before: dict[str, Any],
    user_patch: dict[str, Any],
    app_patch: dict[str, Any],
    replace: bool,
) -> None:
    """A PATCH (first-level merge, shared values) or a replacement (no value shared): the
    terms walked per changed key are exactly what walking both whole documents differs by."""
    if replace:
        user_after, app_after = copy.deepcopy(user_patch), copy.deepcopy(app_patch)
    else:
        user_after, app_after = merge(user_before, user_patch), merge(app_before, app_patch)
    old = set(metadata_terms(user_before, app_before))
    new = set(metadata_terms(user_after, app_after))
    gone, added = term_changes((user_before, app_before), (user_after, app_after))
    assert set(gone) == old - new and len(gone) == len(old - new)
    assert set(added) == new - old and len(added) == len(new - old)
