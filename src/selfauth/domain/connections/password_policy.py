"""Auth0's password policies for database connections: the five legacy strength levels, and
the flexible policy (`options.password_options`) that replaces them when it is set."""

from __future__ import annotations

import re
import string
from dataclasses import dataclass, field
from typing import Any

from selfauth.errors import PasswordStrengthError

LEVELS = ("none", "low", "fair", "good", "excellent")
MAX_PASSWORD_BYTES = 72  # bcrypt reads no further; refuse rather than truncate silently
CHARACTER_TYPES = ("lowercase", "uppercase", "number", "special")


@dataclass(frozen=True)
class Complexity:
    """`password_options.complexity` and the custom words of `password_options.dictionary`.

    Auth0's defaults fill what is missing (as they are written into stored options). What
    selfauth does not enforce: the built-in dictionaries (it ships no word list), the password
    history, the personal-data check, and `max_length_exceeded: truncate` (passwords over 72
    bytes are always refused, never truncated).
    """

    min_length: int = 15
    character_types: tuple[str, ...] = ()
    three_of_four: bool = False
    block_identical: bool = False
    block_sequential: bool = False
    forbidden: frozenset[str] = field(default_factory=frozenset)

    @classmethod
    def from_password_options(cls, given: dict[str, Any]) -> Complexity:
        rules, dictionary = _object(given.get("complexity")), _object(given.get("dictionary"))
        words = (dictionary.get("custom") or []) if dictionary.get("active") else []
        return cls(
            min_length=int(rules.get("min_length") or 15),
            character_types=tuple(
                t for t in CHARACTER_TYPES if t in (rules.get("character_types") or [])
            ),
            three_of_four=rules.get("character_type_rule") == "three_of_four",
            block_identical=rules.get("identical_characters") == "block",
            block_sequential=rules.get("sequential_characters") == "block",
            forbidden=frozenset(str(w).casefold() for w in words),
        )

    def describe(self) -> str:
        parts = [f"at least {self.min_length} characters"]
        if self.three_of_four:
            parts.append("3 of: lower case, upper case, numbers, special characters")
        elif self.character_types:
            parts.append("each of: " + ", ".join(_NAMES[t] for t in self.character_types))
        if self.block_identical:
            parts.append("no more than 2 identical characters in a row")
        if self.block_sequential:
            parts.append("no 3 sequential characters in a row (such as abc or 321)")
        if self.forbidden:
            parts.append("not a word of the connection's dictionary")
        return "; ".join(parts)

    def passes(self, password: str) -> bool:
        if length(password) < self.min_length or password.casefold() in self.forbidden:
            return False
        classes = _character_classes(password)
        if self.three_of_four and len(classes) < 3:
            return False
        if not self.three_of_four and not set(self.character_types) <= classes:
            return False
        if self.block_identical and re.search(r"(.)\1\1", password):
            return False
        return not (self.block_sequential and _has_sequence(password))


@dataclass(frozen=True)
class PasswordPolicy:
    level: str = "good"
    min_length: int | None = None
    # The flexible policy: when set, the level and min_length are ignored, as on Auth0.
    complexity: Complexity | None = None

    @classmethod
    def from_options(cls, options: dict[str, Any]) -> PasswordPolicy:
        flexible = options.get("password_options")
        if isinstance(flexible, dict):
            return cls(complexity=Complexity.from_password_options(flexible))
        level = options.get("passwordPolicy") or "good"
        complexity = options.get("password_complexity_options") or {}
        min_length = complexity.get("min_length") if isinstance(complexity, dict) else None
        return cls(level=level, min_length=min_length)

    @property
    def effective_min_length(self) -> int:
        if self.complexity is not None:
            return self.complexity.min_length
        default = {"none": 1, "low": 6, "fair": 8, "good": 8, "excellent": 10}[self.level]
        return self.min_length if self.min_length is not None else default

    def describe(self) -> str:
        if self.complexity is not None:
            return self.complexity.describe()
        parts = [f"at least {self.effective_min_length} characters"]
        if self.level == "fair":
            parts.append("lower case, upper case and numbers")
        if self.level in ("good", "excellent"):
            parts.append("3 of: lower case, upper case, numbers, special characters")
        if self.level == "excellent":
            parts.append("no more than 2 identical characters in a row")
        return "; ".join(parts)

    def check(self, password: str) -> None:
        """Raise `PasswordStrengthError` when the password falls short."""
        if len(password.encode()) > MAX_PASSWORD_BYTES:
            raise PasswordStrengthError(
                f"PasswordStrengthError: Password is too long (at most {MAX_PASSWORD_BYTES} bytes)",
                policy=self.describe(),
            )
        if not self._passes(password):
            raise PasswordStrengthError(
                f"PasswordStrengthError: Password is too weak ({self.describe()})",
                policy=self.describe(),
            )

    def _passes(self, password: str) -> bool:
        if self.complexity is not None:
            return self.complexity.passes(password)
        if length(password) < self.effective_min_length:
            return False
        classes = _character_classes(password)
        if self.level == "fair":
            return {"lowercase", "uppercase", "number"} <= classes
        if self.level in ("good", "excellent") and len(classes) < 3:
            return False
        return not (self.level == "excellent" and re.search(r"(.)\1\1", password))


def length(password: str) -> int:
    """A password's length as Auth0's policy engine (password-sheriff) and Lock count it:
    JavaScript's `length`, in UTF-16 code units, so a character outside the Basic Multilingual
    Plane (an emoji) counts twice. Counting code points would refuse passwords Lock accepts."""
    return len(password.encode("utf-16-le")) // 2


def _object(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


_NAMES = {
    "lowercase": "lower case",
    "uppercase": "upper case",
    "number": "numbers",
    "special": "special characters",
}


def _character_classes(password: str) -> set[str]:
    found = set()
    for char in password:
        if char.islower():
            found.add("lowercase")
        elif char.isupper():
            found.add("uppercase")
        elif char in string.digits:
            found.add("number")
        else:
            found.add("special")
    return found


def _has_sequence(password: str) -> bool:
    """Three letters or digits in a row that follow each other, up or down (abc, CBA, 789)."""
    folded = password.casefold()
    for a, b, c in zip(folded, folded[1:], folded[2:], strict=False):
        if all(ch.isascii() and ch.isalnum() for ch in (a, b, c)):
            step = ord(b) - ord(a)
            if step in (1, -1) and ord(c) - ord(b) == step and a.isdigit() == c.isdigit():
                return True
    return False
