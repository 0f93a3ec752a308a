"""Tenant logs (Auth0's `/api/v2/logs`): type codes, the log id, the event's fields, which of
them a `q` may name, and what `details` may never hold.

Pure rules; the writer that batches events is flows/tenant_logs.py, the table storage/logs.py.
"""

from __future__ import annotations

import itertools
import random
import secrets
from datetime import datetime
from typing import Any, Protocol

from selfauth.domain.search.ast import Field, FieldKind, ValueType
from selfauth.domain.search.fields import FieldError, quote
from selfauth.domain.search.parser import Vocabulary

# Auth0's type codes (reference §13.2) and their descriptions in the dashboard's words.
TYPES: dict[str, str] = {
    "s": "Success Login",
    "f": "Failed Login",
    "fp": "Failed Login (Incorrect Password)",
    "fu": "Failed Login (Invalid Email/Username)",
    "ss": "Success Signup",
    "fs": "Failed Signup",
    "slo": "Success Logout",
    "flo": "User logout failed",
    "ssa": "Success Silent Auth",
    "fsa": "Failed Silent Auth",
    "scoa": "Success cross-origin authentication",
    "fcoa": "Failed cross-origin authentication",
    "fco": "Origin is not in the application's Allowed Origins list",
    "seacft": "Success Exchange (Authorization Code for Access Token)",
    "feacft": "Failed Exchange (Authorization Code for Access Token)",
    "seccft": "Success Exchange (Client Credentials for Access Token)",
    "feccft": "Failed Exchange (Client Credentials for Access Token)",
    "sepft": "Success Exchange (Password for Access Token)",
    "fepft": "Failed Exchange (Password for Access Token)",
    "sertft": "Success Exchange (Refresh Token for Access Token)",
    "fertft": "Failed Exchange (Refresh Token for Access Token)",
    "scpr": "Success Change Password Request",
    "fcpr": "Failed Change Password Request",
    "scp": "Success Change Password",
    "fcp": "Failed Change Password",
    "svr": "Success Verification Email Request",
    "fvr": "Failed Verification Email Request",
    "sv": "Success Verification Email",
    "fv": "Failed Verification Email",
    "sdu": "Successfully deleted user",
    "fdu": "Failed user deletion",
    "sapi": "Success API Operation",
    "fapi": "Failed API Operation",
    "limit_wc": "Blocked Account",
    "api_limit": "Rate Limit on API",
}

# Every key of a log event, in the order Auth0's answers list them; absent ones are null.
FIELDS = (
    "date",
    "type",
    "description",
    "connection",
    "connection_id",
    "client_id",
    "client_name",
    "ip",
    "hostname",
    "user_id",
    "user_name",
    "audience",
    "scope",
    "strategy",
    "strategy_type",
    "log_id",
    "details",
    "user_agent",
)

# Which `q` may name (Auth0's searchable fields that we store); all case-sensitive text but
# `date`, which takes dates and ranges as the user search does.
SEARCHABLE = (
    "client_id",
    "client_name",
    "connection",
    "connection_id",
    "description",
    "date",
    "hostname",
    "ip",
    "log_id",
    "user_id",
    "user_name",
    "user_agent",
    "strategy",
    "strategy_type",
    "type",
    "audience",
    "scope",
)


def _resolve(name: str, for_exists: bool) -> Field:
    if name not in SEARCHABLE:
        raise FieldError(f"unknown field {quote(name)}")
    kind = ValueType.DATE if name == "date" else ValueType.TEXT
    return Field(FieldKind.ROOT, name, kind)


# A term without a field: who and which application (Auth0 does not document its choice).
LOG_VOCABULARY = Vocabulary(_resolve, ("user_name", "user_id", "client_name", "description"))

_sequence = itertools.count()
_PROCESS = secrets.randbelow(10**9)
# The tail only keeps ids apart, it guards nothing (a log id is no secret): a seeded
# Mersenne Twister costs a twentieth of a system call per event, on the token's hot path.
_tail = random.Random(secrets.randbits(128)).randrange  # noqa: S311 (ids, not secrets)


def log_id(moment: datetime) -> str:
    """56 digits, as Auth0's: `900`, the UTC date to the second (14), its microseconds (6),
    a per-process counter (12) and this process's random mark (9), then random digits (12).
    Ids sort as their events happened (within one process exactly; across processes to the
    microsecond), so a checkpoint (`from`) is a range on one column; the random parts keep two
    servers' ids apart."""
    # Formatted field by field: strftime costs twice as much, per event.
    return (
        f"900{moment.year:04d}{moment.month:02d}{moment.day:02d}{moment.hour:02d}"
        f"{moment.minute:02d}{moment.second:02d}{moment.microsecond:06d}"
        f"{next(_sequence) % 10**12:012d}{_PROCESS:09d}{_tail(10**12):012d}"
    )


# `details` keys whose values are never kept (request and response bodies of the Management
# API, a login's parameters): any key naming a password or a secret, and these.
_HIDDEN = frozenset(
    {
        "authorization",
        "access_token",
        "refresh_token",
        "id_token",
        "code",
        "code_verifier",
        "ticket",
        "private_key",
        "pkcs7",
        "credentials",
        "otp",
        # A custom database connection's write-only settings (names chosen by the tenant).
        "configuration",
    }
)
# `httpAuthorization` (a log stream's header) is one of the "authorization" keys.
_HIDDEN_PARTS = ("password", "secret", "token", "pass", "authorization")
_HIDDEN_PLAIN = frozenset({"token_endpoint_auth_method", "token_lifetime", "token_dialect"})


def hidden(key: str) -> bool:
    lowered = key.lower()
    if lowered in _HIDDEN_PLAIN:
        return False
    return lowered in _HIDDEN or any(part in lowered for part in _HIDDEN_PARTS)


def scrub(value: Any, depth: int = 0) -> Any:
    """A copy of `value` without secrets (a hidden key's value becomes "[hidden]"), cut at
    a depth of 8 so a log never carries a huge document."""
    if depth > 8:
        return "[…]"
    if isinstance(value, dict):
        return {
            printable(str(key)): "[hidden]" if hidden(str(key)) else scrub(item, depth + 1)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [scrub(item, depth + 1) for item in value[:100]]
    if isinstance(value, str):
        return printable(value[:2000] + "…" if len(value) > 2000 else value)
    return value


def printable(text: str) -> str:
    """`text` without NUL, which PostgreSQL's text and JSONB refuse (one such event would
    otherwise fail the batch it is written in)."""
    return text.replace("\x00", "\ufffd") if "\x00" in text else text


class LogSink(Protocol):
    """Where flows put events: `record` queues in memory and returns at once (no I/O)."""

    def record(self, type_code: str, **fields: Any) -> None: ...


class NoLogs:
    """A sink that keeps nothing (flows built without logs, and SELFAUTH_LOGS=off)."""

    def record(self, type_code: str, **fields: Any) -> None:
        return None
