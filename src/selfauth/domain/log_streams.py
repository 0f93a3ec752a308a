"""Log streams (Auth0's `/api/v2/log-streams`, reference §13.4): the categories a filter names,
the checks of a stream's fields, its view and the wire format of a delivered batch.

Pure rules; the service and the delivery task are flows/log_streams.py, the table
storage/log_streams.py.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import orjson

from selfauth.errors import InvalidBody, NotFound

# Each type code selfauth writes (domain/logs.py TYPES) and the category Auth0 files it under
# (its event-filters list); a filter names categories, so this is the one table between them.
CATEGORY_OF: dict[str, str] = {
    "s": "auth.login.success",
    "scoa": "auth.login.success",
    "f": "auth.login.fail",
    "fp": "auth.login.fail",
    "fu": "auth.login.fail",
    "fcoa": "auth.login.fail",
    "fco": "auth.login.fail",
    "ss": "auth.signup.success",
    "fs": "auth.signup.fail",
    "slo": "auth.logout.success",
    "flo": "auth.logout.fail",
    "ssa": "auth.silent_auth.success",
    "fsa": "auth.silent_auth.fail",
    # The mails' requests and links (our reading of Auth0's "ancillary" filters).
    "scpr": "auth.ancillary.success",
    "svr": "auth.ancillary.success",
    "sv": "auth.ancillary.success",
    "fcpr": "auth.ancillary.fail",
    "fvr": "auth.ancillary.fail",
    "fv": "auth.ancillary.fail",
    "seacft": "auth.token_exchange.success",
    "seccft": "auth.token_exchange.success",
    "sepft": "auth.token_exchange.success",
    "sertft": "auth.token_exchange.success",
    "feacft": "auth.token_exchange.fail",
    "feccft": "auth.token_exchange.fail",
    "fepft": "auth.token_exchange.fail",
    "fertft": "auth.token_exchange.fail",
    "scp": "user.success",
    "sdu": "user.success",
    "fcp": "user.fail",
    "fdu": "user.fail",
    "sapi": "management.success",
    "fapi": "management.fail",
    "limit_wc": "user.notification",
    "limit_mu": "user.notification",
    "api_limit": "system.notification",
}

# Every category Auth0 accepts in a filter (its list), whether or not selfauth writes events
# of it: a filter naming one we never fill is valid and simply matches nothing yet.
CATEGORIES = frozenset(
    {
        *CATEGORY_OF.values(),
        "auth.ancillary.fail",
        "auth.ancillary.success",
        "auth.login.notification",
        "auth.logout.fail",
        "auth.silent_auth.fail",
        "auth.silent_auth.success",
        "auth.token_exchange.fail",
        "actions",
        "other",
        "scim.event",
        "system.notification",
        "user.notification",
    }
)

TYPES = ("http", "eventbridge", "eventgrid", "datadog", "splunk", "sumo", "segment", "mixpanel")
FORMATS = ("JSONLINES", "JSONARRAY", "JSONOBJECT")
CONTENT_TYPES = ("application/json",)
SETTABLE_STATUSES = ("active", "paused")  # `suspended` is ours to set, after failures
MAX_NAME = 250
MAX_URL = 2048
MAX_AUTHORIZATION = 4096


@dataclass(frozen=True)
class LogStream:
    id: str
    name: str
    status: str
    filters: list[dict[str, str]]
    endpoint: str
    content_type: str
    content_format: str
    authorization: str | None  # opened (the store keeps it sealed)
    cursor: str  # the last delivered log id


def new_id() -> str:
    """`lst_` and 16 digits, as Auth0's."""
    return "lst_" + "".join(str(secrets.randbelow(10)) for _ in range(16))


def inexistent() -> NotFound:
    return NotFound("The log stream does not exist.")


def invalid(message: str, prop: str) -> InvalidBody:
    return InvalidBody(f"Payload validation error: '{message}' on property {prop}.")


def check_name(value: Any) -> str:
    if not isinstance(value, str) or not 1 <= len(value) <= MAX_NAME:
        raise invalid(f"String must be 1 to {MAX_NAME} characters", "name")
    return value


def check_type(value: Any) -> str:
    if value not in TYPES:
        raise invalid(f"Expected one of {', '.join(TYPES)}", "type")
    if value != "http":
        raise InvalidBody(
            f"Log streams of type {value} are not supported; selfauth delivers http streams only"
        )
    return "http"


