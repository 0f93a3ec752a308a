"""Reading request bodies: size limit, JSON, and Auth0-worded validation errors."""

from __future__ import annotations

from typing import Any, TypeVar

import orjson
from fastapi import Request
from pydantic import BaseModel, ValidationError

from selfauth.domain.json_values import holds_nul
from selfauth.domain.users.metadata import json_type
from selfauth.errors import InvalidBody, PayloadTooLarge

Model = TypeVar("Model", bound=BaseModel)


async def read_bytes(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(f"Payload is larger than {limit} bytes.")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge(f"Payload is larger than {limit} bytes.")
        chunks.append(chunk)
    return b"".join(chunks)


async def read_json_object(request: Request, limit: int) -> dict[str, Any]:
    raw = await read_bytes(request, limit)
    if not raw.strip():
        return {}
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise InvalidBody(f"Invalid request payload JSON format ({exc.msg})") from exc
    if not isinstance(data, dict):
        raise InvalidBody(
            f"Payload validation error: 'Expected type object but found type {json_type(data)}'."
        )
    if holds_nul(data):
        raise InvalidBody("Payload validation error: 'Strings cannot contain the NUL character'.")
    return data


def validate(model: type[Model], data: dict[str, Any]) -> Model:
    """Validate a body against a strict model; errors read as Auth0's do."""
    try:
        return model.model_validate(data, strict=True)
    except ValidationError as exc:
        raise InvalidBody(describe(exc, data)) from exc


def describe(exc: ValidationError, data: dict[str, Any]) -> str:
    errors = exc.errors()
    extra = [".".join(str(p) for p in e["loc"]) for e in errors if e["type"] == "extra_forbidden"]
    if extra:
        return f"Payload validation error: 'Additional properties not allowed: {','.join(extra)}'."
    error = errors[0]
    prop = ".".join(str(p) for p in error["loc"])
    kind = error["type"]
    if kind == "missing":
        return f"Payload validation error: 'Missing required property: {prop}'."
    if kind.endswith("_type") or kind in ("model_type", "dict_type", "list_type"):
        expected = _EXPECTED.get(kind, kind.removesuffix("_type"))
        found = json_type(error.get("input"))
        return (
            f"Payload validation error: 'Expected type {expected} but found type {found}' "
            f"on property {prop}."
        )
    if kind == "string_too_short":
        return (
            f"Payload validation error: 'String is too short ({len(str(error['input']))} chars), "
            f"minimum {error['ctx']['min_length']}' on property {prop}."
        )
    if kind == "string_too_long":
        return (
            f"Payload validation error: 'String is too long ({len(str(error['input']))} chars), "
            f"maximum {error['ctx']['max_length']}' on property {prop}."
        )
    if kind in ("literal_error", "enum"):
        return (
            f"Payload validation error: 'No enum match for: {error['input']}' on property {prop}."
        )
    return f"Payload validation error: '{error['msg']}' on property {prop}."


_EXPECTED = {
    "string_type": "string",
    "bool_type": "boolean",
    "int_type": "integer",
    "float_type": "number",
    "dict_type": "object",
    "model_type": "object",
    "list_type": "array",
}
