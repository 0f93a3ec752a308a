"""`/docs` and the try page in a real browser (Debian's Chromium, as test_login_page.py): the
API docs render from selfauth's own files under their CSP, and `/try/start` signs a user in
through the login page to the try page. SQLite server only."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, Request, expect

from tests.support.api import PASSWORD, Api, unique_email
from tests.support.chromium import TIMEOUT_MS
from tests.support.server import RunningServer

pytestmark = pytest.mark.sqlite_only


@pytest.fixture
def page(browser: Browser, server: RunningServer) -> Iterator[Page]:
    """A fresh profile's page that fails its test on any console error (a CSP refusal among
    them) or any request that leaves selfauth."""
    context = browser.new_context()
    context.set_default_timeout(TIMEOUT_MS)
    opened = context.new_page()
    errors: list[str] = []
    elsewhere: list[str] = []
    opened.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)

    def record(request: Request) -> None:
        if not request.url.startswith((server.base_url, "data:")):
            elsewhere.append(request.url)

    opened.on("request", record)
    yield opened
    context.close()
    assert errors == []
    assert elsewhere == []


def test_docs_render_every_operation_from_local_files(server: RunningServer, page: Page) -> None:
    page.goto(f"{server.base_url}/docs")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("selfauth")
    expect(page.locator(".opblock-summary-path", has_text="/oauth/token").first).to_be_visible()
    assert page.locator(".opblock").count() > 20


def test_try_page_signs_a_user_in_in_one_click(server: RunningServer, api: Api, page: Page) -> None:
    email = unique_email("try-browser")
    user = api.create_user(email=email)
    page.goto(f"{server.base_url}/try/start")
    page.locator("#username").fill(email)
    page.locator("#password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("#user")).to_have_text(email)
    expect(page.locator("#userinfo")).to_contain_text(user["user_id"])
    expect(page.locator("#id-token-claims")).to_contain_text(f'"iss": "{server.issuer}"')


def test_a_newcomer_signs_up_from_the_try_page(server: RunningServer, page: Page) -> None:
    email = unique_email("try-signup")
    page.goto(f"{server.base_url}/try/start")
    page.get_by_role("link", name="Sign up").click()
    page.locator("#signup-email").fill(email)
    page.locator("#signup-password").fill(PASSWORD)
    page.get_by_role("button", name="Sign up").click()
    expect(page.locator("#user")).to_have_text(email)
    expect(page.locator("#userinfo")).to_contain_text(f'"email": "{email}"')
