"""The sign-up screen's list of password rules (web/pages/policy_rules.py): one rule per part
of the policy's description, in its order, whatever the policy."""

from __future__ import annotations

from typing import Any

import pytest

from selfauth.domain.connections.password_policy import PasswordPolicy
from selfauth.web.pages.policy_rules import policy_rules

OPTIONS: list[dict[str, Any]] = [
    {},
    *({"passwordPolicy": level} for level in ("none", "low", "fair", "good", "excellent")),
    {"passwordPolicy": "low", "password_complexity_options": {"min_length": 12}},
    {"password_options": {}},
    {
        "password_options": {
            "complexity": {
                "min_length": 9,
                "character_types": ["uppercase", "number"],
                "identical_characters": "block",
                "sequential_characters": "block",
            },
            "dictionary": {"active": True, "custom": ["selfauth"]},
        }
    },
    {
        "password_options": {
            "complexity": {"min_length": 10, "character_type_rule": "three_of_four"},
        }
    },
]


@pytest.mark.parametrize("options", OPTIONS, ids=range(len(OPTIONS)))
def test_the_rules_are_the_policys_description_part_by_part(options: dict[str, Any]) -> None:
    policy = PasswordPolicy.from_options(options)
    assert "; ".join(rule.text for rule in policy_rules(policy)) == policy.describe()


def test_each_rule_carries_what_the_script_checks() -> None:
    options = OPTIONS[-2]
    rules = {rule.kind: rule.value for rule in policy_rules(PasswordPolicy.from_options(options))}
    assert rules == {
        "length": "9",
        "types": "uppercase number",
        "identical": "",
        "sequential": "",
        "dictionary": "",
    }
    fair = policy_rules(PasswordPolicy.from_options({"passwordPolicy": "fair"}))
    assert [(r.kind, r.value) for r in fair] == [
        ("length", "8"),
        ("types", "lowercase uppercase number"),
    ]
