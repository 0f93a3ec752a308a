"""What the browser SDK tests share: the application's own origin, an application registered for
it, and Chromium.

The application is a static file server of the test's own that serves the SDK bundles
(`sdks/dist`, built by scripts/ensure-sdk-bundles from the npm packages) and one page per SDK
(`sdks/pages`). selfauth is `http://127.0.0.1:PORT`; the application listens on 127.0.0.1 too
but has two names:
- `origin`, `http://localhost:PORT2`: another site, as an application on its own domain.
  Every call the SDK makes is cross-origin, and selfauth's cookies are third-party cookies in
  the application's frames, which Chromium blocks by default (as Safari and Firefox do).
- `same_site_origin`, `http://127.0.0.1:PORT2`: another origin on the same site, as an
  application beside selfauth on a custom domain (app.example.com and login.example.com).

`allowing_third_party_cookies` opens a browser profile that allows third-party cookies, as a
user who turned the blocking off has.
"""

from __future__ import annotations

import threading
import uuid
from dataclasses import dataclass
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page

from tests.support.api import PASSWORD, Api
from tests.support.server import RunningServer

SDKS = Path(__file__).parent / "sdks"


class AppOrigin:
    """Serves `sdks/` (the bundles and the pages) on its own port, reached as localhost."""

    def __init__(self) -> None:
        dist = SDKS / "dist"
        missing = [
            name for name in ("lock.js", "auth0js.js", "spa.js") if not (dist / name).exists()
        ]
        if missing:
            pytest.fail(f"{dist} lacks {missing}: run scripts/ensure-sdk-bundles (make test does)")

        class Handler(SimpleHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def end_headers(self) -> None:
                self.send_header("Cache-Control", "no-store")
                super().end_headers()

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), partial(Handler, directory=str(SDKS)))
        self.httpd.daemon_threads = True
        port = self.httpd.server_address[1]
        self.origin = f"http://localhost:{port}"
        self.same_site_origin = f"http://127.0.0.1:{port}"
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self._thread.start()

    def page_url(self, sdk: str, *, same_site: bool = False) -> str:
        return f"{self.same_site_origin if same_site else self.origin}/pages/{sdk}.html"

    def page_urls(self) -> list[str]:
        return [
            self.page_url(sdk, same_site=same_site)
            for sdk in ("spa", "auth0js", "lock")
            for same_site in (False, True)
        ]

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@dataclass(frozen=True)
class SdkSetup:
    server: RunningServer
    app: AppOrigin
    client_id: str
    connection: str
    email: str  # an existing user of `connection`, with PASSWORD

    @property
    def domain(self) -> str:
        """The SDKs' `domain` option: a full URL, as they allow for a server that is not
        `https://{domain}` (docs/browser-sdks.md)."""
        return self.server.base_url


def register_spa(api: Api, app: AppOrigin, **extra: Any) -> str:
    """A single-page application on the app's origin (callbacks are its pages)."""
    body = {
        "name": f"SDK SPA {uuid.uuid4().hex[:8]}",
        "app_type": "spa",
        "token_endpoint_auth_method": "none",
        "callbacks": app.page_urls(),
        "allowed_logout_urls": app.page_urls(),
        "web_origins": [app.origin, app.same_site_origin],
        "allowed_origins": [app.origin, app.same_site_origin],
        "grant_types": ["authorization_code", "implicit", "refresh_token"],
        "cross_origin_authentication": True,
        **extra,
    }
    response = api.post("/api/v2/clients", body)
    assert response.status_code == 201, response.text
    client_id: str = response.json()["client_id"]
    return client_id


def watched(opened: Page) -> Page:
    """The page, recording console errors and uncaught exceptions in `opened.errors`."""
    errors: list[str] = []
    opened.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    opened.on("pageerror", lambda e: errors.append(str(e)))
    opened.errors = errors  # type: ignore[attr-defined]
    return opened


def sign_in_on_selfauth(page: Page, email: str, password: str = PASSWORD) -> None:
    """Fill selfauth's login page (the SDK redirected the browser there)."""
    page.locator("#username").fill(email)
    page.locator("#password").fill(password)
    page.get_by_role("button", name="Sign in").click()
