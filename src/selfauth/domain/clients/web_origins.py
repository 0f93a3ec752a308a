"""Allowed Web Origins (`web_origins`): the origins a `response_mode=web_message` answer may be
posted to. As Auth0 reads them, an entry's path, query and fragment are ignored, and
`https://*.example.com` stands for any one subdomain level of example.com."""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import urlsplit

# An origin fit to stand in a header or a CSP source list: no spaces, quotes or semicolons.
_ORIGIN = re.compile(r"(?P<scheme>https?)://(?P<host>(\*\.)?[a-z0-9.-]+)(?P<port>:[0-9]{1,5})?")


def origin_of(url: str) -> str | None:
    """`scheme://host[:port]` of a URL, lower-cased, or None when it has no usable origin."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    host = parts.hostname or ""
    if parts.scheme not in ("http", "https") or not host or "@" in parts.netloc:
        return None
    origin = f"{parts.scheme}://{host}" + (f":{port}" if port is not None else "")
    return origin if _ORIGIN.fullmatch(origin) else None


def _matches(entry: str, origin: str) -> bool:
    if entry == origin:
        return True
    scheme, _, rest = entry.partition("://*.")
    if not rest:
        return False
    # `*` is one DNS label: https://*.example.com allows a.example.com, not a.b.example.com
    prefix = f"{scheme}://"
    if not origin.startswith(prefix):
        return False
    label, dot, remainder = origin[len(prefix) :].partition(".")
    return bool(dot) and bool(label) and remainder == rest


def allowed_origins(entries: Iterable[str]) -> list[str]:
    """The entries as origins (wildcards kept), dropping any that are not an origin."""
    found: list[str] = []
    for entry in entries:
        origin = origin_of(entry.replace("*.", "wildcard-label.", 1))
        if origin is None:
            continue
        origin = origin.replace("wildcard-label.", "*.", 1) if "*." in entry else origin
        if origin not in found:
            found.append(origin)
    return found


def is_allowed(origin: str | None, entries: Iterable[str]) -> bool:
    return origin is not None and any(_matches(e, origin) for e in allowed_origins(entries))
