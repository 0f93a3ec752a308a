"""Auth0's password strength levels for database connections."""

from __future__ import annotations

import re
import string
from dataclasses import dataclass
from typing import Any

from selfauth.errors import PasswordStrengthError

LEVELS = ("none", "low", "fair", "good", "excellent")
MAX_PASSWORD_BYTES = 72  # bcrypt reads no further; refuse rather than truncate silently


@dataclass(frozen=True)
class PasswordPolicy:
    level: str = "good"
    min_length: int | None = None

    @classmethod
    def from_options(cls, options: dict[str, Any]) -> PasswordPolicy:
        level = options.get("passwordPolicy") or "good"
        complexity = options.get("password_complexity_options") or {}
        min_length = complexity.get("min_length") if isinstance(complexity, dict) else None
        return cls(level=level, min_length=min_length)

    @property
    def effective_min_length(self) -> int:
        default = {"none": 1, "low": 6, "fair": 8, "good": 8, "excellent": 10}[self.level]
        return self.min_length if self.min_length is not None else default

    def describe(self) -> str:
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
        if len(password) < self.effective_min_length:
            return False
        classes = _character_classes(password)
        if self.level == "fair":
            return {"lower", "upper", "digit"} <= classes
        if self.level in ("good", "excellent") and len(classes) < 3:
            return False
        return not (self.level == "excellent" and re.search(r"(.)\1\1", password))


def _character_classes(password: str) -> set[str]:
    found = set()
    for char in password:
        if char.islower():
            found.add("lower")
        elif char.isupper():
            found.add("upper")
        elif char in string.digits:
            found.add("digit")
        else:
            found.add("special")
    return found
