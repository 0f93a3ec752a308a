"""The HTTP server: uvicorn, told explicitly whom to believe.

uvicorn's defaults believe `X-Forwarded-For` from any loopback peer, and its
FORWARDED_ALLOW_IPS variable can widen that; the client's address keys the brute-force block
and the per-address rate limits, so only a proxy named in SELFAUTH_TRUSTED_PROXIES is believed.
"""

from __future__ import annotations

from typing import Any

import uvicorn

from selfauth.config import Settings


def run(app: Any, settings: Settings, *, log_level: str, access_log: bool) -> None:
    """Serve `app` until interrupted. Every option that decides whom uvicorn believes is
    passed explicitly, so none of uvicorn's environment variables (such as
    FORWARDED_ALLOW_IPS) can widen it."""
    trusted = settings.trusted_proxy_list
    uvicorn.run(
        app,
        host=settings.host,
        port=settings.port,
        log_level=log_level,
        access_log=access_log,
        server_header=False,
        # X-Forwarded-For and -Proto are read only from a named proxy (uvicorn's own default
        # believes any loopback peer).
        proxy_headers=bool(trusted),
        forwarded_allow_ips=trusted,
    )
