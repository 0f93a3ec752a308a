"""The metadata schemas' validator (issue 20): jsonschema vs fastjsonschema vs jsonschema-rs.

Validates one representative user_metadata object (10 keys) against one schema compiled once,
valid and invalid, and prints each library's microseconds per call, the ratios, and the error
it gives for `age: -3` (the message must name the path and the rule broken). A library that is
not installed is reported and skipped:

    python bench/metadata_schema.py [--rounds 20000]
"""

from __future__ import annotations

import argparse
import importlib
import time
from collections.abc import Callable
from typing import Any

SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "properties": {
        "age": {"type": "integer", "minimum": 0, "maximum": 150},
        "nickname": {"type": "string", "maxLength": 40},
        "plan": {"enum": ["free", "pro", "team"]},
        "newsletter": {"type": "boolean"},
        "locale": {"type": "string", "pattern": "^[a-z]{2}(-[A-Z]{2})?$"},
        "tags": {"type": "array", "items": {"type": "string"}, "maxItems": 20},
        "address": {
            "type": "object",
            "properties": {"city": {"type": "string"}, "zip": {"type": "string"}},
            "required": ["city"],
        },
        "score": {"type": "number"},
        "theme": {"type": "string"},
        "team_id": {"type": "string", "minLength": 1},
    },
    "required": ["plan"],
    "additionalProperties": False,
}
GOOD: dict[str, Any] = {
    "age": 34,
    "nickname": "ada",
    "plan": "pro",
    "newsletter": True,
    "locale": "en-GB",
    "tags": ["beta", "early"],
    "address": {"city": "London", "zip": "N1"},
    "score": 7.5,
    "theme": "dark",
    "team_id": "t-42",
}
BAD: dict[str, Any] = {**GOOD, "age": -3}

Check = Callable[[Any], None]


def _jsonschema() -> tuple[Check, Callable[[Any], str]]:
    jsonschema = importlib.import_module("jsonschema")
    validator = jsonschema.Draft202012Validator(SCHEMA)

    def check(value: Any) -> None:
        validator.validate(value)

    def error(value: Any) -> str:
        found = next(iter(validator.iter_errors(value)))
        return f"{found.json_path}: {found.validator} {found.validator_value} ({found.message})"

    return check, error


def _fastjsonschema() -> tuple[Check, Callable[[Any], str]]:
    fastjsonschema = importlib.import_module("fastjsonschema")
    check = fastjsonschema.compile(SCHEMA)

    def error(value: Any) -> str:
        try:
            check(value)
        except fastjsonschema.JsonSchemaValueException as failed:
            return f"{failed.path} {failed.rule} {failed.rule_definition} ({failed.message})"
        return "no error"

    return check, error


def _jsonschema_rs() -> tuple[Check, Callable[[Any], str]]:
    jsonschema_rs = importlib.import_module("jsonschema_rs")
    validator = jsonschema_rs.validator_for(SCHEMA)

    def error(value: Any) -> str:
        found = next(iter(validator.iter_errors(value)))
        return f"{list(found.instance_path)} {list(found.schema_path)} ({found.message})"

    return validator.validate, error


LIBRARIES = {
    "jsonschema": _jsonschema,
    "fastjsonschema": _fastjsonschema,
    "jsonschema-rs": _jsonschema_rs,
}


def _per_call(check: Check, value: Any, rounds: int, *, fails: bool) -> float:
    """Microseconds per call, best of three runs of `rounds`."""
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        for _ in range(rounds):
            try:
                check(value)
            except Exception:
                if not fails:
                    raise
        best = min(best, time.perf_counter() - start)
    return best / rounds * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=20000)
    rounds = parser.parse_args().rounds
    results: dict[str, tuple[float, float]] = {}
    for name, build in LIBRARIES.items():
        try:
            check, error = build()
        except ImportError:
            print(f"{name}: not installed, skipped")
            continue
        good = _per_call(check, GOOD, rounds, fails=False)
        bad = _per_call(check, BAD, rounds, fails=True)
        results[name] = (good, bad)
        print(f"{name:15} valid {good:8.2f} µs  invalid {bad:8.2f} µs  error: {error(BAD)}")
    if "jsonschema" in results:
        base_good, base_bad = results["jsonschema"]
        for name, (good, bad) in results.items():
            print(
                f"jsonschema / {name}: valid {base_good / good:.1f}x, invalid {base_bad / bad:.1f}x"
            )


if __name__ == "__main__":
    main()
