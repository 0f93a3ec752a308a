"""A connection's password policy as the sign-up screen lists it: one rule per part of
`PasswordPolicy.describe()`, each with what the screen's script needs to mark it met or unmet
while the user types (`assets/screens.js` mirrors `domain/connections/password_policy.py`;
the server stays the judge when the form is posted)."""

from __future__ import annotations

from dataclasses import dataclass

from selfauth.domain.connections.password_policy import PasswordPolicy
from selfauth.web.pages.locale import policy_text

FAIR_TYPES = ("lowercase", "uppercase", "number")
ALL_TYPES = ("lowercase", "uppercase", "number", "special")


@dataclass(frozen=True)
class Rule:
    """`kind` is what the script checks: `length` (`value` the minimum, in UTF-16 code units
    as JavaScript counts), `types` (`value` the character types all required), `three_of`
    (three of the four types), `identical` (no three identical characters in a row),
    `sequential` (no three sequential letters or digits), `dictionary` (not checked by the
    script: the connection's words are not sent to the browser). `text` is the English part
    of the policy's description, translated when the screen is rendered."""

    kind: str
    text: str
    value: str = ""


def policy_rules(policy: PasswordPolicy) -> list[Rule]:
    """The policy's rules, in the order `describe()` names them."""
    rules = [
        Rule(
            "length",
            f"at least {policy.effective_min_length} characters",
            str(policy.effective_min_length),
        )
    ]
    flexible = policy.complexity
    if flexible is None:
        if policy.level == "fair":
            rules.append(Rule("types", "lower case, upper case and numbers", " ".join(FAIR_TYPES)))
        if policy.level in ("good", "excellent"):
            rules.append(Rule("three_of", _THREE_OF, " ".join(ALL_TYPES)))
        if policy.level == "excellent":
            rules.append(Rule("identical", _IDENTICAL))
        return rules
    if flexible.three_of_four:
        rules.append(Rule("three_of", _THREE_OF, " ".join(ALL_TYPES)))
    elif flexible.character_types:
        names = ", ".join(_NAMES[t] for t in flexible.character_types)
        rules.append(Rule("types", f"each of: {names}", " ".join(flexible.character_types)))
    if flexible.block_identical:
        rules.append(Rule("identical", _IDENTICAL))
    if flexible.block_sequential:
        rules.append(Rule("sequential", "no 3 sequential characters in a row (such as abc or 321)"))
    if flexible.forbidden:
        rules.append(Rule("dictionary", "not a word of the connection's dictionary"))
    return rules


_THREE_OF = "3 of: lower case, upper case, numbers, special characters"
_IDENTICAL = "no more than 2 identical characters in a row"
_NAMES = {
    "lowercase": "lower case",
    "uppercase": "upper case",
    "number": "numbers",
    "special": "special characters",
}


def shown_rules(locale: str, policy: PasswordPolicy) -> list[dict[str, str]]:
    """The rules as `_policy.html` lists them, their text in `locale`."""
    return [
        {"kind": rule.kind, "value": rule.value, "text": policy_text(locale, rule.text)}
        for rule in policy_rules(policy)
    ]
