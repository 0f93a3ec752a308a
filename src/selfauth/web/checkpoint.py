"""Checkpoint paging (`from`/`take`): an opaque `next` token naming the last item returned.

The token is base64url of `[created_at, user_id]`, the position in the walk's stable order. It
carries no secret: forging one only moves where a caller's own walk resumes.
"""

from __future__ import annotations

import base64
import binascii
import json
from datetime import UTC, datetime

from selfauth.errors import InvalidQueryString

_BAD = "Query validation error: 'from is not a checkpoint this server gave out' on property from."


def encode(created_at: datetime, user_id: str) -> str:
    raw = json.dumps([created_at.astimezone(UTC).isoformat(), user_id], separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode(token: str) -> tuple[datetime, str]:
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        created_at, user_id = json.loads(raw)
        moment = datetime.fromisoformat(created_at)
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError):
        raise InvalidQueryString(_BAD) from None
    if not isinstance(user_id, str) or moment.tzinfo is None:
        raise InvalidQueryString(_BAD)
    return moment, user_id
