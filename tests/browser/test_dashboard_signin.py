"""The dashboard's sign-in in Chromium: an administrator signs in through the login page and
lands on the page they asked for; a user without the role is refused (and can sign out);
logout ends both the dashboard's sign-in and the selfauth session; a form without this
sign-in's CSRF token changes nothing; the pages send a strict CSP and break none of it."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlencode

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, expect

from tests.support.admin import (
    Person,
    admin_context,
    new_admin,
    new_person,
    screenshot,
    selfauth_cli,
    sign_in,
)
from tests.support.api import Api
from tests.support.chromium import problems_of
from tests.support.server import RunningServer


@pytest.fixture(scope="module")
def admin(sqlite_server: RunningServer, api: Api) -> Person:
    return new_admin(sqlite_server, api)


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    created = admin_context(browser, viewport={"width": 1280, "height": 800})
    yield created
    created.close()


def test_an_administrator_signs_in_and_lands_where_they_were_going(
    sqlite_server: RunningServer, admin: Person, context: BrowserContext
) -> None:
    page = context.new_page()
    problems = problems_of(page)
    sign_in(page, sqlite_server, admin, "/admin/")
    expect(page.get_by_role("heading", name="Overview")).to_be_visible()
    expect(page.locator(".who")).to_contain_text(admin.email)
    response = page.request.get(f"{sqlite_server.base_url}/admin/")
    policy = response.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert "unsafe-inline" not in policy
    screenshot(page, "overview")
    assert problems == []


def test_a_user_without_the_role_is_refused(
    sqlite_server: RunningServer, api: Api, context: BrowserContext
) -> None:
    person = new_person(api)
    page = context.new_page()
    page.goto(f"{sqlite_server.base_url}/admin/")
    page.locator("#username").fill(person.email)
    page.locator("#password").fill(person.password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Not an administrator")).to_be_visible()
    expect(page.locator("body")).to_contain_text(person.email)
    assert page.request.get(f"{sqlite_server.base_url}/admin/").url.endswith("/authorize") is False
    # Signing out of selfauth lets someone else sign in.
    page.get_by_role("link", name="Sign out and sign in as someone else").click()
    expect(page.get_by_role("heading", name="Signed out")).to_be_visible()


def test_a_revoked_administrator_is_refused_at_once(
    sqlite_server: RunningServer, api: Api, context: BrowserContext
) -> None:
    person = new_admin(sqlite_server, api)
    page = context.new_page()
    sign_in(page, sqlite_server, person)
    assert selfauth_cli(sqlite_server, "admins", "remove", person.email).returncode == 0
    page.reload()
    expect(page.get_by_role("heading", name="Not an administrator")).to_be_visible()


def test_logout_ends_the_dashboard_and_the_selfauth_session(
    sqlite_server: RunningServer, admin: Person, context: BrowserContext
) -> None:
    page = context.new_page()
    sign_in(page, sqlite_server, admin)
    cookie = next(c for c in context.cookies() if c["name"] == "selfauth_admin")
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="Signed out")).to_be_visible()
    # The old cookie opens nothing any more, and the login page asks for a password again.
    stale = httpx.get(
        f"{sqlite_server.base_url}/admin/",
        cookies={"selfauth_admin": cookie["value"]},
        follow_redirects=False,
    )
    assert stale.status_code == 303 and stale.headers["location"].startswith("/admin/login")
    page.goto(f"{sqlite_server.base_url}/admin/")
    expect(page.locator("#password")).to_be_visible()


def test_a_form_without_the_csrf_token_changes_nothing(
    sqlite_server: RunningServer, admin: Person, context: BrowserContext
) -> None:
    page = context.new_page()
    sign_in(page, sqlite_server, admin)
    # Logout is a form like any other: posted without the token, the sign-in survives.
    refused = page.request.post(f"{sqlite_server.base_url}/admin/logout", form={"csrf": "forged"})
    assert refused.status == 403
    assert "security token" in refused.text()
    page.reload()
    expect(page.get_by_role("heading", name="Overview")).to_be_visible()


def test_the_layout_reads_at_phone_width(
    sqlite_server: RunningServer, admin: Person, browser: Browser
) -> None:
    context = admin_context(browser, viewport={"width": 390, "height": 844})
    try:
        page = context.new_page()
        problems = problems_of(page)
        sign_in(page, sqlite_server, admin)
        menu = page.get_by_role("button", name="Menu")
        expect(menu).to_be_visible()
        nav_users = page.locator("#nav").get_by_role("link", name="Users")
        expect(nav_users).to_be_hidden()
        menu.click()
        expect(nav_users).to_be_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        assert problems == []
    finally:
        context.close()


@pytest.mark.parametrize("target", ["//evil.example/admin", "https://evil.example/", "/\\evil"])
def test_the_way_back_after_signing_in_stays_in_the_dashboard(
    sqlite_server: RunningServer, admin: Person, context: BrowserContext, target: str
) -> None:
    page = context.new_page()
    page.goto(f"{sqlite_server.base_url}/admin/login?{urlencode({'next': target})}")
    page.locator("#username").fill(admin.email)
    page.locator("#password").fill(admin.password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{sqlite_server.base_url}/admin/")
    expect(page.get_by_role("heading", name="Overview")).to_be_visible()


def test_a_callback_not_started_in_this_browser_is_refused(sqlite_server: RunningServer) -> None:
    response = httpx.get(f"{sqlite_server.base_url}/admin/callback?code=x&state=y")
    assert response.status_code == 400
    assert "not started in this browser" in response.text
    assert "selfauth_admin=" not in response.headers.get("set-cookie", "")
