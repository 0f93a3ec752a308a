"""Fixtures of the browser tests: Chromium (`browser`, one per module, on the SQLite server
only), and for the SDK tests (test_sdk_*.py) the application's origin and its SPA; what they
share is in sdk_app.py. A module that defines a fixture of the same name (test_login_page.py's
`page`) keeps its own."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, sync_playwright

from tests.browser.sdk_app import AppOrigin, SdkSetup, register_spa, watched
from tests.support.api import DB, Api, unique_email
from tests.support.chromium import CHROMIUM, CHROMIUM_ARGS, TIMEOUT_MS, launch, require_chromium
from tests.support.server import RunningServer


@pytest.fixture(scope="module")
def sqlite_server(server: RunningServer) -> RunningServer:
    if server.backend != "sqlite":
        pytest.skip("the browser tests run on the SQLite server only")
    return server


@pytest.fixture(scope="module")
def app_origin() -> Iterator[AppOrigin]:
    app = AppOrigin()
    yield app
    app.close()


@pytest.fixture(scope="module")
def sdk(sqlite_server: RunningServer, api: Api, app_origin: AppOrigin) -> SdkSetup:
    client_id = register_spa(api, app_origin)
    # New applications are enabled on every connection (as on Auth0), so the default database
    # connection's users can sign in without a `connection` parameter.
    user = api.create_user(connection=DB, email=unique_email("sdk"))
    return SdkSetup(sqlite_server, app_origin, client_id, DB, user["email"])


@pytest.fixture(scope="module")
def chromium(sqlite_server: RunningServer) -> Iterator[Playwright]:
    require_chromium()
    with sync_playwright() as playwright:
        yield playwright


@pytest.fixture(scope="module")
def browser(chromium: Playwright) -> Iterator[Browser]:
    launched = launch(chromium)
    yield launched
    launched.close()


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    """A fresh profile with Chromium's defaults (third-party cookies blocked)."""
    created = browser.new_context()
    created.set_default_timeout(TIMEOUT_MS)
    yield created
    created.close()


@pytest.fixture
def allowing_third_party_cookies(chromium: Playwright, tmp_path: Path) -> Iterator[BrowserContext]:
    """A fresh profile whose settings allow third-party cookies (Chromium's cookie controls
    off), written into the profile before Chromium starts."""
    preferences = tmp_path / "profile" / "Default" / "Preferences"
    preferences.parent.mkdir(parents=True)
    preferences.write_text(json.dumps({"profile": {"cookie_controls_mode": 0}}))
    created = chromium.chromium.launch_persistent_context(
        tmp_path / "profile", executable_path=str(CHROMIUM), args=CHROMIUM_ARGS
    )
    created.set_default_timeout(TIMEOUT_MS)
    yield created
    created.close()


@pytest.fixture
def page(context: BrowserContext) -> Page:
    return watched(context.new_page())
