"""What a trigger's scripts asked for, read from their recorded commands into typed changes.

The scripts only record; this module decides what each record means, and the flows apply it
(metadata in one write, claims and scopes in the tokens).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from selfauth.domain.metadata_history import ACTION, Author
from selfauth.domain.users.metadata import MetadataChange


@dataclass(frozen=True)
class Denial:
    """A deliberate refusal (`api.access.deny`, a Rule's `callback(error)`) or a failed script."""

    error: str  # the OAuth error code: access_denied, unauthorized, invalid_signup, ...
    description: str
    user_message: str | None = None
    failed: bool = False  # True when a script broke (timeout, memory, exception, crash)


@dataclass
class HookOutcome:
    user_metadata: MetadataChange = field(default_factory=MetadataChange)
    app_metadata: MetadataChange = field(default_factory=MetadataChange)
    id_claims: dict[str, Any] = field(default_factory=dict)
    access_claims: dict[str, Any] = field(default_factory=dict)
    # ("add"|"remove", scope) or ("set", "a b c"), in call order.
    scope_changes: list[tuple[str, str]] = field(default_factory=list)
    denial: Denial | None = None
    execution_id: str | None = None

    @property
    def changes_metadata(self) -> bool:
        return bool(self.user_metadata) or bool(self.app_metadata)

    def absorb(self, commands: list[dict[str, Any]], author_type: str = ACTION) -> None:
        """`author_type`: whether Rules or Actions recorded the commands (each names its
        script in `by`)."""
        for command in commands:
            kind = command.get("type")
            by = Author(author_type, name=str(command.get("by") or "")[:255] or None)
            if kind == "set_user_metadata":
                self.user_metadata.set(str(command["key"]), command.get("value"), by)
            elif kind == "set_app_metadata":
                self.app_metadata.set(str(command["key"]), command.get("value"), by)
            elif kind == "merge_user_metadata" and isinstance(command.get("value"), dict):
                self.user_metadata.merge(command["value"], by)
            elif kind == "merge_app_metadata" and isinstance(command.get("value"), dict):
                self.app_metadata.merge(command["value"], by)
            elif kind == "claim":
                target = self.id_claims if command.get("token") == "id" else self.access_claims
                target[str(command["key"])] = command.get("value")
            elif kind in ("add_scope", "remove_scope"):
                self.scope_changes.append((kind.split("_")[0], str(command["scope"])))
            elif kind == "set_scopes":
                scopes = command.get("scopes")
                if isinstance(scopes, list):
                    self.scope_changes.append(("set", " ".join(str(s) for s in scopes)))

    def scopes(self, granted: list[str]) -> list[str]:
        result = list(granted)
        for change, value in self.scope_changes:
            if change == "set":
                result = [s for s in dict.fromkeys(value.split()) if s]
            elif change == "add" and value not in result:
                result.append(value)
            elif change == "remove":
                result = [s for s in result if s != value]
        return result