def check_status(value: Any) -> str:
    if value not in SETTABLE_STATUSES:
        raise invalid("Expected one of active, paused", "status")
    return str(value)


def check_filters(value: Any) -> list[dict[str, str]]:
    if not isinstance(value, list):
        raise invalid("Expected type array", "filters")
    filters: list[dict[str, str]] = []
    for item in value:
        if (
            not isinstance(item, dict)
            or item.get("type") != "category"
            or set(item) - {"type", "name"}
        ):
            raise invalid("Each filter must be {type: 'category', name}", "filters")
        name = item.get("name")
        if name not in CATEGORIES:
            raise invalid(f"Unknown category {name!r}", "filters")
        filters.append({"type": "category", "name": str(name)})
    return filters


def _check_url(value: Any) -> str:
    if not isinstance(value, str) or len(value) > MAX_URL:
        raise invalid("Expected an http or https URL", "sink.httpEndpoint")
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - raises on a bad port
    except ValueError as exc:
        raise invalid("Expected an http or https URL", "sink.httpEndpoint") from exc
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.username:
        raise invalid("Expected an http or https URL", "sink.httpEndpoint")
    return value


_SINK_KEYS = {"httpEndpoint", "httpContentType", "httpContentFormat", "httpAuthorization"}


def check_sink(value: Any, before: dict[str, Any] | None = None) -> dict[str, Any]:
    """The http sink's fields, merged over `before` (a PATCH changes what it names)."""
    if not isinstance(value, dict):
        raise invalid("Expected type object", "sink")
    unknown = sorted(set(value) - _SINK_KEYS)
    if unknown:
        raise invalid(f"Additional properties not allowed: {', '.join(unknown)}", "sink")
    sink = dict(before or {})
    sink.update(value)
    if "httpEndpoint" not in sink:
        raise invalid("Missing required property: httpEndpoint", "sink")
    sink["httpEndpoint"] = _check_url(sink["httpEndpoint"])
    sink.setdefault("httpContentType", "application/json")
    if sink["httpContentType"] not in CONTENT_TYPES:
        raise invalid("Expected application/json", "sink.httpContentType")
    sink.setdefault("httpContentFormat", "JSONLINES")
    if sink["httpContentFormat"] not in FORMATS:
        raise invalid(f"Expected one of {', '.join(FORMATS)}", "sink.httpContentFormat")
    authorization = sink.get("httpAuthorization")
    if authorization is not None and (
        not isinstance(authorization, str)
        or len(authorization) > MAX_AUTHORIZATION
        or any(c in authorization for c in "\r\n")
    ):
        raise invalid("Expected a header value on one line", "sink.httpAuthorization")
    return sink


def view(stream: LogStream) -> dict[str, Any]:
    """Auth0's object; `httpAuthorization` is never answered back."""
    return {
        "id": stream.id,
        "name": stream.name,
        "type": "http",
        "status": stream.status,
        "isPriority": False,
        "filters": stream.filters,
        "sink": {
            "httpEndpoint": stream.endpoint,
            "httpContentType": stream.content_type,
            "httpContentFormat": stream.content_format,
        },
    }


def types_of(filters: list[dict[str, str]]) -> list[str] | None:
    """The type codes a stream's filters let through; None for every log (no filter)."""
    if not filters:
        return None
    wanted = {item["name"] for item in filters}
    return sorted(code for code, category in CATEGORY_OF.items() if category in wanted)


def bodies(content_format: str, events: list[dict[str, Any]]) -> list[bytes]:
    """The request bodies for a batch: each event wrapped as `{log_id, data}` (Auth0's), all
    in one array or one per line, or one request per event for JSONOBJECT."""
    wrapped = [{"log_id": event["log_id"], "data": event} for event in events]
    if content_format == "JSONARRAY":
        return [orjson.dumps(wrapped)]
    if content_format == "JSONLINES":
        return [b"\n".join(orjson.dumps(item) for item in wrapped)]
    return [orjson.dumps(item) for item in wrapped]


def suspends(
    failures: int, failing_since: datetime | None, now: datetime, *, after: int, span: float
) -> bool:
    """Suspended after `after` consecutive failures spanning at least `span` seconds."""
    return (
        failures >= after
        and failing_since is not None
        and (now - failing_since).total_seconds() >= span
    )
