"""One metadata schema, checked and compiled once, and its violations in words.

jsonschema-rs validates (bench/metadata_schema.py: 150x jsonschema and 5x fastjsonschema on
a valid 10-key object, and it knows Draft 2020-12, which fastjsonschema does not). Compiled
offline: a `$ref` to a URL is refused, never fetched (a schema must not make the server call
out). `format` is asserted: an administrator who writes `"format": "email"` means it.
"""

from __future__ import annotations

import re
from typing import Any

import jsonschema_rs
import orjson

from selfauth.errors import InvalidBody

FIELDS = ("user_metadata", "app_metadata")
TENANT = "*"  # the target of a tenant-wide schema (otherwise a connection's id)
MAX_SCHEMA_BYTES = 64 * 1024
# Only the drafts the library carries: any other `$schema` would have to be fetched.
KNOWN_DRAFTS = frozenset(
    {
        "https://json-schema.org/draft/2020-12/schema",
        "https://json-schema.org/draft/2019-09/schema",
        "http://json-schema.org/draft-07/schema",
        "http://json-schema.org/draft-06/schema",
        "http://json-schema.org/draft-04/schema",
    }
)
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_RULE_CHARS = 80  # a rule's value (an enum, a pattern) is cut to this in a message


def _bad_schema(reason: str) -> InvalidBody:
    return InvalidBody(f"Invalid JSON Schema: {reason}")


def _first_line(error: Exception) -> str:
    return str(error).strip().split("\n", 1)[0]


class CompiledSchema:
    """A schema the server enforces on one metadata field; `schema` is the JSON as given."""

    def __init__(self, field: str, schema: Any) -> None:
        if not isinstance(schema, dict):
            raise _bad_schema("the schema must be a JSON object")
        try:
            size = len(orjson.dumps(schema))
        except orjson.JSONEncodeError as exc:  # nested past orjson's 254 levels
            raise _bad_schema("the schema is nested too deeply") from exc
        if size > MAX_SCHEMA_BYTES:
            raise _bad_schema(f"the schema is larger than {MAX_SCHEMA_BYTES} bytes")
        draft = schema.get("$schema")
        known = isinstance(draft, str) and draft.rstrip("#") in KNOWN_DRAFTS
        if draft is not None and not known:
            raise _bad_schema(f"$schema must name one of {', '.join(sorted(KNOWN_DRAFTS))}")
        try:
            jsonschema_rs.meta.validate(schema)
            self._validator = jsonschema_rs.validator_for(
                schema, validate_formats=True, offline=True
            )
        except (jsonschema_rs.ValidationError, jsonschema_rs.ReferencingError, ValueError) as exc:
            raise _bad_schema(_first_line(exc)) from exc
        self.field = field
        self.schema = schema

    def is_valid(self, value: Any) -> bool:
        return bool(self._validator.is_valid(value))

    def violation(self, value: Any) -> Violation | None:
        """The first rule `value` breaks, or None."""
        for error in self._validator.iter_errors(value):
            return Violation(self.field, self.schema, error)
        return None

    def check(self, value: Any) -> None:
        """InvalidBody (400) naming the path and the rule broken."""
        if self._validator.is_valid(value):  # the fast path: no error objects made
            return
        found = self.violation(value)
        if found is not None:
            raise InvalidBody(f"Metadata schema violation: {found.text}")


class Violation:
    """Where a value breaks its schema (`user_metadata.age`), which rule, and why."""

    def __init__(self, field: str, schema: dict[str, Any], error: Any) -> None:
        self.path = field + "".join(_step(part) for part in error.instance_path)
        schema_path = list(error.schema_path)
        self.rule = str(schema_path[-1]) if schema_path else "schema"
        self.rule_value = _rule_value(schema, schema_path)
        self.reason = _first_line(error) if not error.message else error.message

    @property
    def code(self) -> str:
        """The rule as an import's error code, in Auth0's style: `maxLength` -> MAX_LENGTH."""
        return re.sub(r"(?<!^)(?=[A-Z])", "_", self.rule.lstrip("$")).upper()

    @property
    def text(self) -> str:
        shown = "" if self.rule_value is None else f" {self.rule_value}"
        return f"{self.path}: '{self.rule}'{shown} ({self.reason})"


def _step(part: str | int) -> str:
    if isinstance(part, int):
        return f"[{part}]"
    return f".{part}" if _IDENTIFIER.match(part) else f"[{orjson.dumps(part).decode()}]"


def _rule_value(schema: Any, schema_path: list[str | int]) -> str | None:
    """The broken rule's value as written in the schema, when its path leads there."""
    node = schema
    for part in schema_path:
        in_object = isinstance(node, dict) and part in node
        in_array = isinstance(node, list) and isinstance(part, int) and part < len(node)
        if not (in_object or in_array):
            return None
        node = node[part]
    if isinstance(node, dict):  # a sub-schema (anyOf's branches...): too long to be useful
        return None
    text = orjson.dumps(node).decode()
    return text if len(text) <= _RULE_CHARS else text[: _RULE_CHARS - 1] + "…"
