"""Auth0's password strength levels."""

from __future__ import annotations

import pytest

from selfauth.domain.connections.password_policy import PasswordPolicy
from selfauth.errors import PasswordStrengthError


@pytest.mark.parametrize(
    ("level", "weak", "strong"),
    [
        ("none", "", "a"),
        ("low", "abcde", "abcdef"),
        ("fair", "abcdefgh1", "abcdEFG1"),
        ("good", "abcdefgh1", "abcdefg1!"),
        ("excellent", "aaabbbC1!x", "abcdefC1!x"),
    ],
)
def test_each_level_refuses_weak_and_accepts_strong(level: str, weak: str, strong: str) -> None:
    policy = PasswordPolicy(level=level)
    PasswordPolicy(level=level).check(strong)
    with pytest.raises(PasswordStrengthError):
        policy.check(weak)


def test_min_length_option_overrides_the_level_default() -> None:
    policy = PasswordPolicy.from_options(
        {"passwordPolicy": "low", "password_complexity_options": {"min_length": 12}}
    )
    with pytest.raises(PasswordStrengthError):
        policy.check("abcdefghijk")
    policy.check("abcdefghijkl")


def test_passwords_over_72_bytes_are_refused_not_truncated() -> None:
    policy = PasswordPolicy(level="none")
    policy.check("é" * 36)
    with pytest.raises(PasswordStrengthError):
        policy.check("é" * 37)
