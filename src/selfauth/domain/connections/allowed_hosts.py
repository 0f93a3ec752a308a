"""The hosts a connection's scripts may reach (hooks/http_facility.py enforces it): those of the
connection's own URLs, and `options.allowed_hosts`, selfauth's addition, a list of `host` or
`host:port`. A bare `host` allows the scheme's default ports (80 and 443); any other port must
be named. Entries are kept as `host:port`, lower-case, IPv6 in brackets."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

MAX_ENTRIES = 50
_NAME = re.compile(
    r"(?=.{1,253}$)[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?(\.[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?)*\.?"
)
_IPV6 = re.compile(r"\[[0-9a-f:.]+\]")
_DEFAULT_PORTS = {"http": 80, "https": 443}


class BadHost(ValueError):
    """An `allowed_hosts` entry that names no host (the message says which)."""


def _host(text: str) -> str:
    host = text.lower().rstrip(".")
    if not (_NAME.fullmatch(host) or _IPV6.fullmatch(host)):
        raise BadHost(f"{text!r} is not a host name or address")
    return host


def host_entries(entry: Any) -> frozenset[str]:
    """The `host:port`s one `allowed_hosts` entry allows."""
    if not isinstance(entry, str) or not entry.strip():
        raise BadHost(f"{entry!r} is not a host")
    text = entry.strip()
    if "/" in text or "@" in text:
        raise BadHost(f"{text!r} is a URL, not a host: write host or host:port")
    host, port = text, ""
    if text.startswith("["):
        end = text.find("]")
        host, rest = text[: end + 1], text[end + 1 :]
        if rest:
            if not rest.startswith(":"):
                raise BadHost(f"{text!r} is not host or host:port")
            port = rest[1:]
    elif text.count(":") == 1:
        host, port = text.split(":")
    if port and not (port.isdigit() and 0 < int(port) < 65536):
        raise BadHost(f"{text!r} has no valid port")
    name = _host(host)
    if port:
        return frozenset({f"{name}:{int(port)}"})
    return frozenset(f"{name}:{default}" for default in _DEFAULT_PORTS.values())


def check_allowed_hosts(value: Any) -> list[str]:
    """`options.allowed_hosts` as given, if every entry names a host; BadHost otherwise."""
    if not isinstance(value, list) or len(value) > MAX_ENTRIES:
        raise BadHost(f"allowed_hosts must be a list of at most {MAX_ENTRIES} hosts")
    for entry in value:
        host_entries(entry)
    return value


def url_host(url: str) -> str | None:
    """`host:port` of an http(s) URL, as the facility compares them; None for anything else."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in _DEFAULT_PORTS or not parts.hostname:
        return None
    host = parts.hostname.lower().rstrip(".")
    if ":" in host:
        host = f"[{host}]"
    return f"{host}:{port or _DEFAULT_PORTS[parts.scheme]}"


def allowed_hosts(urls: Iterable[Any], options: dict[str, Any]) -> frozenset[str]:
    """What a connection's scripts may reach: its URLs' hosts and its `allowed_hosts`."""
    found = {host for url in urls if isinstance(url, str) and (host := url_host(url))}
    extra = options.get("allowed_hosts")
    if isinstance(extra, list):
        for entry in extra:
            try:
                found |= host_entries(entry)
            except BadHost:
                continue  # refused when saved; an older row's bad entry allows nothing
    return frozenset(found)
