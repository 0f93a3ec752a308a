"""Allowed Web Origins (`web_origins`) as `response_mode=web_message` needs them: whether the
redirect URI's origin is one (matched by `origins.OriginSet`, as CORS matches), and the
origins written out for a postMessage target and a CSP `frame-ancestors` list, which must hold
nothing but an origin."""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import urlsplit

from selfauth.domain.clients.origins import OriginSet, origin_key

# An origin fit to stand in a header or a CSP source list: no spaces, quotes or semicolons.
_ORIGIN = re.compile(r"(?P<scheme>https?)://(?P<host>[a-z0-9.-]+)(?P<port>:[0-9]{1,5})?")


def origin_of(url: str) -> str | None:
    """`scheme://host[:port]` of a URL, lower-cased, or None when it has no usable origin."""
    key = origin_key(url)
    if key is None or key[0] not in ("http", "https") or "@" in urlsplit(url.strip()).netloc:
        return None
    scheme, host, port = key
    origin = f"{scheme}://{host}" + (f":{port}" if port is not None else "")
    return origin if _ORIGIN.fullmatch(origin) else None


def _entry_origin(entry: str) -> str | None:
    """An entry as an origin, its `*.` wildcard kept; None when it is not an origin."""
    scheme, sep, rest = entry.strip().partition("://")
    if not sep or not rest.startswith("*."):
        return origin_of(entry)
    # Checked as the origin of one subdomain, then written back with the star.
    probe = origin_of(f"{scheme}://x{rest[1:]}")
    if probe is None:
        return None
    base = probe.removeprefix(f"{scheme}://x")
    # A star over a bare top-level domain (`*.com`) would admit a whole registry.
    if "." not in base[1:].partition(":")[0]:
        return None
    return f"{scheme}://*{base}"


def allowed_origins(entries: Iterable[str]) -> list[str]:
    """The entries as origins (wildcards kept), dropping any that are not an origin."""
    found: list[str] = []
    for entry in entries:
        origin = _entry_origin(entry)
        if origin is not None and origin not in found:
            found.append(origin)
    return found


def is_allowed(origin: str | None, entries: Iterable[str]) -> bool:
    """Matched as the CORS layer matches (one rule for both): a serialisable origin only."""
    return origin is not None and OriginSet.of(entries).allows(origin)
