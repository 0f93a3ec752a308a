"""A cross-origin login ticket: proof that a user just gave their password to `/co/authenticate`
for one client, which that client's next `/authorize` redeems once."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class LoginTicket:
    ticket_hash: str = field(repr=False)
    client_id: str
    user_id: str
    co_id: str
    verifier_hash: str = field(repr=False)
    created_at: datetime
    expires_at: datetime
    used_at: datetime | None = None
