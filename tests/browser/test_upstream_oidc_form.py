"""The upstream OpenID Provider fixture's sign-in form in Chromium (its HTTP use is
`api/test_upstream_oidc_fixture.py`): a browser fills `#login`, clicks `#sign-in` and lands on the
relying party's redirect_uri with a code; `#deny` lands there with access_denied. No selfauth
server: this holds the form the upstream-connection browser tests drive."""

from __future__ import annotations

import base64
import hashlib
import secrets
from collections.abc import Iterator
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from playwright.sync_api import Browser, Page, Route, sync_playwright

from tests.support.chromium import TIMEOUT_MS, launch
from tests.support.upstream_oidc import UpstreamClient, UpstreamOidc

CALLBACK = "http://127.0.0.1:9/callback"  # answered by the page's route, never reached
CLIENT = UpstreamClient("browser-rp", "browser-rp-secret", [CALLBACK])


@pytest.fixture(scope="module")
def upstream(tmp_path_factory: pytest.TempPathFactory) -> Iterator[UpstreamOidc]:
    accounts = [{"sub": "grace", "email": "grace@example.com", "name": "Grace Hopper"}]
    with UpstreamOidc(
        tmp_path_factory.mktemp("upstream"), clients=[CLIENT], accounts=accounts
    ) as provider:
        yield provider


@pytest.fixture(scope="module")
def chromium_browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = launch(playwright)
        yield launched
        launched.close()


def landing(browser: Browser, upstream: UpstreamOidc, button: str) -> dict[str, list[str]]:
    state = secrets.token_urlsafe(16)
    verifier = secrets.token_urlsafe(32)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=")
    query = {
        "response_type": "code",
        "client_id": CLIENT.client_id,
        "redirect_uri": CALLBACK,
        "scope": "openid profile email",
        "state": state,
        "nonce": secrets.token_urlsafe(16),
        "code_challenge": challenge.decode(),
        "code_challenge_method": "S256",
    }
    context = browser.new_context()
    context.set_default_timeout(TIMEOUT_MS)
    try:
        page: Page = context.new_page()
        landed: list[str] = []

        def callback(route: Route) -> None:
            landed.append(route.request.url)
            route.fulfill(status=200, body="back at the relying party")

        page.route(f"{CALLBACK}*", callback)
        page.goto(f"{upstream.issuer}/auth?{urlencode(query)}")
        page.fill("#login", "grace")
        page.click(button)
        page.wait_for_url(f"{CALLBACK}*")
    finally:
        context.close()
    [url] = landed
    params = parse_qs(urlsplit(url).query)
    assert params["state"] == [state]
    return params


def test_chromium_signs_in_through_the_form(
    chromium_browser: Browser, upstream: UpstreamOidc
) -> None:
    params = landing(chromium_browser, upstream, "#sign-in")
    assert len(params["code"][0]) > 20
    assert params["iss"] == [upstream.issuer]


def test_chromium_denies_through_the_form(
    chromium_browser: Browser, upstream: UpstreamOidc
) -> None:
    params = landing(chromium_browser, upstream, "#deny")
    assert params["error"] == ["access_denied"]
