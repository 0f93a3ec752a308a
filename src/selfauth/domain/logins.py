"""Login state: refresh tokens and brute-force blocks."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from typing import Any, Protocol

from selfauth.domain.clock import iso

BRUTE_FORCE_LIMIT = 10  # consecutive failures from one address before it is blocked (Auth0's)


class Attempt(Enum):
    GRANTED = "granted"
    BUSY = "busy"  # every slot is taken by checks under way
    BLOCKED = "blocked"


@dataclass(frozen=True)
class RefreshToken:
    id: str
    token_hash: str = field(repr=False)
    family_id: str
    client_id: str
    user_id: str
    audience: str | None
    scope: list[str]
    auth_time: int
    created_at: datetime
    expires_at: datetime
    rotated_at: datetime | None = None
    revoked_at: datetime | None = None


@dataclass(frozen=True)
class LoginBlock:
    user_id: str
    ip: str
    failures: int
    pending: int
    blocked_at: datetime
    updated_at: datetime
    email: str | None = None
    username: str | None = None
    connection: str | None = None


class LoginBlocks(Protocol):
    """Brute-force blocks as administrators see them (`/api/v2/user-blocks`)."""

    async def user_ids_for(self, identifier: str) -> list[str]: ...
    async def blocks(self, user_ids: list[str]) -> list[LoginBlock]: ...
    async def unblock(self, user_ids: list[str]) -> None: ...


def block_view(block: LoginBlock) -> dict[str, Any]:
    """Auth0's `blocked_for` entry."""
    return {
        "identifier": block.email or block.username or block.user_id,
        "ip": block.ip,
        "connection": block.connection,
        "blocked_at": iso(block.blocked_at),
    }


@dataclass(frozen=True)
class AuthorizationCode:
    code_hash: str = field(repr=False)
    client_id: str
    user_id: str
    redirect_uri: str
    scope: list[str]
    audience: str | None
    nonce: str | None
    code_challenge: str | None
    code_challenge_method: str | None
    auth_time: int
    family_id: str
    created_at: datetime
    expires_at: datetime
    used_at: datetime | None = None
    # The claims and scopes the login's hooks added, for the tokens the code is exchanged for.
    hook_result: dict[str, Any] | None = None


@dataclass(frozen=True)
class LoginSession:
    id: str
    token_hash: str = field(repr=False)
    user_id: str
    auth_time: int
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None = None
