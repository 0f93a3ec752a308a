"""Building blocks of the Management API's strict body models (clients, grants, connections)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


def optional(**bounds: Any) -> Any:
    """An optional property: absent when not sent, and `null` only where the type allows it
    (pydantic does not validate defaults, so the `None` default never reaches a non-null type)."""
    return Field(default=None, **bounds)


class Closed(BaseModel):
    """An object whose every property Auth0's schema names: any other is refused."""

    model_config = ConfigDict(extra="forbid")


class Open(BaseModel):
    """An object Auth0 leaves open: properties beyond the named ones are kept as sent."""

    model_config = ConfigDict(extra="allow")
