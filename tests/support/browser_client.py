"""An httpx client that keeps cookies as a browser does on a loopback address.

selfauth's tests run it on http://127.0.0.1, which browsers count as a secure context: they keep
and send its `Secure` cookies (the session, the login ticket's binding) over plain http there.
httpx sends `Secure` cookies over https only (and copies its jar into a default one for each
request, so a jar policy does not help): after each response, the cookies of loopback hosts
lose their `Secure` flag in the client's jar, which makes httpx send them as Chromium would.
"""

from __future__ import annotations

import functools
import ipaddress
from typing import Any

import httpx


def _loopback(host: str) -> bool:
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def browser_client(**kwargs: Any) -> httpx.Client:
    """`httpx.Client(**kwargs)` with a browser's view of Secure cookies on loopback."""
    client = httpx.Client(**kwargs)

    def keep_secure_cookies_on_loopback(response: httpx.Response) -> None:
        del response  # httpx has put its cookies in the jar before the hooks run
        for cookie in client.cookies.jar:
            if cookie.secure and _loopback(cookie.domain):
                cookie.secure = False

    client.event_hooks["response"] = [
        *client.event_hooks["response"],
        keep_secure_cookies_on_loopback,
    ]
    return client


@functools.cache
def _shared(base_url: str) -> httpx.Client:
    return browser_client(base_url=base_url, timeout=30, follow_redirects=False)


def fresh_browser(base_url: str) -> httpx.Client:
    """A browser on `base_url` with an empty cookie jar, not following redirects: one client
    per server, shared by the tests of a worker (a new one costs ~0.2 s)."""
    client = _shared(base_url)
    client.cookies.clear()
    return client
