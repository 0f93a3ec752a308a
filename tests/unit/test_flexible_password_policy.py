"""Auth0's flexible password policy (`options.password_options`), which replaces the levels."""

from __future__ import annotations

from typing import Any

import pytest

from selfauth.domain.connections.password_policy import PasswordPolicy
from selfauth.errors import PasswordStrengthError


def policy(**complexity: Any) -> PasswordPolicy:
    return PasswordPolicy.from_options(
        {"passwordPolicy": "excellent", "password_options": {"complexity": complexity}}
    )


def refused(rules: PasswordPolicy, password: str) -> bool:
    try:
        rules.check(password)
    except PasswordStrengthError:
        return True
    return False


def test_it_replaces_the_legacy_level_and_defaults_to_15_characters() -> None:
    rules = policy()
    assert refused(rules, "a" * 14)
    assert not refused(rules, "a" * 15)  # no character types, identical characters allowed


@pytest.mark.parametrize(
    ("complexity", "weak", "strong"),
    [
        ({"min_length": 4}, "abc", "abcd"),
        ({"min_length": 4, "character_types": ["number", "special"]}, "abc1", "ab1!"),
        (
            {"min_length": 4, "character_type_rule": "three_of_four"},
            "abC" + "d",
            "abC1",
        ),
        ({"min_length": 4, "identical_characters": "block"}, "abbbc", "abbcb"),
        ({"min_length": 4, "sequential_characters": "block"}, "x123y", "x132y"),
        ({"min_length": 4, "sequential_characters": "block"}, "qCbAq", "qcaBq"),
    ],
)
def test_each_complexity_rule(complexity: dict[str, Any], weak: str, strong: str) -> None:
    rules = policy(**complexity)
    assert refused(rules, weak)
    assert not refused(rules, strong)


def test_custom_dictionary_words_are_refused_whatever_their_case() -> None:
    options = {
        "password_options": {
            "complexity": {"min_length": 4},
            "dictionary": {"active": True, "custom": ["Forbidden1"]},
        }
    }
    rules = PasswordPolicy.from_options(options)
    assert refused(rules, "forbidden1")
    assert not refused(rules, "forbidden12")
    inactive = {
        "password_options": {**options["password_options"], "dictionary": {"custom": ["x" * 4]}}
    }
    assert not refused(PasswordPolicy.from_options(inactive), "xxxx")


def test_the_description_names_the_rules() -> None:
    described = policy(min_length=12, character_types=["uppercase"], sequential_characters="block")
    assert described.describe().startswith("at least 12 characters; each of: upper case")
    assert "sequential" in described.describe()
