"""The web origins a client registered, and whether a browser's `Origin` is one of them.

Auth0's rules: "Allowed Origins (CORS)" (`allowed_origins`), or the callbacks' origins when that
list is empty, plus "Allowed Web Origins" (`web_origins`). Paths, queries and fragments in a
registered URL are ignored, and the leftmost host label may be a `*` wildcard
(`https://*.example.com`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

from selfauth.domain.clients.model import Client

_DEFAULT_PORTS = {"http": 80, "https": 443}

# scheme, lower-case host, explicit port (None for the scheme's default)
OriginKey = tuple[str, str, int | None]


def origin_key(url: str) -> OriginKey | None:
    """The origin of `url` as a comparable key; None when it has no scheme and host (a
    browser's opaque `null` origin, a relative URL, a malformed port)."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    host = parts.hostname  # lower-cased, IPv6 brackets removed
    scheme = parts.scheme.lower()
    if not scheme or not host:
        return None
    if port == _DEFAULT_PORTS.get(scheme):
        port = None
    return scheme, host, port


@dataclass(frozen=True)
class OriginSet:
    """Registered origins: exact ones, and `*.` wildcards kept as the host suffix after the
    star (`.example.com`)."""

    exact: frozenset[OriginKey]
    wildcards: frozenset[OriginKey]

    def allows(self, origin: str) -> bool:
        key = origin_key(origin)
        if key is None:
            return False
        if key in self.exact:
            return True
        if not self.wildcards:
            return False
        scheme, host, port = key
        label, dot, rest = host.partition(".")
        # The star stands for exactly one label: `*.example.com` is not `example.com`, nor
        # `a.b.example.com`.
        return bool(label and dot) and (scheme, dot + rest, port) in self.wildcards

    @staticmethod
    def of(urls: Iterable[str]) -> OriginSet:
        exact: set[OriginKey] = set()
        wildcards: set[OriginKey] = set()
        for url in urls:
            key = origin_key(url)
            if key is None:
                continue
            scheme, host, port = key
            if host.startswith("*."):
                suffix = host[1:]
                # A star over a bare top-level domain (`*.com`) would admit the whole web.
                if "." in suffix[1:] and "*" not in suffix:
                    wildcards.add((scheme, suffix, port))
            elif "*" not in host:
                exact.add(key)
        return OriginSet(frozenset(exact), frozenset(wildcards))


def registered_origins(client: Client) -> OriginSet:
    """The origins `client` lets browsers call the APIs from."""
    cors = client.allowed_origins or client.callbacks
    return OriginSet.of([*cors, *client.web_origins])
